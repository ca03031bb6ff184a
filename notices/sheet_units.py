"""Unit cells (责任单位) as offices write them: several names in one cell, collective names.

Names are separated by 、，,；;/ or line breaks, half- or full-width, except inside brackets
(各县（市、区）文旅局 is one name). In a single unit column the first name leads and the others
cooperate; beside a cooperating column (the project's own template) every name of the lead
column leads. A collective name (``directory.COLLECTIVES``) stands for its peer group's active
units: named first, each of them leads on its own ground; named later, they cooperate. A unit
named twice counts once, as the role it was first given.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from supervision.models import PeerGroup, Unit

from .directory import UnitDirectory

SEPARATORS = frozenset("、，,；;/／\n\r|｜")
OPENING, CLOSING = frozenset("(（[【〔"), frozenset(")）]】〕")
MAX_NAME = 100  # Unit.name's length: a longer "name" is a sentence, not a unit


def split_names(cell: str) -> list[str]:
    """The names in a cell, in order, separators inside brackets kept."""
    names, current, depth = [], [], 0
    for char in cell:
        if char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(0, depth - 1)
        if char in SEPARATORS and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    return [n.strip() for n in (unicodedata.normalize("NFC", n) for n in names) if n.strip()]


def _group_label(group: str) -> str:
    return str(PeerGroup(group).label)


@dataclass
class Units:
    leads: list[Unit] = field(default_factory=list)
    cooperating: list[Unit] = field(default_factory=list)
    expansions: list[tuple[str, list[str]]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column key, message)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Units compared by primary key: a model's __eq__ is slow, and a collective name brings
        # a whole peer group into every row.
        self._roles: dict[int, bool] = {}

    def role_of(self, unit: Unit) -> bool | None:
        """True when the unit leads, False when it cooperates, None when not named yet."""
        return self._roles.get(unit.id)

    def add(self, unit: Unit, *, lead: bool) -> None:
        if unit.id not in self._roles:
            self._roles[unit.id] = lead
            (self.leads if lead else self.cooperating).append(unit)


class UnitReader:
    """Reads unit cells against the directory; names already resolved are not looked up again."""

    def __init__(self, directory: UnitDirectory) -> None:
        self.directory = directory
        # A ledger names the same few unit cells row after row: each is read once.
        self._read: dict[tuple[str, str, bool], Units] = {}

    def unknown(self, name: str) -> str:
        found = self.directory.lookup(name)
        if found.ambiguous:
            return _("“%(name)s” could be any of %(units)s: write the full name.") % {
                "name": name[:50],
                "units": "、".join(found.suggestions),
            }
        if found.suggestions:
            return _("No unit is called “%(name)s”. Did you mean %(suggestions)s?") % {
                "name": name[:50],
                "suggestions": "、".join(found.suggestions),
            }
        return _("No unit is called “%(name)s”.") % {"name": name[:50]}

    def resolve(self, name: str, into: Units, column: str) -> list[Unit] | None:
        """The units one name stands for, or None (an error added to ``into``)."""
        if len(name) > MAX_NAME:
            into.errors.append((column, _("“%(name)s…” is not a unit's name.") % {"name": name[:30]}))
            return None
        found = self.directory.lookup(name)
        if found.unit is not None:
            return [found.unit]
        collective = self.directory.collective(name)
        if collective is not None:
            if not collective.units:
                message = _("“%(name)s” stands for the %(group)s, but there is no active one: name the units.") % {
                    "name": name[:50],
                    "group": _group_label(collective.peer_group),
                }
                into.errors.append((column, message))
                return None
            into.expansions.append((name, [u.name for u in collective.units]))
            return list(collective.units)
        into.errors.append((column, self.unknown(name)))
        return None

    def read(self, lead_cell: str, cooperating_cell: str = "", *, split: bool) -> Units:
        """The units of a row: ``split`` for a single unit column (first leads, others cooperate).
        Each call returns lists of its own: the caller may change them."""
        key = (lead_cell, cooperating_cell, split)
        if key not in self._read:
            self._read[key] = self._units(lead_cell, cooperating_cell, split)
        found = self._read[key]
        # Lists of its own for each row; the names a collective stood for are shared (read only).
        return Units(
            leads=found.leads.copy(),
            cooperating=found.cooperating.copy(),
            expansions=found.expansions.copy(),
            errors=found.errors.copy(),
            warnings=found.warnings.copy(),
        )

    def _units(self, lead_cell: str, cooperating_cell: str, split: bool) -> Units:
        units = Units()
        for position, name in enumerate(split_names(lead_cell)):
            leading = not split or position == 0
            for unit in self.resolve(name, units, "lead") or ():
                units.add(unit, lead=leading)
        for name in split_names(cooperating_cell):
            for unit in self.resolve(name, units, "cooperating") or ():
                if units.role_of(unit) is True and self.directory.collective(name) is None:
                    # Named as lead and as cooperating (a collective often covers the lead too).
                    units.errors.append(("cooperating", _("The lead unit cannot also be a cooperating unit.")))
                units.add(unit, lead=False)
        return units
