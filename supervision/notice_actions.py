"""Which notice steps a user may offer right now (the pages show these buttons and nothing else).
Read from the same roles the services in ``services.notices`` require; the services still decide
on submit, since the notice may have moved meanwhile."""

from __future__ import annotations

from dataclasses import dataclass

from supervision.models import Cycle, CycleState, Notice, NoticeState, Role, Unit, UnitKind, User
from supervision.services.roles import has_role, roles_by_unit


@dataclass(frozen=True)
class NoticeSteps:
    edit: bool = False
    sign: bool = False
    publish: bool = False

    @property
    def any(self) -> bool:
        return self.edit or self.sign or self.publish


def notice_steps(user: User, notice: Notice) -> NoticeSteps:
    office = notice.office_id
    return NoticeSteps(
        edit=notice.state == NoticeState.DRAFT and has_role(user, office, [Role.CLERK]) is not None,
        # Four eyes: the drafter never signs (the service refuses it too).
        sign=notice.state == NoticeState.DRAFT
        and notice.drafter_id != user.pk
        and has_role(user, office, [Role.DIRECTOR]) is not None,
        publish=notice.state == NoticeState.SIGNED and has_role(user, office, [Role.CLERK, Role.DIRECTOR]) is not None,
    )


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
