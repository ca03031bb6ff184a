"""Extension requests (延期申请): asked before the deadline, signed by the unit leader,
decided by the office. The old deadline stays in the request and the audit trail."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    ExtensionRequest,
    ExtensionState,
    Role,
    SignOffKind,
    User,
)

from .assignments import (
    _lock,
    _reason,
    _require_claimer,
    _signoff,
    _Step,
    _text,
    assignment_deadline_set,
    own_submission_refusal,
)
from .audit import audit_record
from .errors import InvalidInput, InvalidTransition, NotAllowed
from .notify import notify, notify_unit
from .roles import role_refusal

# While an assignment waits on the office's verification or is done, its deadline is moot.
EXTENDABLE = tuple(s for s in OPEN_STATES if s not in (AssignmentState.AWAITING_VERIFICATION,))
MAX_EXTENSION_DAYS = 366


REQUEST = _Step("", "extension.requested", (Role.LIAISON,), office=False)


def _lock_extension(
    extension: ExtensionRequest | int, *, actor: User, step: _Step
) -> tuple[ExtensionRequest, Assignment, str]:
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
    a, role = _lock(assignment_id, actor=actor, step=step)
    if role is None or not actor.is_active:
        raise role_refusal(step.roles)
    ext = ExtensionRequest.objects.select_for_update(no_key=True).get(pk=pk)
    return ext, a, role


@transaction.atomic
def extension_request(
    *, actor: User, assignment: Assignment | int, requested_deadline: dt.date, reason: str
) -> ExtensionRequest:
    a, role = _lock(assignment, actor=actor, step=REQUEST)
    if role is None or not actor.is_active:
        raise role_refusal(REQUEST.roles)
    _require_claimer(a, actor)
    reason = _reason(reason, label=_("The reason for the extension"))
    if a.state not in EXTENDABLE:
        raise InvalidTransition(
            _("An extension cannot be requested while the assignment is “%(state)s”.")
            % {"state": a.get_state_display()}
        )
    today = clock.today()
    if today > a.deadline:
        raise InvalidTransition(_("The deadline has passed: an extension must be requested before it."))
    if not isinstance(requested_deadline, dt.date) or requested_deadline <= a.deadline:
        raise InvalidInput(
            _("The new deadline must be later than the current one (%(date)s).") % {"date": date_format(a.deadline)},
            field="requested_deadline",
        )
    if (requested_deadline - a.deadline).days > MAX_EXTENSION_DAYS:
        raise InvalidInput(_("An extension can be at most one year."), field="requested_deadline")
    if a.extensions.filter(state__in=[ExtensionState.AWAITING_SIGNOFF, ExtensionState.AWAITING_DECISION]).exists():
        raise InvalidTransition(_("An extension request for this assignment is already pending."))
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
        action="extension.requested",
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
        text=_("An extension request awaits your signature: %(item)s") % _text(a),
    )
    return ext


def _decide(
    *,
    actor: User,
    extension: ExtensionRequest | int,
    method: str,
    action: str,
    roles: tuple[str, ...],
    office: bool,
    comment: str,
) -> tuple[ExtensionRequest, Assignment, str]:
    step = _Step(method, action, roles, office)
    ext, a, role = _lock_extension(extension, actor=actor, step=step)
    where = a.letter.office_id if office else a.unit_id
    transition = getattr(ext, method)
    if not transition.can_proceed():
        raise InvalidTransition(
            _("This extension request is already “%(state)s”.") % {"state": ext.get_state_display()}
        )
    if method in ("sign", "approve") and a.state not in EXTENDABLE:
        # Written off, reassigned or waiting on verification meanwhile: a new deadline means nothing.
        raise InvalidTransition(
            _("The assignment is now “%(state)s”: its deadline can no longer be extended.")
            % {"state": a.get_state_display()}
        )
    if method == "sign" and signs_own_request(ext, actor):
        raise own_submission_refusal(Role.LEADER)
    from_state = ext.state
    transition()
    fields = ["state"]
    if office:
        ext.decided_by, ext.decided_at, ext.decision_comment = actor, clock.now(), comment
        fields += ["decided_by", "decided_at", "decision_comment"]
    else:
        ext.signed_by = actor
        fields.append("signed_by")
    ext.save(update_fields=fields)
    audit_record(
        actor=actor,
        role=role,
        unit_id=where,
        action=action,
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
    return ext, a, role


def signs_own_request(ext: ExtensionRequest, actor: User) -> bool:
    """The unit leader's signature must be someone else's than the requester's (four eyes),
    even when the requester holds the leader role too."""
    return ext.requested_by_id == actor.pk


@transaction.atomic
def extension_sign(*, actor: User, extension: ExtensionRequest | int, comment: str = "") -> ExtensionRequest:
    comment = _reason(comment, required=False)
    ext, a, _role = _decide(
        actor=actor,
        extension=extension,
        method="sign",
        action="extension.signed",
        roles=(Role.LEADER,),
        office=False,
        comment=comment,
    )
    _signoff(a, actor, SignOffKind.EXTENSION, True, comment)
    notify_unit(
        unit_id=a.letter.office_id,
        roles=[Role.CLERK, Role.DIRECTOR],
        verb="extension_needed",
        assignment=a,
        text=_("%(unit)s asks for more time: %(item)s") % _text(a),
    )
    return ext


@transaction.atomic
def extension_refuse(*, actor: User, extension: ExtensionRequest | int, comment: str) -> ExtensionRequest:
    comment = _reason(comment, label=_("The reason for refusing"))
    ext, a, _role = _decide(
        actor=actor,
        extension=extension,
        method="refuse",
        action="extension.refused",
        roles=(Role.LEADER,),
        office=False,
        comment=comment,
    )
    _signoff(a, actor, SignOffKind.EXTENSION, False, comment)
    notify(
        recipients=[ext.requested_by_id],
        verb="extension_decided",
        assignment=a,
        text=_("The leader refused the extension request: %(item)s") % _text(a),
    )
    return ext


@transaction.atomic
def extension_approve(*, actor: User, extension: ExtensionRequest | int, comment: str = "") -> ExtensionRequest:
    """The office grants the new deadline; the old one stays on the request and in the audit row."""
    comment = _reason(comment, required=False)
    ext, a, _role = _decide(
        actor=actor,
        extension=extension,
        method="approve",
        action="extension.approved",
        roles=(Role.CLERK, Role.DIRECTOR),
        office=True,
        comment=comment,
    )
    assignment_deadline_set(a=a, deadline=ext.requested_deadline)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="extension_decided",
        assignment=a,
        text=_("Extension approved until %(date)s: %(item)s")
        % {"date": date_format(ext.requested_deadline), **_text(a)},
    )
    return ext


@transaction.atomic
def extension_reject(*, actor: User, extension: ExtensionRequest | int, comment: str) -> ExtensionRequest:
    comment = _reason(comment, label=_("The reason for rejecting"))
    ext, a, _role = _decide(
        actor=actor,
        extension=extension,
        method="reject",
        action="extension.rejected",
        roles=(Role.CLERK, Role.DIRECTOR),
        office=True,
        comment=comment,
    )
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="extension_decided",
        assignment=a,
        text=_("Extension rejected, the deadline stays: %(item)s") % _text(a),
    )
    return ext
