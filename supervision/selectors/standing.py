"""A unit's standing in the latest ranking, for its landing page: one query for all the units
of a member."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Subquery

from supervision.models import Cycle, CycleState, UnitResult


def latest_results(unit_ids: Iterable[int]) -> dict[int, UnitResult]:
    """{unit id: its result in the latest closed cycle} for units that have one. The caller
    passes the user's own units only (a unit always sees its own place; see ``rankings``)."""
    latest = Cycle.objects.filter(state=CycleState.CLOSED).order_by("-number").values("pk")[:1]
    rows = UnitResult.objects.filter(unit_id__in=list(unit_ids), cycle_id=Subquery(latest)).select_related("cycle")
    return {r.unit_id: r for r in rows}
