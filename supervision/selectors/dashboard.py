"""The office's dashboard (挂图作战): where the work stands, as a fixed handful of SQL aggregates
whatever the data.

- assignments by state per peer group and per problem category;
- the burndown: assignments still open at each recent cycle's cut-off, and overdue ones as the
  ranking snapshot froze them;
- lights per unit (red/yellow/green among its open assignments), worst first;
- the rank history of the units at the bottom of the latest ranking.

Office roles only (None otherwise), one office at a time (a person in several picks): the
assignment figures cover the office's direct tasks of its letters (a sub-task a unit handed down
is that unit's part of its own task, not a second task of the office's), the ranking figures
every unit of the office's own ranking (the office sees them all, see ``rankings``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum

from supervision import clock
from supervision.models import (
    Assignment,
    AssignmentState,
    Cycle,
    CycleState,
    ItemCategory,
    PeerGroup,
    Unit,
    UnitResult,
    User,
)
from supervision.models.assignments import DEAD_STATES
from supervision.selectors.overview import office_picked
from supervision.selectors.rankings import GROUP_ORDER
from supervision.selectors.search import Light, light_filter

S = AssignmentState
# The states a chart shows, in the order of the work; the dead ones (reassigned, withdrawn) are
# nobody's work any more and stay out.
CHART_STATES: tuple[str, ...] = (
    S.ISSUED,
    S.RETURN_REQUESTED,
    S.RETURNED,
    S.ACCEPTED,
    S.IN_PROGRESS,
    S.COMPLETION_REQUESTED,
    S.AWAITING_VERIFICATION,
    S.VERIFIED,
    S.CLOSED,
)
BURNDOWN_CYCLES = 12
TOP_UNITS = 10
BOTTOM_UNITS = 5


@dataclass
class Breakdown:
    """Counts of assignments by (row, state): ``rows`` are (key, label), ``counts[key][state]``."""

    rows: list[tuple[str, str]]
    counts: dict[str, dict[str, int]]

    def series(self, state: str) -> list[int]:
        return [self.counts.get(key, {}).get(state, 0) for key, _label in self.rows]

    def total(self, key: str) -> int:
        return sum(self.counts.get(key, {}).values())


@dataclass
class BurndownPoint:
    number: int
    cutoff_at: dt.datetime
    open_at_cutoff: int
    overdue_at_cutoff: int  # as frozen in the ranking snapshot


@dataclass
class UnitLights:
    unit_id: int
    name: str
    red: int
    yellow: int
    green: int


@dataclass
class RankLine:
    unit_id: int
    name: str
    peer_group: str
    ranks: list[int | None]  # one per cycle of ``Dashboard.rank_cycles``, None: not ranked
    last_rank: int | None
    last_group_size: int


@dataclass
class Dashboard:
    office: Unit  # whose dashboard it is
    offices: list[Unit]  # the offices the person may pick from (theirs)
    by_group: Breakdown
    by_category: Breakdown
    burndown: list[BurndownPoint]  # oldest first
    lights: list[UnitLights]  # worst first
    rank_cycles: list[int] = field(default_factory=list)  # cycle numbers, oldest first
    bottom: list[RankLine] = field(default_factory=list)


def office_dashboard(user: User, today: dt.date | None = None, office: int | None = None) -> Dashboard | None:
    """One office's dashboard: ``office`` when the user holds an office role there, else their first
    office (see ``overview.working_offices``). None when the user holds no office role. Nine
    queries whatever the data.

    Each office runs its own cycles and ranking: a province's dashboard shows the province's
    cycles and its ranking of its cities, a city office's its own over its counties."""
    picked, offices = office_picked(user, office)
    if picked is None:
        return None
    today = today or clock.today()
    mine = (
        Assignment.objects.filter(letter__office_id=picked.pk, parent__isnull=True)
        .exclude(state__in=DEAD_STATES)
        .order_by()
    )
    # The office's recent closed cycles, oldest first: read once for the burndown and the rank
    # history.
    cycles = list(
        Cycle.objects.filter(office_id=picked.pk, state=CycleState.CLOSED)
        .order_by("-number")
        .values("pk", "number", "cutoff_at")[:BURNDOWN_CYCLES]
    )[::-1]
    return Dashboard(
        office=picked,
        offices=offices,
        by_group=_by_group(mine),
        by_category=_by_category(mine),
        burndown=_burndown(mine, cycles, picked.pk),
        lights=_lights(mine, today),
        **_bottom_ranks(cycles, picked.pk),
    )


