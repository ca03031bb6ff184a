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

from supervision.models import (
    PHASES,
    AssignmentState,
    ItemCategory,
    ItemSource,
    Letter,
    PeerGroup,
    Unit,
    UnitKind,
    User,
)
from supervision.parsing import clean_text, parse_id
from supervision.selectors import visibility
from supervision.selectors.search import AssignmentFilters, Level, Light
from supervision.services import InvalidInput
from supervision.services.roles import office_ids

MAX_VALUES = 200  # per parameter: a link listing more is not a person's filter
MAX_TEXT = 120  # search text and site, as long as the list's own fields take
UNIT_ORDER = ("kind", "sort_order", "id")


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
    if len(items) > MAX_VALUES:
        raise InvalidInput(_("Too many values in one filter."), field="filters")
    # "1,2" and repeated parameters both work. Control characters go first: PostgreSQL refuses
    # a NUL in a text parameter, and no unit name or letter number holds one.
    values = [part for item in items for part in (clean_text(p, MAX_TEXT) for p in str(item).split(",")) if part]
    if len(values) > MAX_VALUES:
        raise InvalidInput(_("Too many values in one filter."), field="filters")
    return values


def resolve_unit(value: str) -> Unit:
    query = Q(name=value) | Q(short_name=value)
    if (pk := parse_id(value)) is not None:
        query |= Q(pk=pk)
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
    if (pk := parse_id(value)) is not None:
        query |= Q(pk=pk)
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


def _choice(value: str | None, choices: Sequence[str], message: str, field_name: str) -> str:
    value = clean_text(value, MAX_TEXT)
    if value and value not in choices:
        raise InvalidInput(message % {"value": value[:50]}, field=field_name)
    return value


def _flag(value: str | None) -> bool:
    # As an HTML checkbox sends it ("on"), or as a person types it in a link.
    return (value or "").strip().lower() in ("on", "1", "true", "yes")


def ledger_request(
    *,
    units: Iterable[str] | str | None = None,
    letter: str | None = None,
    states: Iterable[str] | str | None = None,
    peer_group: str | None = None,
    letters: QuerySet[Letter] | None = None,
    text: str | None = None,
    light: str | None = None,
    category: str | None = None,
    source: str | None = None,
    site: str | None = None,
    overdue: str | None = None,
    open_only: str | None = None,
    level: str | None = None,
) -> LedgerRequest:
    """Resolve the filters; ``letters`` limits which letters may be named (default: all).

    Besides its own (units, letter, states, peer group), the ledger takes every filter of the
    assignment lists (search text, light, category, source, site, overdue, open only), under the
    same query-string names, so "export" on a list exports what the list shows.
    """
    found_units = [resolve_unit(v) for v in _values(units)]
    found_letter = None
    letter = clean_text(letter, MAX_TEXT)
    if letter:
        found_letter = resolve_letter(letter, letters if letters is not None else Letter.objects.all())
    peer_group = clean_text(peer_group, MAX_TEXT)
    if peer_group and peer_group not in PeerGroup.values:
        raise InvalidInput(_("Unknown peer group “%(group)s”.") % {"group": peer_group[:50]}, field="peer_group")
    filters = AssignmentFilters(
        states=resolve_states(_values(states)),
        units=[u.pk for u in found_units],
        peer_group=peer_group,
        letter=found_letter.pk if found_letter else None,
        text=clean_text(text, MAX_TEXT),
        light=_choice(light, [c for c, _label in Light.CHOICES], _("Unknown light “%(value)s”."), "light"),
        category=_choice(category, ItemCategory.values, _("Unknown category “%(value)s”."), "category"),
        source=_choice(source, ItemSource.values, _("Unknown source “%(value)s”."), "source"),
        site=clean_text(site, MAX_TEXT),
        overdue=_flag(overdue),
        open_only=_flag(open_only),
        level=_choice(level, [c for c, _label in Level.CHOICES if c], _("Unknown level “%(value)s”."), "level"),
    )
    return LedgerRequest(filters=filters, units=found_units, letter=found_letter)


def ledger_unit_label(asked: LedgerRequest, user: User | None = None, office: int | None = None) -> str:
    """单位 at the head of a ledger: whose ledger it is. The units asked for; else a unit user's own
    units; else the office's name: the office the ledger was narrowed to (``office``, one of the
    person's: the list's ``?by=``), the offices the user works in, or, for a ledger of one letter,
    the office that issued it (so a ledger filtered by letter is never headed by a blank).
    ``user=None`` is the command line, which sees everything."""
    if asked.units:
        return "、".join(u.name for u in asked.units)
    if office is not None:
        return Unit.objects.filter(pk=office).values_list("name", flat=True).first() or ""
    offices = office_ids(user) if user is not None and not user.is_superuser else set()
    if user is not None and not user.is_superuser and not offices:
        return "、".join(visibility.units_of(user).order_by(*UNIT_ORDER).values_list("name", flat=True))
    if asked.letter is not None:
        return Unit.objects.filter(pk=asked.letter.office_id).values_list("name", flat=True).first() or ""
    return "、".join(Unit.objects.filter(pk__in=offices).order_by(*UNIT_ORDER).values_list("name", flat=True))


