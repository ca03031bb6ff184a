"""Doing the work: starting, one progress report per cycle (amended, never doubled; a resent
form answered as it was), the completion report and the unit leader's sign-off of it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import Truncator
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
    SignOffKind,
    User,
)
from supervision.selectors import rankings

from .cycle_reports import cycle_progress_report
from .errors import InvalidInput
from .evidence import evidence_attach, evidence_check
from .notify import notify, notify_unit
from .steps import APPROVE_COMPLETION, REFUSE_COMPLETION, REPORT, START, SUBMIT
from .transitions import MAX_REPORT, message_fields, reason_clean, signoff_record, step_run

S = AssignmentState
AMENDED = "assignment.report_amended"


@transaction.atomic
def assignment_start(*, actor: User, assignment: Assignment | int) -> Assignment:
    a, _role = step_run(START, actor=actor, assignment=assignment)
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
    text = reason_clean(text, label=_("The progress"), limit=MAX_REPORT)
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
        a, _role = step_run(
            REPORT,
            actor=actor,
            assignment=assignment,
            comment=text[:200],
            check=check,
            apply=mark_reported,
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


def mark_reported(a: Assignment, role: str) -> list[str]:
    """The ``apply`` of every step that reports progress (here and in reports)."""
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
    text = reason_clean(text, label=_("The completion report"), limit=MAX_REPORT)
    evidence_check(files)
    token = _token(token)
    now = clock.now()
    data: dict = {"files": len(files)}
    if token:
        data["token"] = token

    def apply(a: Assignment, role: str) -> list[str]:
        a.completed_at = now
        return ["completed_at", *mark_reported(a, role)]

    try:
        a, _role = step_run(
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
    completion_signoff_asked(a, actor=actor)
    return report


def completion_signoff_asked(a: Assignment, *, actor: User) -> None:
    """Tell the unit's leaders (not the submitter) that a completion report awaits their
    signature: a submission typed in, or rolled up from the sub-tasks (services/hand_down.py)."""
    notify_unit(
        unit_id=a.unit_id,
        roles=[Role.LEADER],
        verb="signoff_needed",
        assignment=a,
        exclude=actor.pk,
        text=_("A completion report awaits your signature: %(item)s") % message_fields(a),
    )


@transaction.atomic
def assignment_approve_completion(*, actor: User, assignment: Assignment | int, comment: str = "") -> Assignment:
    """审签: the unit leader signs the completion; the office verifies next."""
    comment = reason_clean(comment, required=False)
    a, _role = step_run(APPROVE_COMPLETION, actor=actor, assignment=assignment, comment=comment)
    signoff_record(a, actor, SignOffKind.COMPLETION, True, comment)
    notify_unit(
        unit_id=a.letter.office_id,
        roles=[Role.INSPECTOR],
        verb="verification_needed",
        assignment=a,
        text=_("%(unit)s reports an item of %(number)s complete: %(item)s") % message_fields(a),
    )
    return a


@transaction.atomic
def assignment_refuse_completion(*, actor: User, assignment: Assignment | int, comment: str) -> Assignment:
    comment = reason_clean(comment, label=_("The reason for refusing"))
    a, _role = step_run(REFUSE_COMPLETION, actor=actor, assignment=assignment, comment=comment)
    signoff_record(a, actor, SignOffKind.COMPLETION, False, comment)
    notify(
        recipients=[a.claimed_by_id] if a.claimed_by_id else [],
        verb="signoff_refused",
        assignment=a,
        # The reason, shortened: the whole of it is on the task page.
        text=_("The leader sent back the completion report: %(item)s. Reason: %(reason)s")
        % {**message_fields(a), "reason": Truncator(comment).chars(80)},
    )
    return a
