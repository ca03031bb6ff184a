"""Extension requests (延期申请): asked before the deadline, signed by the unit leader,
decided by the office. The old deadline stays in the request and the audit trail. An approved
extension of a lead task moves its cooperating tasks' deadlines too (services/cooperation.py)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Assignment, ExtensionRequest, Role, SignOffKind, User
from supervision.selectors.hand_down import parent_deadline

from . import steps
from .audit import audit_record
from .cooperation import assignments_follow_lead_deadline
from .errors import InvalidInput, InvalidTransition, NotAllowed
from .notify import notify, notify_unit
from .office_checks import assignment_deadline_set
from .steps import EXTENSION_APPROVE, EXTENSION_REFUSE, EXTENSION_REJECT, EXTENSION_SIGN, REQUEST_EXTENSION, Step
from .transitions import assignment_lock, message_fields, parent_flag_refresh, reason_clean, signoff_record

MAX_EXTENSION_DAYS = 366


def _lock_extension(extension: ExtensionRequest | int) -> tuple[ExtensionRequest, Assignment]:
    """Lock the assignment first, then its request: the same order as every assignment
    transition, so a decision and, say, a write-off of the same assignment cannot deadlock."""
    pk = extension.pk if isinstance(extension, ExtensionRequest) else extension
    refused = NotAllowed(_("This extension request does not exist or you may not see it."))
    try:
        assignment_id = ExtensionRequest.objects.filter(pk=pk).values_list("assignment_id", flat=True).first()
    except (TypeError, ValueError):
        raise refused from None
    if assignment_id is None:
        raise refused
    a = assignment_lock(assignment_id)
    ext = ExtensionRequest.objects.select_for_update(no_key=True).get(pk=pk)
    ext.assignment = a  # the locked row, with its letter, for the step's checks
    return ext, a


@transaction.atomic
def extension_request(
    *, actor: User, assignment: Assignment | int, requested_deadline: dt.date, reason: str
) -> ExtensionRequest:
    a = assignment_lock(assignment)
    # Who, in which state, before the deadline, none pending: the step's checks.
    role = steps.require(REQUEST_EXTENSION, actor, a)
    reason = reason_clean(reason, label=_("The reason for the extension"))
    if not isinstance(requested_deadline, dt.date) or requested_deadline <= a.deadline:
        raise InvalidInput(
            _("The new deadline must be later than the current one (%(date)s).") % {"date": date_format(a.deadline)},
            field="requested_deadline",
        )
    if (requested_deadline - a.deadline).days > MAX_EXTENSION_DAYS:
        raise InvalidInput(_("An extension can be at most one year."), field="requested_deadline")
    limit = parent_deadline(a)
    if limit is not None and requested_deadline > limit:
        # A sub-task is part of its parent's work: it cannot be due after the parent is.
        raise InvalidInput(
            _("A sub-task cannot be due after its parent task's deadline (%(date)s).") % {"date": date_format(limit)},
            field="requested_deadline",
        )
    try:
        with transaction.atomic():
            ext = ExtensionRequest.objects.create(
                assignment=a,
                reason=reason,
                old_deadline=a.deadline,
                requested_deadline=requested_deadline,
                requested_by=actor,
                requested_at=clock.now(),
            )
    except IntegrityError:
        raise InvalidTransition(_("An extension request for this assignment is already pending.")) from None
    audit_record(
        actor=actor,
        role=role,
        unit_id=a.unit_id,
        action=REQUEST_EXTENSION.action,
        assignment=a,
        from_state=a.state,
        to_state=a.state,
        comment=reason,
        data={
            "extension": ext.pk,
            "old_deadline": a.deadline.isoformat(),
            "requested_deadline": requested_deadline.isoformat(),
        },
    )
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LEADER],
        verb="signoff_needed",
        assignment=a,
        exclude=actor.pk,
        text=_("An extension request awaits your signature: %(item)s") % message_fields(a),
    )
    return ext


def _decide(
    *, actor: User, extension: ExtensionRequest | int, step: Step, comment: str
) -> tuple[ExtensionRequest, Assignment]:
    """Take one of the request's steps: lock, the step's checks, transition, save, audit."""
    ext, a = _lock_extension(extension)
    role = steps.require(step, actor, ext)
    from_state = ext.state
    getattr(ext, step.method)()
    fields = ["state"]
    if step.office:
        ext.decided_by, ext.decided_at, ext.decision_comment = actor, clock.now(), comment
        fields += ["decided_by", "decided_at", "decision_comment"]
    else:
        ext.signed_by = actor
        fields.append("signed_by")
    ext.save(update_fields=fields)
    audit_record(
        actor=actor,
        role=role,
        unit_id=steps.where(step, ext),
        action=step.action,
        assignment=a,
        from_state=a.state,
        to_state=a.state,
        comment=comment,
        data={
            "extension": ext.pk,
            "extension_from": from_state,
            "extension_to": ext.state,
            "old_deadline": ext.old_deadline.isoformat(),
            "requested_deadline": ext.requested_deadline.isoformat(),
        },
    )
    return ext, a


@transaction.atomic
def extension_sign(*, actor: User, extension: ExtensionRequest | int, comment: str = "") -> ExtensionRequest:
    comment = reason_clean(comment, required=False)
    ext, a = _decide(actor=actor, extension=extension, step=EXTENSION_SIGN, comment=comment)
    signoff_record(a, actor, SignOffKind.EXTENSION, True, comment)
    notify_unit(
        unit_id=a.letter.office_id,
        roles=[Role.CLERK, Role.DIRECTOR],
        verb="extension_needed",
        assignment=a,
        text=_("%(unit)s asks for more time: %(item)s") % message_fields(a),
    )
    return ext


@transaction.atomic
def extension_refuse(*, actor: User, extension: ExtensionRequest | int, comment: str) -> ExtensionRequest:
    comment = reason_clean(comment, label=_("The reason for refusing"))
    ext, a = _decide(actor=actor, extension=extension, step=EXTENSION_REFUSE, comment=comment)
    signoff_record(a, actor, SignOffKind.EXTENSION, False, comment)
    notify(
        recipients=[ext.requested_by_id],
        verb="extension_decided",
        assignment=a,
        # The reason, shortened: the whole of it is on the task page.
        text=_("The leader refused the extension request: %(item)s. Reason: %(reason)s")
        % {**message_fields(a), "reason": Truncator(comment).chars(80)},
    )
    return ext


@transaction.atomic
def extension_approve(*, actor: User, extension: ExtensionRequest | int, comment: str = "") -> ExtensionRequest:
    """The office grants the new deadline; the old one stays on the request and in the audit row.
    A lead task's cooperating tasks follow it to the new deadline, each with its own audit row."""
    comment = reason_clean(comment, required=False)
    ext, a = _decide(actor=actor, extension=extension, step=EXTENSION_APPROVE, comment=comment)
    # Never earlier than it is now: a cooperating task may have moved past the date it asked for
    # with its lead's extension while its own request waited.
    assignment_deadline_set(a=a, deadline=max(ext.requested_deadline, a.deadline))
    if a.parent_id is not None:
        parent_flag_refresh(a.parent_id)  # no longer late below, perhaps
    assignments_follow_lead_deadline(actor=actor, lead=a, extension=ext)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="extension_decided",
        assignment=a,
        text=_("Extension approved until %(date)s: %(item)s") % {"date": date_format(a.deadline), **message_fields(a)},
    )
    return ext


@transaction.atomic
def extension_reject(*, actor: User, extension: ExtensionRequest | int, comment: str) -> ExtensionRequest:
    comment = reason_clean(comment, label=_("The reason for rejecting"))
    ext, a = _decide(actor=actor, extension=extension, step=EXTENSION_REJECT, comment=comment)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="extension_decided",
        assignment=a,
        text=_("Extension rejected, the deadline stays: %(item)s. Reason: %(reason)s")
        % {**message_fields(a), "reason": Truncator(comment).chars(80)},
    )
    return ext
