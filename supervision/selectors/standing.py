"""A unit's standing in the latest ranking, for its landing page: one query for all the units
of a member.

Each office runs its own cycles and ranking (a province office ranks its cities, a city office
its counties), and a unit may rank its sub-units: a unit's standing is its place in the latest
closed cycle of the ranking it is in — the nearest office's when several rank it (a county a
province letter also reached stays its city's), an office's before a unit's ranking of its
sub-units."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Q, Subquery

from supervision.models import Cycle, CycleState, UnitKind, UnitResult


def _preference(r: UnitResult) -> tuple[bool, bool, int]:
    ranker = r.ranked_by
    return (not ranker.is_office, ranker.parent_id is None, ranker.pk)


def latest_results(unit_ids: Iterable[int]) -> dict[int, UnitResult]:
    """{unit id: its result in the latest closed cycle of the ranking it is in} for units that
    have one (``ranked_by`` says whose ranking). The caller passes the user's own units only (a
    unit always sees its own place; see ``rankings``)."""
    # The latest closed cycle of whoever ranked: an office's own cycle, or for a unit ranking its
    # sub-units the latest cycle in which it ranked them (its office's).
    latest_of_office = (
        Cycle.objects.filter(office_id=OuterRef("ranked_by_id"), state=CycleState.CLOSED)
        .order_by("-number")
        .values("pk")[:1]
    )
    latest_of_unit = (
        UnitResult.objects.filter(ranked_by_id=OuterRef("ranked_by_id"), cycle__state=CycleState.CLOSED)
        .order_by("-cycle__closed_at", "-cycle_id")
        .values("cycle_id")[:1]
    )
    rows = (
        UnitResult.objects.filter(unit_id__in=list(unit_ids))
        .filter(
            Q(ranked_by__kind=UnitKind.OFFICE, cycle_id=Subquery(latest_of_office))
            | (~Q(ranked_by__kind=UnitKind.OFFICE) & Q(cycle_id=Subquery(latest_of_unit)))
        )
        .select_related("cycle", "ranked_by")
    )
    found: dict[int, UnitResult] = {}
    for r in sorted(rows, key=_preference):
        found.setdefault(r.unit_id, r)
    return found