# --- the filter line -----------------------------------------------------------------------------------

# What each filter is called on the filter line at the head of a printed ledger (after 单位：…):
# fixed words of the document, Chinese whatever the reader's language (see notices/wording.py).
# A light's value says what it is (红灯：已逾期); the two flags are words of their own.
FILTER_WORDS = {
    "letter": "文号",
    "states": "状态",
    "peer_group": "排队类别",
    "category": "问题类别",
    "source": "问题来源",
    "site": "安置点",
    "text": "关键词",
    "light": "",
    "overdue": "仅看逾期",
    "open_only": "仅看未办结",
    "level": "",
}
# A printed ledger's words for the level asked (fixed words of the document, like FILTER_WORDS).
LEVEL_WORDS = {Level.DIRECT: "直接交办任务", Level.SUB: "下级分解转办任务"}


def ledger_filters_named(asked: LedgerRequest) -> list[tuple[str, str]]:
    """What narrowed the ledger besides its units, as (FILTER_WORDS key, the values in words): the
    letter by its number (its title while it has none), states, groups, categories and sources by
    their labels in the active language. A flag's value is empty. No query: all is resolved."""
    f = asked.filters
    found: list[tuple[str, str]] = []
    if asked.letter is not None:
        found.append(("letter", asked.letter.number or asked.letter.title))
    labels = (
        ("states", AssignmentState, f.states),
        ("peer_group", PeerGroup, [f.peer_group] if f.peer_group else []),
        ("category", ItemCategory, [f.category] if f.category else []),
        ("source", ItemSource, [f.source] if f.source else []),
    )
    for key, choices, values in labels:
        names = {c.value: str(c.label) for c in choices}
        if values:
            found.append((key, "、".join(names.get(v, v) for v in values)))
    if f.site:
        found.append(("site", f.site))
    if f.text:
        found.append(("text", f"“{f.text}”"))
    if f.light:
        found.append(("light", str(dict(Light.CHOICES).get(f.light, f.light))))
    found += [(key, "") for key, on in (("overdue", f.overdue), ("open_only", f.open_only)) if on]
    if f.level:
        found.append(("level", LEVEL_WORDS.get(f.level, f.level)))
    return found


def ledger_filter_text(asked: LedgerRequest) -> str:
    """The filter line of a printed ledger, after its unit: 文号：吕巩办督〔2026〕1号；状态：整改中；
    仅看逾期. Empty when nothing but units narrowed it. Call with the document language active."""
    parts = []
    for key, value in ledger_filters_named(asked):
        word = FILTER_WORDS[key]
        parts.append(f"{word}：{value}" if word and value else word or value)
    return "；".join(parts)


def ledger_head(asked: LedgerRequest, user: User | None = None, office: int | None = None) -> str:
    """What follows 单位： at the head of a printed ledger: whose ledger it is, and what it was
    filtered by (the letter above all: a ledger of one letter is otherwise headed by its office
    alone). The Excel file and the PDF print it alike."""
    unit = ledger_unit_label(asked, user, office)
    filters = ledger_filter_text(asked)
    return f"{unit}　{filters}" if unit and filters else unit or filters


# --- what the ledger page offers ----------------------------------------------------------------------

MAX_LETTER_CHOICES = 300  # the latest; older letters are still reachable by number in a link


def ledger_units(user: User) -> QuerySet[Unit]:
    """Units the ledger page lists: every responsible unit for the office, the user's own otherwise
    (a unit's ledger never holds another unit's rows, so offering them would only mislead)."""
    if user.is_superuser or office_ids(user):
        return Unit.objects.filter(is_active=True).exclude(kind=UnitKind.OFFICE).order_by(*UNIT_ORDER)
    return visibility.units_of(user).exclude(kind=UnitKind.OFFICE).order_by(*UNIT_ORDER)


def ledger_letters(user: User) -> QuerySet[Letter]:
    """Letters the ledger page lists: those the user sees that have gone out (a draft has no rows)."""
    return (
        visibility.letters_visible_to(user)
        .exclude(issued_at__isnull=True)
        .only("pk", "number", "title")
        .order_by("-issued_at", "-pk")[:MAX_LETTER_CHOICES]
    )
