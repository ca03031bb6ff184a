"""Responsible units by the names people write in spreadsheets: full name, short name, or a
collective name that stands for a whole peer group (各县（市、区）, 市直各有关部门, 各工作专班…).

Matching ignores spaces and the width of brackets and punctuation (（市） and (市) are the same).
A name that matches nothing gets the closest active names suggested; a short name two units
share is ambiguous and must be written in full.

Collective names (``COLLECTIVES``): the units of one peer group, active ones only, in their
usual order. A county-level bureau named collectively (各县（市、区）文旅局) stands for each
county's unit: the counties are the units that answer for their own ground. A unit actually
called by a collective name (rare, but a directory may hold one) is that unit, not the group.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass

from supervision.models import PeerGroup, Unit, UnitKind

SUGGESTIONS = 3
# How alike a suggestion must be (difflib's ratio): low enough for 甲县 → 甲县人民政府.
CUTOFF = 0.4

# What the collective names look like once normalised (NFKC: brackets and commas half-width,
# no spaces); 、 stays as written, ， becomes ,. Each pattern matches the whole name.
_COUNTY = r"各(?:县\(市[、,]?区\)|县\(区[、,]?市\)|县\(市\)区|县市区|县\(区\)|县区|区县|县市|县)"
COLLECTIVES: tuple[tuple[re.Pattern[str], str], ...] = (
    # 各县（市、区）, 各县(市、区)文旅局, 各县市区人民政府, 各县区党委政府…: the counties.
    (re.compile(_COUNTY + r"(?:[\w()、]{0,20})$"), PeerGroup.COUNTY),
    # 各乡镇, 各乡（镇）, 各乡镇（街道）, 各乡镇人民政府: the townships.
    (re.compile(r"各乡(?:镇|\(镇\))?(?:\(街道\)|、?街道)?(?:人民政府|党委政府)?$"), PeerGroup.TOWNSHIP),
    # 各工作专班, 各专班, 各相关工作专班: the work teams.
    (re.compile(r"各(?:有关|相关)?(?:工作)?专班$"), PeerGroup.WORK_TEAM),
    # 市直各有关部门, 市直有关单位, 各相关科室, 各有关部门, 市直各单位: the departments.
    (
        re.compile(r"(?:市直|市级)?各?(?:有关|相关)?(?:部门|单位|科室|处室)$"),
        PeerGroup.DEPARTMENT,
    ),
)
# A bare 部门/单位 is a typo, not a collective: the pattern above needs 市直, 各, 有关 or 相关.
_COLLECTIVE_MARKS = ("各", "市直", "市级", "有关", "相关")


_SPACE = re.compile(r"\s")


@functools.lru_cache(maxsize=8192)
def _normalised(name: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


def normalise(name: str) -> str:
    # A sheet repeats its problems, units and headings row after row: each text is worked once.
    return _normalised(name) if name else ""


@dataclass
class Lookup:
    unit: Unit | None
    ambiguous: bool = False
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Collective:
    """What a collective name stood for: its peer group and that group's active units."""

    peer_group: str
    units: tuple[Unit, ...]


def collective_group(name: str) -> str | None:
    """The peer group a collective name stands for, or None when the name is not one."""
    key = normalise(name)
    if not key.startswith(_COLLECTIVE_MARKS):
        return None
    for pattern, group in COLLECTIVES:
        if pattern.match(key):
            return group
    return None


class UnitDirectory:
    """Active responsible units (offices do not take items), loaded once per import."""

    def __init__(self, units: list[Unit]):
        self._by_name: dict[str, list[Unit]] = {}
        self._by_group: dict[str, list[Unit]] = {}
        for unit in units:
            for name in {normalise(unit.name), normalise(unit.short_name)} - {""}:
                self._by_name.setdefault(name, []).append(unit)
            if unit.is_active and unit.kind != UnitKind.OFFICE:
                self._by_group.setdefault(unit.peer_group, []).append(unit)
        self._names = sorted({u.name for u in units} | {u.short_name for u in units if u.short_name})
        self._normalised = {normalise(n): n for n in self._names}
        self._seen: dict[str, Lookup] = {}
        self._collectives: dict[str, Collective | None] = {}

    @classmethod
    def load(cls) -> UnitDirectory:
        return cls(
            list(Unit.objects.filter(is_active=True).exclude(kind=UnitKind.OFFICE).order_by("kind", "sort_order", "pk"))
        )

    def lookup(self, name: str) -> Lookup:
        key = normalise(name)
        if key not in self._seen:
            # A sheet names the same units row after row: each name is looked up once.
            self._seen[key] = self._lookup(key)
        return self._seen[key]

    def collective(self, name: str) -> Collective | None:
        """The units a collective name stands for (perhaps none), or None when ``name`` is a
        unit's own name or no collective name at all."""
        key = normalise(name)
        if key not in self._collectives:
            group = None if key in self._by_name else collective_group(key)
            self._collectives[key] = None if group is None else Collective(group, tuple(self._by_group.get(group, ())))
        return self._collectives[key]

    def _lookup(self, key: str) -> Lookup:
        found = {u.pk: u for u in self._by_name.get(key, [])}
        if len(found) == 1:
            return Lookup(next(iter(found.values())))
        if found:
            return Lookup(None, ambiguous=True, suggestions=tuple(sorted(u.name for u in found.values())))
        close = difflib.get_close_matches(key, list(self._normalised), n=SUGGESTIONS, cutoff=CUTOFF)
        return Lookup(None, suggestions=tuple(self._normalised[c] for c in close))
