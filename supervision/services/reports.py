"""Carrying a progress report forward (最多报一次): when nothing has changed since the last report,
the liaison confirms it for the current cycle with one action instead of typing it again."""

from __future__ import annotations

from django.db import transaction

from supervision import clock
from supervision.models import Assignment, ProgressReport, ReportKind, User
from supervision.selectors.rankings import report_span

from .cycle_reports import last_progress_report
from .steps import CARRY_FORWARD
from .transitions import step_run
from .work import mark_reported


@transaction.atomic
def assignment_carry_forward(*, actor: User, assignment: Assignment | int) -> ProgressReport:
    """Report "no change since the last report" for the current cycle: a new progress report
    with the last one's text, pointing at it (``carried_from``). Its evidence stays with the
    original. Refused when there is nothing to carry, or when the unit already reported in this
    cycle (one report per cycle is all that is asked): the step's guard says which."""
    now = clock.now()
    found: dict[str, ProgressReport] = {}
    # Filled in under the lock, once the step's checks have passed, for the audit row.
    data: dict[str, int] = {}

    def check(a: Assignment) -> None:
        last = last_progress_report(a.pk)
        assert last is not None  # the step's guard refuses when there is none
        found["last"] = last
        data["carried_from"] = last.pk

    a, _role = step_run(CARRY_FORWARD, actor=actor, assignment=assignment, check=check, apply=mark_reported, data=data)
    last = found["last"]
    return ProgressReport.objects.create(
        assignment=a,
        kind=ReportKind.PROGRESS,
        text=last.text,
        author=actor,
        created_at=now,
        carried_from=last,
        cycle_seq=report_span(now).seq,
    )
