"""Every transition of an assignment, one function each.

Each one: checks the actor's role in the right unit, locks the row, asks the viewflow.fsm
transition whether it applies, saves, writes one audit row and the notifications — all in
one transaction. A refusal raises a DomainError and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

# rankings as a module: it imports the services package, so its names exist only once it has run.
from supervision import clock
from supervision.models import (
    Assignment,
    AssignmentState,
    AuditEvent,
    ProgressReport,
    ReportKind,
    Role,
    SignOff,
    SignOffKind,
    Unit,
    User,
)
from supervision.selectors import rankings

from . import steps
from .audit import audit_record
from .cycle_reports import cycle_progress_report
from .errors import InvalidInput, NotAllowed
from .evidence import evidence_attach, evidence_check
from .letters import letter_close_if_done, letter_reopen_if_closed
from .notify import notify, notify_unit
from .steps import (
    APPROVE_COMPLETION,
    APPROVE_RETURN,
    CLAIM,
    CLOSE,
    REASSIGN,
    REFUSE_COMPLETION,
    REFUSE_RETURN,
    REISSUE,
    REJECT,
    REOPEN,
    REPORT,
    REQUEST_RETURN,
    START,
    SUBMIT,
    UNCLAIM,
    VERIFY,
    Step,
)

S = AssignmentState
MAX_REASON = 2000
MAX_REPORT = 4000


def assignment_lock(assignment: Assignment | int) -> Assignment:
    """Lock the row (of the assignment only, not its letter or item). The letter, unit and item
    come with the row, for the step's checks and the messages."""
    pk = assignment.pk if isinstance(assignment, Assignment) else assignment
    try:
        found = list(
            # NO KEY UPDATE: the row's key never changes, and a plain FOR UPDATE would also block
            # the KEY SHARE lock that inserting an audit row or a report referencing it takes.
            Assignment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("letter", "unit", "item")
            .filter(pk=int(pk))
            .order_by()
        )
    except (TypeError, ValueError):
        found = []
    if not found:
        raise NotAllowed(_("This assignment does not exist or you may not see it."))
    return found[0]


def _reason(text: str, *, required: bool = True, label: str | None = None, limit: int = MAX_REASON) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": label or _("A reason")}, field="reason")
    if len(text) > limit:
        raise InvalidInput(
            _("%(field)s is too long: at most %(limit)d characters.")
            % {"field": label or _("The reason"), "limit": limit},
            field="reason",
        )
    return text


def _run(
    step: Step,
    *,
    actor: User,
    assignment: Assignment | int,
    comment: str = "",
    check: Callable[[Assignment], None] | None = None,
    apply: Callable[[Assignment, str], Iterable[str]] | None = None,
    data: dict | None = None,
    action: Callable[[], str] | None = None,
    replay: Callable[[Assignment], None] | None = None,
) -> tuple[Assignment, str]:
    """Lock, take the step's checks (steps.refusal), then the service's own ``check`` of what was
    typed, transition, save, audit. Must run inside atomic().

    ``replay`` runs once the person is known to be the right one but before the state is
    checked: a submission already accepted (a double click) is answered as it was, although the
    first one has moved the state on. ``action``, when given, names the audit action once the
    checks have run (a report that turns out to amend this cycle's report is audited as an
    amendment)."""
    a = assignment_lock(assignment)
    if replay is not None and steps.person_refusal(step, actor, a) is None:
        replay(a)
    role = steps.require(step, actor, a)
    if check is not None:
        check(a)
    from_state = a.state
    getattr(a, step.method)()
    fields = {"state", "version", "updated_at"}
    if apply is not None:
        fields.update(apply(a, role))
    a.version += 1
    a.save(update_fields=fields)
    audit_record(
        actor=actor,
        role=role,
        unit_id=steps.where(step, a),
        action=action() if action is not None else step.action,
        assignment=a,
        from_state=from_state,
        to_state=a.state,
        comment=comment,
        data=data,
    )
    return a, role


def _text(a: Assignment) -> dict[str, str]:
    return {"unit": a.unit.display_name, "item": a.item.description[:40], "number": a.letter.number or ""}


# --- claiming -----------------------------------------------------------------------------------


@transaction.atomic
def assignment_claim(*, actor: User, assignment: Assignment | int, responsible_person: str = "") -> Assignment:
    """签收: a liaison takes the assignment for the unit. Exactly one claimer, ever."""

    person = _reason(responsible_person, required=False, limit=60)

    def apply(a: Assignment, role: str) -> list[str]:
        a.claimed_by = actor
        a.claimed_at = clock.now()
        a.responsible_person = person or actor.display_name
        return ["claimed_by", "claimed_at", "responsible_person"]

    a, _role = _run(
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
        text=_("%(name)s claimed an item of %(number)s: %(item)s") % {"name": actor.display_name, **_text(a)},
    )
    return a