def _by_group(mine) -> Breakdown:
    labels = dict(PeerGroup.choices)
    counts: dict[str, dict[str, int]] = {}
    for row in mine.values("unit__peer_group", "state").annotate(n=Count("pk")):
        # An office holding the office's tasks is a city office below it: counted with the cities,
        # as the ranking groups them.
        group = PeerGroup.CITY if row["unit__peer_group"] == PeerGroup.OFFICE else row["unit__peer_group"]
        counts.setdefault(group, {})[row["state"]] = row["n"]
    keys = [g for g in GROUP_ORDER if g in counts] + sorted(k for k in counts if k not in GROUP_ORDER)
    return Breakdown(rows=[(k, str(labels.get(k, k))) for k in keys], counts=counts)


def _by_category(mine) -> Breakdown:
    labels = dict(ItemCategory.choices)
    counts: dict[str, dict[str, int]] = {}
    for row in mine.values("item__category", "state").annotate(n=Count("pk")):
        counts.setdefault(row["item__category"], {})[row["state"]] = row["n"]
    keys = [c for c in ItemCategory.values if c in counts] + sorted(k for k in counts if k not in labels)
    return Breakdown(rows=[(k, str(labels.get(k, k))) for k in keys], counts=counts)


def _burndown(mine, cycles: list[dict], office_id: int) -> list[BurndownPoint]:
    """Open at a cut-off: issued by then, neither verified nor written off by then. One
    conditional count per cycle in a single aggregate, and the snapshot's overdue sums."""
    if not cycles:
        return []
    counts = mine.aggregate(
        **{
            f"c{c['pk']}": Count(
                "pk",
                filter=Q(issued_at__lte=c["cutoff_at"])
                & ~Q(verified_at__lte=c["cutoff_at"])
                & ~Q(closed_at__lte=c["cutoff_at"]),
            )
            for c in cycles
        }
    )
    overdue = dict(
        # The office's own ranking: not a unit's ranking of its sub-units in the same cycle.
        UnitResult.objects.filter(cycle_id__in=[c["pk"] for c in cycles], ranked_by_id=office_id)
        .values("cycle_id")
        .annotate(n=Sum("overdue"))
        .order_by()
        .values_list("cycle_id", "n")
    )
    return [
        BurndownPoint(
            number=c["number"],
            cutoff_at=c["cutoff_at"],
            open_at_cutoff=counts[f"c{c['pk']}"],
            overdue_at_cutoff=overdue.get(c["pk"]) or 0,
        )
        for c in cycles
    ]


def _lights(mine, today: dt.date) -> list[UnitLights]:
    rows = (
        mine.values("unit_id", "unit__name")
        .annotate(
            red=Count("pk", filter=light_filter(Light.RED, today)),
            yellow=Count("pk", filter=light_filter(Light.YELLOW, today)),
            green=Count("pk", filter=light_filter(Light.GREEN, today)),
        )
        .filter(Q(red__gt=0) | Q(yellow__gt=0) | Q(green__gt=0))
        .order_by("-red", "-yellow", "-green", "unit__name")[:TOP_UNITS]
    )
    return [UnitLights(r["unit_id"], r["unit__name"], r["red"], r["yellow"], r["green"]) for r in rows]


def _bottom_ranks(cycles: list[dict], office_id: int) -> dict:
    """The units nearest the bottom of their group in the office's ranking of its latest closed
    cycle (last place first), with their places over the recent cycles: two queries."""
    numbers = [c["number"] for c in cycles]
    if not numbers:
        return {"rank_cycles": [], "bottom": []}
    ranked = UnitResult.objects.filter(cycle_id__in=[c["pk"] for c in cycles], ranked_by_id=office_id, ranked=True)
    latest = (
        ranked.filter(cycle_id=cycles[-1]["pk"])
        .annotate(from_bottom=F("group_size") - F("rank"))
        .order_by("from_bottom", "-group_size", "unit__sort_order", "unit_id")
        .values("unit_id", "unit__short_name", "unit__name", "peer_group", "rank", "group_size")[:BOTTOM_UNITS]
    )
    lines = {
        r["unit_id"]: RankLine(
            unit_id=r["unit_id"],
            name=r["unit__short_name"] or r["unit__name"],
            peer_group=r["peer_group"],
            ranks=[None] * len(numbers),
            last_rank=r["rank"],
            last_group_size=r["group_size"],
        )
        for r in latest
    }
    position = {n: i for i, n in enumerate(numbers)}
    for unit_id, number, rank in ranked.filter(unit_id__in=list(lines)).values_list("unit_id", "cycle__number", "rank"):
        lines[unit_id].ranks[position[number]] = rank
    return {"rank_cycles": numbers, "bottom": list(lines.values())}
