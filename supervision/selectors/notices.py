"""Where a user may draft a cycle's notice (the steps on a notice once drafted are the step
table's: ``services.steps``)."""

from __future__ import annotations

from django.db.models import Q

from supervision.models import Cycle, CycleState, Notice, Role, Unit, UnitKind, UnitResult, User
from supervision.services.roles import roles_by_unit

from .hand_down import unit_roles_for


def drafting_offices(user: User) -> list[Unit]:
    """Where the user drafts notices: the offices where they are a clerk (top office first), then
    the units ranking their sub-units where they play the clerk (the unit's liaison)."""
    unit_clerk = set(unit_roles_for([Role.CLERK]))
    held = roles_by_unit(user)
    clerk_in = [unit for unit, roles in held.items() if Role.CLERK in roles]
    liaison_in = [unit for unit, roles in held.items() if roles & unit_clerk]
    if not clerk_in and not liaison_in:
        return []
    found = list(
        Unit.objects.filter(
            Q(pk__in=clerk_in, kind=UnitKind.OFFICE)
            | (Q(pk__in=liaison_in, ranks_sub_units=True) & ~Q(kind=UnitKind.OFFICE))
        ).order_by("sort_order", "pk")
    )
    return sorted(found, key=lambda o: (not o.is_office, o.parent_id is not None))


def drafting_cycle(ranker: Unit, number: int | None, pk: int | None = None) -> Cycle | None:
    """The cycle a notice is drafted for: the office's own cycle ``number``; for a unit ranking its
    sub-units, a cycle in which it ranked them, by id (``pk``: it may rank in the cycles of several
    offices, numbered alike), else the latest of that number."""
    if ranker.is_office:
        return Cycle.objects.filter(office=ranker, number=number).first() if number is not None else None
    ranked_in = Cycle.objects.filter(pk__in=UnitResult.objects.filter(ranked_by=ranker).values("cycle_id"))
    if pk is not None:
        return ranked_in.filter(pk=pk).first()
    if number is None:
        return None
    return ranked_in.filter(number=number).order_by("-closed_at", "-pk").first()


def may_draft_for(user: User, cycle: Cycle, ranker: Unit | None = None) -> Unit | None:
    """The office (or unit ranking its sub-units) the user may draft this cycle's notice for:
    ``ranker``, default the cycle's office; the cycle closed and ranked there; the user its clerk
    (the unit's liaison); no notice drafted yet."""
    if cycle.state != CycleState.CLOSED:
        return None
    ranker_id = cycle.office_id if ranker is None else ranker.pk
    office = next((o for o in drafting_offices(user) if o.pk == ranker_id), None)
    if office is None:
        return None
    if office.is_office and office.pk != cycle.office_id:
        return None
    if not office.is_office and not UnitResult.objects.filter(cycle=cycle, ranked_by=office).exists():
        return None
    if Notice.objects.filter(office=office, cycle=cycle).exists():
        return None
    return office
