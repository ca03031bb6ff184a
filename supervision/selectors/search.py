"""Searching the assignments a user may see: filters, the traffic light, keyset pages.

Every list page of assignments (the office's queues, a unit's queue, the search page) is one
call of ``assignment_search``: the visible set from the selectors, the filters, then one page
ordered by (deadline, id) and cut by a cursor rather than an offset, so page 200 costs what
page 1 costs and the number of queries does not grow with the data.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from supervision import clock
from supervision.models import (
    OFFICE_ROLES,
    OPEN_STATES,
    Assignment,
    AssignmentState,
    PeerGroup,
    Unit,
    UnitKind,
    User,
)
from supervision.parsing import clean_text, parse_id
from supervision.selectors.visibility import assignments_visible_to
from supervision.services.roles import office_ids, roles_by_unit, unit_ids

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_QUERY = 100
# Our cursors are a date and an id, base64: about 40 characters.
MAX_CURSOR = 64


class Light:
    """红黄绿灯: red overdue; yellow due within LIGHT_YELLOW_DAYS, or missed the progress report of
    the last closed cycle and has not reported since, or one of the sub-tasks it was broken down
    into (分解/转办) is overdue; green on track. Red wins over yellow. Finished assignments
    (verified, closed) and dead ones show no light.

    The deadline part is computed from today's date on every read. The report and sub-task parts
    are stored (``Assignment.report_missed``, ``Assignment.sub_task_overdue``): ``manage.py tick``
    recomputes them, and a report (a sub-task's transition) clears them at once. Lists, the
    overviews, the dashboard and tick all use the rule below, so they agree."""

    GREEN, YELLOW, RED, NONE = "green", "yellow", "red", ""
    CHOICES = (
        (GREEN, _("Green: on track")),
        (YELLOW, _("Yellow: due soon, a report missed or a sub-task overdue")),
        (RED, _("Red: overdue")),
    )


def light_expression(today: dt.date | None = None) -> Case:
    today = today or clock.today()
    soon = today + dt.timedelta(days=settings.LIGHT_YELLOW_DAYS)
    return Case(
        When(~Q(state__in=OPEN_STATES), then=Value(Light.NONE)),
        When(deadline__lt=today, then=Value(Light.RED)),
        When(deadline__lte=soon, then=Value(Light.YELLOW)),
        When(report_missed=True, then=Value(Light.YELLOW)),
        When(sub_task_overdue=True, then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(),
    )


def light_filter(light: str, today: dt.date | None = None) -> Q:
    """The same rule as ``light_expression`` as a WHERE clause the (state, deadline) indexes and
    the partial indexes on missed reports and overdue sub-tasks serve."""
    today = today or clock.today()
    soon = today + dt.timedelta(days=settings.LIGHT_YELLOW_DAYS)
    open_ = Q(state__in=OPEN_STATES)
    if light == Light.RED:
        return open_ & Q(deadline__lt=today)
    if light == Light.YELLOW:
        late_below = Q(report_missed=True) | Q(sub_task_overdue=True)
        return open_ & Q(deadline__gte=today) & (Q(deadline__lte=soon) | late_below)
    if light == Light.GREEN:
        return open_ & Q(deadline__gt=soon, report_missed=False, sub_task_overdue=False)
    return Q()


class Level:
    """Which tasks of the tree a list shows: all of them, the office's direct tasks (issued to a unit
    by its letter), or the sub-tasks units handed down (分解/转办). Lists show all by default."""

    ALL, DIRECT, SUB = "", "direct", "sub"
    CHOICES = (
        (ALL, _("All levels")),
        (DIRECT, _("Direct tasks only")),
        (SUB, _("Sub-tasks only")),
    )


def level_filter(level: str) -> Q:
    if level == Level.DIRECT:
        return Q(parent__isnull=True)
    if level == Level.SUB:
        return Q(parent__isnull=False)
    return Q()


def peer_group_choices(user: User) -> list[tuple[str, str]]:
    """The peer groups a list's filter offers this person, in the order of ``PeerGroup``. Never the
    office's own group: offices hold no assignments, so filtering by it only ever shows nothing.
    The office sees every responsible unit's group; a unit member only the groups of their own
    units, and none at all when that is one group (every row they see is in it)."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser or office_ids(user):
        return [(value, label) for value, label in PeerGroup.choices if value != PeerGroup.OFFICE]
    own = set(
        Unit.objects.filter(pk__in=unit_ids(user)).exclude(kind=UnitKind.OFFICE).values_list("peer_group", flat=True)
    )
    own.discard(PeerGroup.OFFICE)
    if len(own) < 2:
        return []
    return [(value, label) for value, label in PeerGroup.choices if value in own]


def office_filter(user: User, wanted: Any) -> int | None:
    """The office a list is narrowed to (``?by=<office id>``, the parameter of every per-office
    page): ``wanted`` when the user holds an office role there, else None, meaning no filter. An
    office that is not theirs, a unit, or garbage narrows nothing: it shows what the list shows
    without it, never another office's rows and never an error. The filter only ever narrows
    the visible set, so even a wrong id could not widen it. No query: the roles are the ones
    already read for the request."""
    office = parse_id(wanted)
    if office is None or not roles_by_unit(user).get(office, frozenset()) & OFFICE_ROLES:
        return None
    return office


