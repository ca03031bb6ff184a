"""Carrying a progress report forward (最多报一次): when nothing has changed since the last report,
the liaison confirms it for the current cycle with one action instead of typing it again."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Assignment, ProgressReport, ReportKind, Role, User
from supervision.rankings import report_span, report_window

from .assignments import _reported, _require_claimer, _run, _Step, cycle_progress_report
from .errors import InvalidTransition

CARRY_FORWARD = _Step("report_progress", "assignment.report_carried", (Role.LIAISON,), office=False)


def last_progress_report(assignment_id: int) -> ProgressReport | None:
    return (
        ProgressReport.objects.filter(assignment_id=assignment_id, kind=ReportKind.PROGRESS)
        .order_by("-created_at", "-id")
        .first()
    )


def carry_forward_source(assignment_id: int, now: dt.datetime | None = None) -> ProgressReport | None:
    """The report a "no change" would carry forward now, or None when there is nothing to carry
    or the unit already reported in the current cycle (for the page to offer the button or not;
    role and state are the service's to check)."""
    opens_at, _cutoff = report_window(now or clock.now())
    if ProgressReport.objects.filter(assignment_id=assignment_id, created_at__gt=opens_at).exists():
        return None
    return last_progress_report(assignment_id)


@transaction.atomic
def assignment_carry_forward(*, actor: User, assignment: Assignment | int) -> ProgressReport:
    """Report "no change since the last report" for the current cycle: a new progress report
    with the last one's text, pointing at it (``carried_from``). Its evidence stays with the
    original. Refused when there is nothing to carry, or when the unit already reported in this
    cycle (one report per cycle is all that is asked)."""
    now = clock.now()
    # One span for both: the report's cycle and the window it is checked against.
    seq, opens_at, _cutoff = report_span(now)
    found: dict[str, ProgressReport] = {}
    # Filled in by the check, under the lock, before _run writes the audit row with it.
    data: dict[str, int] = {}

    def check(a: Assignment) -> None:
        _require_claimer(a, actor)
        latest = ProgressReport.objects.filter(assignment_id=a.pk).order_by("-created_at", "-id").first()
        last = last_progress_report(a.pk)
        if last is None:
            raise InvalidTransition(_("There is no earlier progress report to carry forward."))
        if (latest is not None and latest.created_at > opens_at) or cycle_progress_report(a.pk, seq) is not None:
            raise InvalidTransition(_("Progress was already reported in this cycle."))
        found["last"] = last
        data["carried_from"] = last.pk

    a, _role = _run(
        CARRY_FORWARD,
        actor=actor,
        assignment=assignment,
        check=check,
        apply=_reported,
        data=data,
    )
    last = found["last"]
    return ProgressReport.objects.create(
        assignment=a,
        kind=ReportKind.PROGRESS,
        text=last.text,
        author=actor,
        created_at=now,
        carried_from=last,
        cycle_seq=seq,
    )
