"""Where a user may draft a cycle's notice (the steps on a notice once drafted are the step
table's: ``services.steps``)."""

from __future__ import annotations

from supervision.models import Cycle, CycleState, Notice, Role, Unit, UnitKind, User
from supervision.services.roles import roles_by_unit


def drafting_office(user: User) -> Unit | None:
    """The office in which the user drafts notices (holds the clerk role), or None."""
    clerk_in = [unit for unit, roles in roles_by_unit(user).items() if Role.CLERK in roles]
    if not clerk_in:
        return None
    return Unit.objects.filter(pk__in=clerk_in, kind=UnitKind.OFFICE).order_by("sort_order", "pk").first()


def may_draft_for(user: User, cycle: Cycle) -> Unit | None:
    """The office the user may draft this cycle's notice for: closed cycle, clerk, none drafted yet."""
    if cycle.state != CycleState.CLOSED:
        return None
    office = drafting_office(user)
    if office is None or Notice.objects.filter(office=office, cycle=cycle).exists():
        return None
    return office
