"""Ledger filters from a query string or the command line, checked, as ``AssignmentFilters``.

Units are named by id, full name or short name; letters by id or number (文号); states by
state or by phase (``in_progress`` takes its sub-steps along). Anything unknown is an
``InvalidInput`` with a message for the user: a typo in a link must not quietly export
everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from supervision.models import PHASES, AssignmentState, Letter, PeerGroup, Unit
from supervision.search import AssignmentFilters
from supervision.services import InvalidInput

MAX_VALUES = 200  # per parameter: a link listing more is not a person's filter


@dataclass
class LedgerRequest:
    """What to export, resolved: the filters and the units and letter they name."""

    filters: AssignmentFilters
    units: list[Unit] = field(default_factory=list)
    letter: Letter | None = None


def _values(raw: Iterable[str] | str | None) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    # "1,2" and repeated parameters both work.
    values = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    if len(values) > MAX_VALUES:
        raise InvalidInput(_("Too many values in one filter."), field="filters")
    return values


def resolve_unit(value: str) -> Unit:
    query = Q(name=value) | Q(short_name=value)
    if value.isdigit():
        query |= Q(pk=int(value))
    found = list(Unit.objects.filter(query)[:2])
    if len(found) != 1:
        raise InvalidInput(
            (_("No unit is called “%(unit)s”.") if not found else _("More than one unit is called “%(unit)s”."))
            % {"unit": value[:100]},
            field="unit",
        )
    return found[0]


def resolve_letter(value: str, letters: QuerySet[Letter]) -> Letter:
    """A letter by id or number, among ``letters`` (those the user may see)."""
    query = Q(number=value)
    if value.isdigit():
        query |= Q(pk=int(value))
    letter = letters.filter(query).first()
    if letter is None:
        raise InvalidInput(_("No letter “%(letter)s” that you may see.") % {"letter": value[:100]}, field="letter")
    return letter


def resolve_states(values: Sequence[str]) -> list[str]:
    states: list[str] = []
    for value in values:
        if value in PHASES:
            states += PHASES[value]
        elif value in AssignmentState.values:
            states.append(value)
        else:
            raise InvalidInput(_("Unknown state “%(state)s”.") % {"state": value[:50]}, field="state")
    return list(dict.fromkeys(states))


def ledger_request(
    *,
    units: Iterable[str] | str | None = None,
    letter: str | None = None,
    states: Iterable[str] | str | None = None,
    peer_group: str | None = None,
    letters: QuerySet[Letter] | None = None,
) -> LedgerRequest:
    """Resolve the filters; ``letters`` limits which letters may be named (default: all)."""
    found_units = [resolve_unit(v) for v in _values(units)]
    found_letter = None
    letter = (letter or "").strip()
    if letter:
        found_letter = resolve_letter(letter, letters if letters is not None else Letter.objects.all())
    peer_group = (peer_group or "").strip()
    if peer_group and peer_group not in PeerGroup.values:
        raise InvalidInput(_("Unknown peer group “%(group)s”.") % {"group": peer_group[:50]}, field="peer_group")
    filters = AssignmentFilters(
        states=resolve_states(_values(states)),
        units=[u.pk for u in found_units],
        peer_group=peer_group,
        letter=found_letter.pk if found_letter else None,
    )
    return LedgerRequest(filters=filters, units=found_units, letter=found_letter)
