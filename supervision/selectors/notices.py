"""Where a user may draft a cycle's notice (the steps on a notice once drafted are the step
table's: ``services.steps``)."""

from __future__ import annotations

from supervision.models import Cycle, CycleState, Notice, Role, Unit, UnitKind, User
from supervision.services.roles import roles_by_unit


def drafting_offices(user: User) -> list[Unit]:
    """The offices in which the user drafts notices (holds the clerk role), top office first."""
    clerk_in = [unit for unit, roles in roles_by_unit(user).items() if Role.CLERK in roles]
    if not clerk_in:
        return []
    found = list(Unit.objects.filter(pk__in=clerk_in, kind=UnitKind.OFFICE).order_by("sort_order", "pk"))
    return sorted(found, key=lambda o: o.parent_id is not None)


def drafting_office(user: User, cycle: Cycle | None = None) -> Unit | None:
    """The office in which the user drafts notices: the cycle's office when they are its clerk
    (None otherwise); without a cycle, the first office where they are a clerk."""
    found = drafting_offices(user)
    if cycle is not None:
        return next((o for o in found if o.pk == cycle.office_id), None)
    return found[0] if found else None


def may_draft_for(user: User, cycle: Cycle, ranker: Unit | None = None) -> Unit | None:
    """The office the user may draft this cycle's notice for: its own office's closed cycle,
    clerk there, none drafted yet. A unit's ranking of its sub-units (``ranker`` not an office)
    has no notice: its sheet is downloaded instead."""
    if cycle.state != CycleState.CLOSED or (ranker is not None and ranker.pk != cycle.office_id):
        return None
    office = drafting_office(user, cycle)
    if office is None or Notice.objects.filter(office=office, cycle=cycle).exists():
        return None
    return office