@transaction.atomic
def assignment_unclaim(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """Give a claimed assignment back to the unit's queue: the claimer, or the unit leader."""

    def apply(a: Assignment, role: str) -> list[str]:
        a.claimed_by, a.claimed_at = None, None
        return ["claimed_by", "claimed_at"]

    a, _role = _run(UNCLAIM, actor=actor, assignment=assignment, comment=_reason(comment, required=False), apply=apply)
    return a


# --- returns ------------------------------------------------------------------------------------


@transaction.atomic
def assignment_request_return(*, actor: User, assignment: Assignment | int, reason: str) -> Assignment:
    """退回: the unit disputes responsibility. Goes to the unit leader for signature."""
    reason = _reason(reason, label=_("The reason for the return"))

    def apply(a: Assignment, role: str) -> list[str]:
        a.return_reason = reason
        return ["return_reason"]

    a, _role = _run(
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
        text=_("A return awaits your signature: %(item)s") % _text(a),
    )
    return a


def _signoff(a: Assignment, actor: User, kind: str, approved: bool, comment: str) -> None:
    SignOff.objects.create(
        assignment_id=a.pk,
        kind=kind,
        approved=approved,
        comment=comment,
        signed_by_id=actor.pk,
        signed_at=clock.now(),
    )


@transaction.atomic
def assignment_approve_return(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """The unit leader signs the return; it goes to the office."""
    comment = _reason(comment, required=False)
    a, _role = _run(APPROVE_RETURN, actor=actor, assignment=assignment, comment=comment)
    _signoff(a, actor, SignOffKind.RETURN, True, comment)
    notify_unit(
        unit_id=a.letter.office_id,
        roles=[Role.CLERK],
        verb="assignment_returned",
        assignment=a,
        text=_("%(unit)s returned an item of %(number)s: %(item)s") % _text(a),
    )
    return a


@transaction.atomic
def assignment_refuse_return(*, actor: User, assignment: Assignment | int, comment: str) -> Assignment:
    """The unit leader refuses the return: the unit keeps the assignment."""
    comment = _reason(comment, label=_("The reason for refusing"))

    def apply(a: Assignment, role: str) -> list[str]:
        a.return_reason = ""
        return ["return_reason"]

    a, _role = _run(REFUSE_RETURN, actor=actor, assignment=assignment, comment=comment, apply=apply)
    _signoff(a, actor, SignOffKind.RETURN, False, comment)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON],
        verb="signoff_refused",
        assignment=a,
        exclude=actor.pk,
        text=_("The leader refused the return: %(item)s") % _text(a),
    )
    return a


@transaction.atomic
def assignment_reassign(
    *, actor: User, assignment: Assignment | int, unit: Unit | int, comment: str = ""
) -> Assignment:
    """改派: the office gives a returned item to another unit. Returns the new assignment."""
    unit_id = unit.pk if isinstance(unit, Unit) else int(unit)
    target = Unit.objects.filter(pk=unit_id, is_active=True).exclude(kind="office").first()
    if target is None:
        raise InvalidInput(_("Choose an active responsible unit to reassign to."), field="unit")
    comment = _reason(comment, required=False)

    def check(a: Assignment) -> None:
        if target.pk == a.unit_id:
            raise InvalidInput(_("Reassign to another unit, or re-issue to keep it with this one."), field="unit")
        live = Assignment.objects.filter(item_id=a.item_id, unit_id=target.pk).exclude(state=S.REASSIGNED)
        if live.exists():
            raise InvalidInput(_("%(unit)s already holds this item.") % {"unit": target.name}, field="unit")

    old, role = _run(
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
    )
    audit_record(
        actor=actor,
        role=role,
        unit_id=old.letter.office_id,
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
        text=_("An item of %(number)s was reassigned to your unit: %(item)s") % _text(new),
    )
    notify_unit(
        unit_id=old.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="return_accepted",
        assignment=old,
        text=_("The office accepted your return: %(item)s") % _text(old),
    )
    return new


@transaction.atomic
def assignment_reissue(*, actor: User, assignment: Assignment | int, comment: str) -> Assignment:
    """The office insists the unit is responsible: back to the unit's queue."""
    comment = _reason(comment, label=_("The reason for keeping the unit responsible"))

    def apply(a: Assignment, role: str) -> list[str]:
        # Back in the unit's queue as if new: the settled dispute no longer shows as pending.
        a.claimed_by, a.claimed_at, a.return_reason = None, None, ""
        return ["claimed_by", "claimed_at", "return_reason"]

    a, _role = _run(REISSUE, actor=actor, assignment=assignment, comment=comment, apply=apply)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="return_rejected",
        assignment=a,
        text=_("The office kept your unit responsible: %(item)s") % _text(a),
    )
    return a


# --- doing the work -------------------------------------------------------------------------------

