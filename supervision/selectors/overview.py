"""The landing pages' figures (挂图作战, the part that needs no cycles), as a fixed handful of
aggregate queries whatever the data.

- ``office_overview``: one office's open work by state and light, overdue units, and what waits
  on whom, over every letter of that office (the office the page picked, ``office_picked``,
  for a person who holds office roles in more than one).
- ``unit_overview``: per responsible unit of the user, what waits to be claimed, what the user
  claimed, what waits for the unit leader; the tasks it holds, direct and handed down to it
  alike, and the sub-tasks it handed down itself (分解/转办): how many, how many overdue, and
  what of them waits on it (to verify, to write off, returns).

The office's figures are its direct tasks, as its ranking and ledgers count them: a sub-task is
the part of a unit's task that unit handed down, which the office sees but does not count twice.

Counts that a list page also shows are computed with that page's own rule (``search.light_filter``
for the lights, ``queues.QUEUES`` conditions for the queues), so a card and the list it links to
always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from supervision import clock
from supervision.models import (
    OFFICE_ROLES,
    OPEN_STATES,
    UNIT_ROLES,
    Assignment,
    AssignmentState,
    ExtensionRequest,
    ExtensionState,
    Letter,
    LetterState,
    Role,
    Unit,
    UnitKind,
    User,
)
from supervision.selectors.queues import HANDED_DOWN_QUEUES, QUEUES
from supervision.selectors.search import Light, light_filter
from supervision.services.roles import roles_by_unit


@dataclass
class Overview:
    by_state: list[tuple[str, str, int]]  # (state, label, count) for open states
    lights: dict[str, int]  # red / yellow / green among open assignments
    overdue: int
    open_total: int
    closed_total: int
    letters_to_sign: int
    letters_to_issue: int
    to_verify: int
    to_close: int
    returned: int
    extensions: int  # signed by the unit leader, waiting for the office's decision
    worst_units: list[dict]  # the units with most overdue open assignments


def working_offices(user: User) -> list[Unit]:
    """The offices where the user holds an office role (a city office where they only work the
    province's letters as a unit is not one), the top office first, then in the offices' order:
    the pages about one office open the first unless asked for another (``?by=``). One query."""
    held = [unit for unit, roles in roles_by_unit(user).items() if roles & OFFICE_ROLES]
    if not held:
        return []
    found = list(Unit.objects.filter(pk__in=held, kind=UnitKind.OFFICE))
    return sorted(found, key=lambda o: (o.parent_id is not None, o.sort_order, o.pk))


def office_picked(user: User, wanted: int | None) -> tuple[Unit | None, list[Unit]]:
    """(the office a page is about, the offices the user may pick from): ``wanted`` when it is one
    of theirs, else their first; (None, []) for someone in no office."""
    mine = working_offices(user)
    picked = next((o for o in mine if o.pk == wanted), mine[0] if mine else None)
    return picked, mine


def office_overview(user: User, today: dt.date | None = None, office: Unit | None = None) -> Overview | None:
    """The figures of one office: ``office`` as the page picked it (``office_picked``), else the
    user's first office. None when the user holds no office role there (or none anywhere).

    One office, not every office of the user: a person who is clerk in the province office and
    in a city office works two sets of letters, ranked and run in separate cycles, and the page
    says which one it shows. Four queries whatever the data (a fifth, the offices, only when
    ``office`` is not given)."""
    if office is None:
        office, _offices = office_picked(user, None)
    # The office must be one where the user holds an office role: read from the roles already
    # loaded for the request, so the check costs no query.
    if (
        office is None
        or office.kind != UnitKind.OFFICE
        or not roles_by_unit(user).get(office.pk, frozenset()) & OFFICE_ROLES
    ):
        return None
    today = today or clock.today()
    mine = Assignment.objects.filter(letter__office_id=office.pk, parent__isnull=True)
    open_ = Q(state__in=OPEN_STATES)
    # One aggregate for every assignment figure, the per-state counts included.
    per_state = {f"state_{s}": Count("pk", filter=Q(state=s)) for s in OPEN_STATES}
    totals = mine.aggregate(
        **per_state,
        red=Count("pk", filter=light_filter(Light.RED, today)),
        yellow=Count("pk", filter=light_filter(Light.YELLOW, today)),
        green=Count("pk", filter=light_filter(Light.GREEN, today)),
        closed_total=Count("pk", filter=Q(state=AssignmentState.CLOSED)),
        to_close=Count("pk", filter=Q(state=AssignmentState.VERIFIED)),
        returned=Count("pk", filter=Q(state=AssignmentState.RETURNED)),
    )
    labels = dict(AssignmentState.choices)
    by_state = [(s, str(labels[s]), totals[f"state_{s}"]) for s in OPEN_STATES]
    letters = Letter.objects.filter(office_id=office.pk).aggregate(
        # Awaiting signature: sent to a director (送签). A draft nobody sent is still the clerk's.
        drafts=Count("pk", filter=Q(state=LetterState.PENDING_SIGNATURE)),
        signed=Count("pk", filter=Q(state=LetterState.SIGNED)),
    )
    # Office-wide, not only the requests this person may decide: an inspector or an observer
    # sees the same figure as the director.
    extensions = ExtensionRequest.objects.filter(
        state=ExtensionState.AWAITING_DECISION,
        assignment__letter__office_id=office.pk,
        assignment__parent__isnull=True,
    ).count()
    worst = list(
        mine.filter(open_, deadline__lt=today)
        .values("unit_id", "unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit__name")[:10]
    )
    return Overview(
        by_state=by_state,
        lights={"red": totals["red"], "yellow": totals["yellow"], "green": totals["green"]},
        overdue=totals["red"],
        open_total=sum(n for _s, _l, n in by_state),
        closed_total=totals["closed_total"],
        letters_to_sign=letters["drafts"],
        letters_to_issue=letters["signed"],
        to_verify=totals[f"state_{AssignmentState.AWAITING_VERIFICATION}"],
        to_close=totals["to_close"],
        returned=totals["returned"],
        extensions=extensions,
        worst_units=worst,
    )


@dataclass
class UnitFigures:
    """One responsible unit of the user, as its landing page shows it."""

    unit: Unit
    roles: frozenset[str]  # the user's roles in this unit
    unclaimed: int  # issued, nobody has claimed it yet (待签收)
    mine: int  # claimed by this user and still being worked on
    awaiting_signoff: int  # returns and completion reports waiting for the unit leader (审签)
    extensions_to_sign: int  # extension requests waiting for the unit leader
    open_total: int
    overdue: int  # red light
    due_soon: int  # yellow light
    # The sub-tasks this unit handed down itself (分解/转办), not reassigned away nor withdrawn.
    handed_down: int = 0
    handed_down_open: int = 0
    handed_down_overdue: int = 0  # red light
    sub_to_verify: int = 0  # completion signed by the unit below, waiting for this unit's check
    sub_to_close: int = 0  # verified, waiting for this unit's leader to write it off
    sub_returned: int = 0  # returned by the unit below, waiting for this unit's decision

    @property
    def is_leader(self) -> bool:
        return Role.LEADER in self.roles

    @property
    def is_liaison(self) -> bool:
        return Role.LIAISON in self.roles


def unit_overview(user: User, today: dt.date | None = None) -> list[UnitFigures]:
    """The units where the user holds a unit role (responsible units, and a city office working
    the province's letters), in the units' usual order; [] when none.
    Three queries whatever the data (the units, one grouped aggregate of the tasks they hold, the
    extension requests), and a fourth for units with units below them: one grouped aggregate of
    the sub-tasks they handed down."""
    held = {unit: roles & UNIT_ROLES for unit, roles in roles_by_unit(user).items() if roles & UNIT_ROLES}
    if not held:
        return []
    today = today or clock.today()
    # Whether a unit has units below it (active or not: a sub-task outlives its unit's closing),
    # so a unit at the bottom of the tree is not asked what it handed down.
    # A city office is among them when the person works the province's letters in it (its unit
    # roles): an office never holds a task of its own letters, so what it holds is the letters
    # of the office above it.
    units = list(
        Unit.objects.filter(pk__in=held).annotate(has_below=Exists(Unit.objects.filter(parent_id=OuterRef("pk"))))
    )
    if not units:
        return []
    ids = [u.pk for u in units]
    # The queues' own conditions: the card's number is the length of the list it opens.
    rows = (
        Assignment.objects.filter(unit_id__in=ids)
        .values("unit_id")
        .annotate(
            unclaimed=Count("pk", filter=QUEUES["unclaimed"].condition(user)),
            mine=Count("pk", filter=QUEUES["mine"].condition(user)),
            # Shown to the liaisons too (the leader's queue is role-limited, this count is not).
            awaiting_signoff=Count("pk", filter=Q(state__in=QUEUES["unit_signoff"].states)),
            open_total=Count("pk", filter=Q(state__in=OPEN_STATES)),
            overdue=Count("pk", filter=light_filter(Light.RED, today)),
            due_soon=Count("pk", filter=light_filter(Light.YELLOW, today)),
        )
        .order_by()
    )
    figures = {row.pop("unit_id"): row for row in rows}
    extensions = dict(
        ExtensionRequest.objects.filter(state=ExtensionState.AWAITING_SIGNOFF, assignment__unit_id__in=ids)
        .values_list("assignment__unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    empty = dict.fromkeys(("unclaimed", "mine", "awaiting_signoff", "open_total", "overdue", "due_soon"), 0)
    above = [u.pk for u in units if u.has_below]
    below = _handed_down_figures(above, today) if above else {}
    return [
        UnitFigures(
            unit=unit,
            roles=frozenset(held[unit.pk]),
            extensions_to_sign=extensions.get(unit.pk, 0),
            **figures.get(unit.pk, empty),
            **below.get(unit.pk, {}),
        )
        for unit in units
    ]


def _handed_down_figures(unit_ids: list[int], today: dt.date) -> dict[int, dict[str, int]]:
    """{unit id: figures of the sub-tasks it handed down}, grouped by the unit above them
    (``AssignmentAncestor`` at distance 1, read by its (unit, distance, assignment) index), with
    the light and queue rules of the lists: one query."""
    S = AssignmentState
    rows = (
        Assignment.objects.filter(ancestors__unit_id__in=unit_ids, ancestors__distance=1)
        .exclude(state__in=[S.REASSIGNED, S.WITHDRAWN])
        .values("ancestors__unit_id")
        .annotate(
            handed_down=Count("pk"),
            handed_down_open=Count("pk", filter=Q(state__in=OPEN_STATES)),
            handed_down_overdue=Count("pk", filter=light_filter(Light.RED, today)),
            sub_to_verify=Count("pk", filter=Q(state__in=HANDED_DOWN_QUEUES["sub_to_verify"].states)),
            sub_to_close=Count("pk", filter=Q(state__in=HANDED_DOWN_QUEUES["sub_to_close"].states)),
            sub_returned=Count("pk", filter=Q(state__in=HANDED_DOWN_QUEUES["sub_returned"].states)),
        )
        .order_by()
    )
    return {row.pop("ancestors__unit_id"): row for row in rows}
