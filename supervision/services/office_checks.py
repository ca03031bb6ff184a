"""The office's side of an assignment: verifying the work (核验) or rejecting it, writing it off
(销号: a lead task's cooperating tasks close with it, the letter with its last one), reopening it
(回头看), and the new deadline of an approved extension."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Assignment, Role, User

from .cooperation import assignments_close_with_lead
from .hand_down import sub_task_parent_lock
from .letter_lifecycle import letter_close_if_done, letter_reopen_if_closed
from .notify import notify_unit
from .step_guards import sub_task_reopenable
from .steps import CLOSE, REJECT, REOPEN, VERIFY
from .transitions import message_fields, reason_clean, step_run


@transaction.atomic
def assignment_verify(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """核验: the inspector confirms the work is done."""
    comment = reason_clean(comment, required=False)

    def apply(a: Assignment, role: str) -> list[str]:
        a.verified_at = clock.now()
        return ["verified_at"]

    a, _role = step_run(VERIFY, actor=actor, assignment=assignment, comment=comment, apply=apply)
    notify_unit(
        unit_id=a.letter.office_id,
        roles=[Role.DIRECTOR],
        verb="close_needed",
        assignment=a,
        text=_("Verified, ready to close: %(unit)s · %(item)s") % message_fields(a),
    )
    return a


@transaction.atomic
def assignment_reject(*, actor: User, assignment: Assignment | int, reason: str) -> Assignment:
    """核验不通过: back to the unit with the reason."""
    reason = reason_clean(reason, label=_("The reason for rejecting"))

    def apply(a: Assignment, role: str) -> list[str]:
        a.last_rejection_reason = reason
        a.rejection_count += 1
        a.completed_at = None
        return ["last_rejection_reason", "rejection_count", "completed_at"]

    a, _role = step_run(REJECT, actor=actor, assignment=assignment, comment=reason, apply=apply)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="verification_rejected",
        assignment=a,
        # The reason, shortened: the unit reads the whole of it on the task page.
        text=_("Verification failed: %(item)s. Reason: %(reason)s")
        % {**message_fields(a), "reason": Truncator(reason).chars(80)},
    )
    return a


@transaction.atomic
def assignment_close(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """销号: the director writes off a verified assignment. A lead task's open cooperating tasks
    close with it (services/cooperation.py); the letter closes with its last one."""
    comment = reason_clean(comment, required=False)

    def apply(a: Assignment, role: str) -> list[str]:
        a.closed_at = clock.now()
        return ["closed_at"]

    a, role = step_run(CLOSE, actor=actor, assignment=assignment, comment=comment, apply=apply)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="assignment_closed",
        assignment=a,
        text=_("Written off: %(item)s") % message_fields(a),
    )
    # Before the letter's check: the cooperating tasks closed here count as closed there.
    assignments_close_with_lead(actor=actor, lead=a)
    letter_close_if_done(actor=actor, role=role, letter_id=a.letter_id)
    return a


@transaction.atomic
def assignment_reopen(*, actor: User, assignment: Assignment | int, reason: str) -> Assignment:
    """回头看: a closed problem rebounded; the unit works on it again.

    Only this task: cooperating tasks closed with a lead stay closed when the lead is reopened,
    never reopened silently. The office reopens each one that rebounded on its own."""
    reason = reason_clean(reason, label=_("The reason for reopening"))

    def apply(a: Assignment, role: str) -> list[str]:
        a.closed_at, a.verified_at, a.completed_at = None, None, None
        return ["closed_at", "verified_at", "completed_at"]

    def check(a: Assignment) -> None:
        # Then the sub-task's parent (lock order in services/hand_down.py): a roll-up holds it
        # while it reads its sub-tasks, so ask again under its lock what the step's guard read
        # without it — a completion must not stand on this sub-task open again.
        sub_task_parent_lock(a)
        refused = sub_task_reopenable(a, actor)
        if refused is not None:
            raise refused

    a, role = step_run(REOPEN, actor=actor, assignment=assignment, comment=reason, check=check, apply=apply)
    letter_reopen_if_closed(actor=actor, role=role, letter_id=a.letter_id)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="assignment_reopened",
        assignment=a,
        text=_("Reopened: %(item)s. Reason: %(reason)s") % {**message_fields(a), "reason": Truncator(reason).chars(80)},
    )
    return a


def assignment_deadline_set(*, a: Assignment, deadline: dt.date) -> None:
    """Used by an approved extension, under the assignment's lock."""
    a.deadline = deadline
    a.version += 1
    a.save(update_fields=["deadline", "version", "updated_at"])