AMENDED = "assignment.report_amended"


@transaction.atomic
def assignment_start(*, actor: User, assignment: Assignment | int) -> Assignment:
    a, _role = _run(START, actor=actor, assignment=assignment)
    return a


# --- one report per cycle, idempotent submissions ---------------------------------------------------

# A form's one-time token: letters, digits and a few separators (the page makes it).
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{8,80}")
SUBMISSIONS = ("assignment.reported", AMENDED, "assignment.completion_submitted")


def _token(token: str) -> str:
    token = (token or "").strip()
    if token and not _TOKEN.fullmatch(token):
        raise InvalidInput(_("This form is no longer valid: reload the page and send it again."), field="token")
    return token


class _Replay(Exception):
    """Raised under the lock when a submission was already accepted: nothing is written again."""

    def __init__(self, report: ProgressReport | None):
        super().__init__("replay")
        self.report = report


def _replayed(a: Assignment, token: str, kind: str) -> None:
    """A submission carrying a token already accepted (a double click, a resent form) is a no-op:
    the first one is the answer. The audit trail records every accepted submission's token, and
    it is read under the assignment's lock, so two identical requests in flight cannot both pass."""
    if not token:
        return
    if AuditEvent.objects.filter(assignment_id=a.pk, action__in=SUBMISSIONS, data__token=token).exists():
        latest = ProgressReport.objects.filter(assignment_id=a.pk, kind=kind).order_by("-created_at", "-id").first()
        raise _Replay(latest)


def _report(
    a: Assignment, actor: User, kind: str, text: str, files: Sequence[UploadedFile], *, now: dt.datetime, seq: int
) -> ProgressReport:
    report = ProgressReport.objects.create(
        assignment=a, kind=kind, text=text, author=actor, created_at=now, cycle_seq=seq
    )
    for f in files:
        evidence_attach(report=report, upload=f, actor=actor)
    return report


@transaction.atomic
def assignment_report_progress(
    *,
    actor: User,
    assignment: Assignment | int,
    text: str,
    files: Sequence[UploadedFile] = (),
    token: str = "",
) -> ProgressReport:
    """整改进展: text and optional evidence. A first report also starts the work.

    One progress report per cycle: a second one in the same cycle amends this cycle's report
    (its text replaced, new evidence added, the earlier text kept in the audit row) instead of
    adding a row. Sending the same thing again is a no-op answered with the report: the same
    form token (a double click, a resent form), or the same text and no files."""
    text = _reason(text, label=_("The progress"), limit=MAX_REPORT)
    evidence_check(files)
    token = _token(token)
    now = clock.now()
    seq = rankings.report_span(now).seq
    found: dict[str, ProgressReport | None] = {}
    data: dict = {"files": len(files), "cycle": seq}
    if token:
        data["token"] = token

    def check(a: Assignment) -> None:
        current = cycle_progress_report(a.pk, seq)
        if current is not None and current.text == text and not files and a.state == S.IN_PROGRESS:
            raise _Replay(current)
        found["current"] = current
        if current is not None:
            data.update(report=current.pk, previous_text=current.text)

    try:
        a, _role = _run(
            REPORT,
            actor=actor,
            assignment=assignment,
            comment=text[:200],
            check=check,
            apply=_reported,
            data=data,
            action=lambda: AMENDED if found.get("current") else REPORT.action,
            replay=lambda a: _replayed(a, token, ReportKind.PROGRESS),
        )
    except _Replay as replay:
        return replay.report
    current = found.get("current")
    if current is None:
        return _report(a, actor, ReportKind.PROGRESS, text, files, now=now, seq=seq)
    current.text, current.amended_at = text, now
    # Amended in full by its latest author: "no change since the last report" no longer holds.
    current.author, current.carried_from = actor, None
    current.save(update_fields=["text", "amended_at", "author", "carried_from"])
    for f in files:
        evidence_attach(report=current, upload=f, actor=actor)
    return current


def _reported(a: Assignment, role: str) -> list[str]:
    # A report makes up a missed one at once: the yellow light goes without waiting for tick.
    a.report_missed = False
    return ["report_missed"]


@transaction.atomic
def assignment_submit_completion(
    *,
    actor: User,
    assignment: Assignment | int,
    text: str,
    files: Sequence[UploadedFile] = (),
    token: str = "",
) -> ProgressReport:
    """The liaison reports the work done; the unit leader signs before the office sees it.
    A resent form (same token) is a no-op answered with the report already sent."""
    text = _reason(text, label=_("The completion report"), limit=MAX_REPORT)
    evidence_check(files)
    token = _token(token)
    now = clock.now()
    data: dict = {"files": len(files)}
    if token:
        data["token"] = token

    def apply(a: Assignment, role: str) -> list[str]:
        a.completed_at = now
        return ["completed_at", *_reported(a, role)]

    try:
        a, _role = _run(
            SUBMIT,
            actor=actor,
            assignment=assignment,
            comment=text[:200],
            apply=apply,
            data=data,
            replay=lambda a: _replayed(a, token, ReportKind.COMPLETION),
        )
    except _Replay as replay:
        return replay.report
    report = _report(a, actor, ReportKind.COMPLETION, text, files, now=now, seq=rankings.report_span(now).seq)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LEADER],
        verb="signoff_needed",
        assignment=a,
        exclude=actor.pk,
        text=_("A completion report awaits your signature: %(item)s") % _text(a),
    )
    return report


