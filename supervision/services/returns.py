"""Returns (退回): the unit disputes responsibility, its leader signs or refuses, and the office
either gives the item to another unit (改派) or keeps this one responsible."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Assignment, AssignmentAncestor, AssignmentState, Role, SignOffKind, Unit, User
from supervision.selectors.hand_down import answerable_unit, live_sub_tasks

from . import steps
from .audit import audit_record
from .errors import InvalidInput
from .notify import notify_unit
from .steps import APPROVE_RETURN, REASSIGN, REFUSE_RETURN, REISSUE, REQUEST_RETURN
from .transitions import message_fields, parent_flag_refresh, reason_clean, signoff_record, step_run

S = AssignmentState


@transaction.atomic
def assignment_request_return(*, actor: User, assignment: Assignment | int, reason: str) -> Assignment:
    """退回: the unit disputes responsibility. Goes to the unit leader for signature."""
    reason = reason_clean(reason, label=_("The reason for the return"))

    def apply(a: Assignment, role: str) -> list[str]:
        a.return_reason = reason
        return ["return_reason"]

    a, _role = step_run(
        REQUEST_RETURN,
        actor=actor,
        assignment=assignment,
        comment=reason,
        apply=apply,
    )
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LEADER],
        verb="signoff_needed",
        assignment=a,
        exclude=actor.pk,
        text=_("A return awaits your signature: %(item)s") % message_fields(a),
    )
    return a


@transaction.atomic
def assignment_approve_return(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """The unit leader signs the return; it goes to the office."""
    comment = reason_clean(comment, required=False)
    a, _role = step_run(APPROVE_RETURN, actor=actor, assignment=assignment, comment=comment)
    signoff_record(a, actor, SignOffKind.RETURN, True, comment)
    notify_unit(
        unit_id=a.letter.office_id,
        roles=[Role.CLERK],
        verb="assignment_returned",
        assignment=a,
        text=_("%(unit)s returned an item of %(number)s: %(item)s") % message_fields(a),
    )
    return a


@transaction.atomic
def assignment_refuse_return(*, actor: User, assignment: Assignment | int, comment: str) -> Assignment:
    """The unit leader refuses the return: the unit keeps the assignment."""
    comment = reason_clean(comment, label=_("The reason for refusing"))

    def apply(a: Assignment, role: str) -> list[str]:
        a.return_reason = ""
        return ["return_reason"]

    a, _role = step_run(REFUSE_RETURN, actor=actor, assignment=assignment, comment=comment, apply=apply)
    signoff_record(a, actor, SignOffKind.RETURN, False, comment)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON],
        verb="signoff_refused",
        assignment=a,
        exclude=actor.pk,
        # The reason, shortened: the whole of it is on the task page.
        text=_("The leader refused the return: %(item)s. Reason: %(reason)s")
        % {**message_fields(a), "reason": Truncator(comment).chars(80)},
    )
    return a


@transaction.atomic
def assignment_reassign(
    *, actor: User, assignment: Assignment | int, unit: Unit | int, comment: str = ""
) -> Assignment:
    """改派: the office gives a returned item to another unit. Returns the new assignment.

    A returned sub-task is reassigned by the unit that handed it down, and only to another unit
    directly below it: the new sub-task takes the old one's place under the same parent, with
    its measures, its deadline and the units above it."""
    unit_id = _unit_id(unit)
    # A responsible unit, or an office below another (a city office receives the province's
    # tasks as a unit); which office is checked against the task's letter below.
    target = (
        Unit.objects.filter(pk=unit_id, is_active=True).exclude(kind="office", parent__isnull=True).first()
        if unit_id
        else None
    )
    if target is None:
        raise InvalidInput(_("Choose an active responsible unit to reassign to."), field="unit")
    comment = reason_clean(comment, required=False)

    def check(a: Assignment) -> None:
        if target.pk == a.unit_id:
            raise InvalidInput(_("Reassign to another unit, or re-issue to keep it with this one."), field="unit")
        if target.is_office and (a.parent_id is not None or target.parent_id != a.letter.office_id):
            # As a letter is addressed: only to an office directly below the issuing office.
            raise InvalidInput(_("Choose an active responsible unit to reassign to."), field="unit")
        if a.parent_id is not None:
            above = answerable_unit(a)
            if target.parent_id != above:
                raise InvalidInput(
                    _("A sub-task can only be reassigned to another unit directly below %(unit)s.")
                    % {"unit": a.parent.unit.display_name},
                    field="unit",
                )
            live = live_sub_tasks(a.parent_id).filter(unit_id=target.pk)
        else:
            # As the constraint on live top-level tasks counts them: all but reassigned ones.
            live = Assignment.objects.filter(item_id=a.item_id, unit_id=target.pk, parent__isnull=True).exclude(
                state=S.REASSIGNED
            )
        if live.exists():
            raise InvalidInput(_("%(unit)s already holds this item.") % {"unit": target.name}, field="unit")

    old, role = step_run(
        REASSIGN, actor=actor, assignment=assignment, comment=comment, check=check, data={"to_unit": target.pk}
    )
    now = clock.now()
    new = Assignment.objects.create(
        item=old.item,
        letter=old.letter,
        unit=target,
        role=old.role,
        deadline=old.deadline,
        issued_at=now,
        reassigned_from=old,
        parent_id=old.parent_id,
        depth=old.depth,
        handed_down_as=old.handed_down_as,
        measures=old.measures,
    )
    if old.parent_id is not None:
        # The same units above it: the new one is seen by whoever saw the old one.
        AssignmentAncestor.objects.bulk_create(
            AssignmentAncestor(assignment=new, unit_id=u, distance=d)
            for u, d in AssignmentAncestor.objects.filter(assignment_id=old.pk).values_list("unit_id", "distance")
        )
        parent_flag_refresh(old.parent_id)
    audit_record(
        actor=actor,
        role=role,
        unit_id=steps.where(REASSIGN, old),
        action="assignment.issued",
        assignment=new,
        to_state=new.state,
        comment=comment,
        data={"reassigned_from": old.pk, "from_unit": old.unit_id},
    )
    notify_unit(
        unit_id=target.pk,
        roles=[Role.LIAISON, Role.LEADER],
        verb="assignment_reassigned",
        assignment=new,
        text=_("An item of %(number)s was reassigned to your unit: %(item)s") % message_fields(new),
    )
    notify_unit(
        unit_id=old.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="return_accepted",
        assignment=old,
        text=(
            _("%(above)s accepted your return: %(item)s")
            % {**message_fields(old), "above": old.parent.unit.display_name}
            if old.parent_id is not None
            else _("The office accepted your return: %(item)s") % message_fields(old)
        ),
    )
    return new


def _unit_id(unit: Unit | int) -> int | None:
    if isinstance(unit, Unit):
        return unit.pk
    try:
        return int(unit)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def assignment_reissue(*, actor: User, assignment: Assignment | int, comment: str) -> Assignment:
    """The office insists the unit is responsible: back to the unit's queue."""
    comment = reason_clean(comment, label=_("The reason for keeping the unit responsible"))

    def apply(a: Assignment, role: str) -> list[str]:
        # Back in the unit's queue as if new: the settled dispute no longer shows as pending.
        a.claimed_by, a.claimed_at, a.return_reason = None, None, ""
        return ["claimed_by", "claimed_at", "return_reason"]

    a, _role = step_run(REISSUE, actor=actor, assignment=assignment, comment=comment, apply=apply)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="return_rejected",
        assignment=a,
        text=_("The office kept your unit responsible: %(item)s. Reason: %(reason)s")
        % {**message_fields(a), "reason": Truncator(comment).chars(80)},
    )
    return a
