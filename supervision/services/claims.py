"""Claiming an assignment (签收) and giving the claim back."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Assignment, Role, User

from .notify import notify_unit
from .steps import CLAIM, UNCLAIM
from .transitions import message_fields, reason_clean, step_run


@transaction.atomic
def assignment_claim(*, actor: User, assignment: Assignment | int, responsible_person: str = "") -> Assignment:
    """签收: a liaison takes the assignment for the unit. Exactly one claimer, ever."""

    person = reason_clean(responsible_person, required=False, limit=60)

    def apply(a: Assignment, role: str) -> list[str]:
        a.claimed_by = actor
        a.claimed_at = clock.now()
        a.responsible_person = person or actor.display_name
        return ["claimed_by", "claimed_at", "responsible_person"]

    a, _role = step_run(
        CLAIM,
        actor=actor,
        assignment=assignment,
        apply=apply,
        data={"responsible_person": person or actor.display_name},
    )
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="assignment_claimed",
        assignment=a,
        exclude=actor.pk,
        text=_("%(name)s claimed an item of %(number)s: %(item)s") % {"name": actor.display_name, **message_fields(a)},
    )
    return a


@transaction.atomic
def assignment_unclaim(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """Give a claimed assignment back to the unit's queue: the claimer, or the unit leader."""

    def apply(a: Assignment, role: str) -> list[str]:
        a.claimed_by, a.claimed_at = None, None
        return ["claimed_by", "claimed_at"]

    a, _role = step_run(
        UNCLAIM, actor=actor, assignment=assignment, comment=reason_clean(comment, required=False), apply=apply
    )
    return a