def office_choices(user: User) -> list[Unit]:
    """The offices a list's office filter offers: the user's offices, top office first, only when
    there are two or more (with one, every row of theirs is of it, and the filter is no choice).
    No query for someone with fewer than two office roles' units; one otherwise."""
    held = [unit for unit, roles in roles_by_unit(user).items() if roles & OFFICE_ROLES]
    if len(held) < 2:
        return []
    # Imported here: the overview's selectors import this module for the light rule.
    from supervision.selectors.overview import working_offices

    offices = working_offices(user)
    return offices if len(offices) > 1 else []


@dataclass
class AssignmentFilters:
    """What the user asked for; every field optional. Built from a GET form by the views."""

    states: list[str] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    peer_group: str = ""
    category: str = ""
    source: str = ""
    site: str = ""
    light: str = ""
    overdue: bool = False
    open_only: bool = False
    letter: int | None = None
    claimed_by: int | None = None
    unclaimed: bool = False
    text: str = ""
    level: str = Level.ALL
    # The office whose letters' tasks a list shows (``office_filter``: one of the user's offices).
    office: int | None = None

    def apply(self, qs: QuerySet[Assignment], today: dt.date | None = None) -> QuerySet[Assignment]:
        today = today or clock.today()
        if self.states:
            qs = qs.filter(state__in=self.states)
        if self.level:
            qs = qs.filter(level_filter(self.level))
        if self.open_only:
            qs = qs.filter(state__in=OPEN_STATES)
        if self.units:
            qs = qs.filter(unit_id__in=self.units)
        if self.peer_group:
            qs = qs.filter(unit__peer_group=self.peer_group)
        if self.category:
            qs = qs.filter(item__category=self.category)
        if self.source:
            qs = qs.filter(item__source=self.source)
        # Free text is cleaned here too, whoever built the filters: a NUL is a database error.
        site = clean_text(self.site)
        if site:
            qs = qs.filter(item__site=site)
        if self.light:
            qs = qs.filter(light_filter(self.light, today))
        if self.overdue:
            qs = qs.filter(light_filter(Light.RED, today))
        if self.letter:
            qs = qs.filter(letter_id=self.letter)
        if self.office:
            # The letter's office: its foreign-key index, then (letter, state) on the tasks.
            qs = qs.filter(letter__office_id=self.office)
        if self.claimed_by:
            qs = qs.filter(claimed_by_id=self.claimed_by)
        if self.unclaimed:
            qs = qs.filter(claimed_by__isnull=True)
        text = clean_text(self.text, MAX_QUERY)
        if text:
            qs = qs.filter(
                Q(item__description__icontains=text)
                | Q(item__site__icontains=text)
                | Q(item__measures__icontains=text)
                | Q(letter__number__icontains=text)
                | Q(letter__title__icontains=text)
                | Q(unit__name__icontains=text)
                | Q(responsible_person__icontains=text)
            )
        return qs


# What a list row shows: the task, its item, letter, unit and claimer, and for a sub-task the unit
# that handed it down (its parent's), all in the page's one query.
LIST_RELATED = ("item", "letter", "unit", "claimed_by", "parent__unit")


@dataclass
class Page:
    rows: list[Assignment]
    next_cursor: str  # "" on the last page
    size: int


def _encode(deadline: dt.date, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{deadline.isoformat()}|{pk}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.date, int] | None:
    """A cursor from our own link, or None for anything else (a bad cursor means page one)."""
    if len(cursor) > MAX_CURSOR:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, pk = raw.split("|")
        # The id as strictly as every other id: int() would take "٣" and numbers past the column.
        row = parse_id(pk)
        return (dt.date.fromisoformat(day), row) if row is not None else None
    except (ValueError, UnicodeDecodeError):
        return None


def assignment_search(
    user: User,
    filters: AssignmentFilters | None = None,
    *,
    cursor: str = "",
    size: int = PAGE_SIZE,
    base: QuerySet[Assignment] | None = None,
) -> Page:
    """One page of the assignments the user may see, soonest deadline first. Two queries at most
    whatever the data (the page, and the visible-set check it embeds as subqueries)."""
    today = clock.today()
    qs = base if base is not None else assignments_visible_to(user)
    qs = (filters or AssignmentFilters()).apply(qs, today)
    after = _decode(cursor) if cursor else None
    if after is not None:
        day, pk = after
        qs = qs.filter(Q(deadline__gt=day) | Q(deadline=day, pk__gt=pk))
    size = max(1, min(size, MAX_PAGE_SIZE))
    # The page's ids are picked first, from the assignments alone, and only those rows are joined
    # to what a row shows: with the joins in the same SELECT the database joined every visible
    # row (thousands for a county) before keeping the page's 51.
    page_ids = qs.order_by("deadline", "pk").values("pk")[: size + 1]
    rows = list(
        # The task a sub-task was handed down from, and its unit: the list's "handed down by".
        Assignment.objects.filter(pk__in=page_ids)
        .select_related(*LIST_RELATED)
        .annotate(light=light_expression(today))
        .order_by("deadline", "pk")
    )
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_cursor=_encode(rows[-1].deadline, rows[-1].pk) if more else "", size=size)


def assignment_counts(user: User, filters: AssignmentFilters | None = None) -> dict[str, Any]:
    """How many match, by state, in one aggregate query (for the tabs and chips of a list page)."""
    qs = (filters or AssignmentFilters()).apply(assignments_visible_to(user))
    by_state = dict(qs.order_by().values_list("state").annotate(n=Count("pk")))
    return {
        "total": sum(by_state.values()),
        "by_state": {s.value: by_state.get(s.value, 0) for s in AssignmentState},
    }