@transaction.atomic
def assignment_approve_completion(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """审签: the unit leader signs the completion; the office verifies next."""
    comment = _reason(comment, required=False)
    a, _role = _run(APPROVE_COMPLETION, actor=actor, assignment=assignment, comment=comment)
    _signoff(a, actor, SignOffKind.COMPLETION, True, comment)
    notify_unit(
        unit_id=a.letter.office_id,
        roles=[Role.INSPECTOR],
        verb="verification_needed",
        assignment=a,
        text=_("%(unit)s reports an item of %(number)s complete: %(item)s") % _text(a),
    )
    return a


@transaction.atomic
def assignment_refuse_completion(*, actor: User, assignment: Assignment | int, comment: str) -> Assignment:
    comment = _reason(comment, label=_("The reason for refusing"))
    a, _role = _run(REFUSE_COMPLETION, actor=actor, assignment=assignment, comment=comment)
    _signoff(a, actor, SignOffKind.COMPLETION, False, comment)
    notify(
        recipients=[a.claimed_by_id] if a.claimed_by_id else [],
        verb="signoff_refused",
        assignment=a,
        text=_("The leader sent back the completion report: %(item)s") % _text(a),
    )
    return a


# --- the office checks, closes and reopens --------------------------------------------------------


@transaction.atomic
def assignment_verify(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """核验: the inspector confirms the work is done."""
    comment = _reason(comment, required=False)

    def apply(a: Assignment, role: str) -> list[str]:
        a.verified_at = clock.now()
        return ["verified_at"]

    a, _role = _run(VERIFY, actor=actor, assignment=assignment, comment=comment, apply=apply)
    notify_unit(
        unit_id=a.letter.office_id,
        roles=[Role.DIRECTOR],
        verb="close_needed",
        assignment=a,
        text=_("Verified, ready to close: %(unit)s · %(item)s") % _text(a),
    )
    return a


@transaction.atomic
def assignment_reject(*, actor: User, assignment: Assignment | int, reason: str) -> Assignment:
    """核验不通过: back to the unit with the reason."""
    reason = _reason(reason, label=_("The reason for rejecting"))

    def apply(a: Assignment, role: str) -> list[str]:
        a.last_rejection_reason = reason
        a.rejection_count += 1
        a.completed_at = None
        return ["last_rejection_reason", "rejection_count", "completed_at"]

    a, _role = _run(REJECT, actor=actor, assignment=assignment, comment=reason, apply=apply)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="verification_rejected",
        assignment=a,
        text=_("Verification failed: %(item)s") % _text(a),
    )
    return a


@transaction.atomic
def assignment_close(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """销号: the director writes off a verified assignment; the letter closes with its last one."""
    comment = _reason(comment, required=False)

    def apply(a: Assignment, role: str) -> list[str]:
        a.closed_at = clock.now()
        return ["closed_at"]

    a, role = _run(CLOSE, actor=actor, assignment=assignment, comment=comment, apply=apply)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="assignment_closed",
        assignment=a,
        text=_("Written off: %(item)s") % _text(a),
    )
    letter_close_if_done(actor=actor, role=role, letter_id=a.letter_id)
    return a


@transaction.atomic
def assignment_reopen(*, actor: User, assignment: Assignment | int, reason: str) -> Assignment:
    """回头看: a closed problem rebounded; the unit works on it again."""
    reason = _reason(reason, label=_("The reason for reopening"))

    def apply(a: Assignment, role: str) -> list[str]:
        a.closed_at, a.verified_at, a.completed_at = None, None, None
        return ["closed_at", "verified_at", "completed_at"]

    a, role = _run(REOPEN, actor=actor, assignment=assignment, comment=reason, apply=apply)
    letter_reopen_if_closed(actor=actor, role=role, letter_id=a.letter_id)
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LIAISON, Role.LEADER],
        verb="assignment_reopened",
        assignment=a,
        text=_("Reopened: %(item)s") % _text(a),
    )
    return a


def assignment_deadline_set(*, a: Assignment, deadline: dt.date) -> None:
    """Used by an approved extension, under the assignment's lock."""
    a.deadline = deadline
    a.version += 1
    a.save(update_fields=["deadline", "version", "updated_at"])
