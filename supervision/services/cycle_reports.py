"""Which progress report belongs to which cycle: the reads behind "one report per cycle" and
"nothing changed, carry it forward". Read by the step table's guards and by the report services,
so they live apart from both."""

from __future__ import annotations

import datetime as dt

# rankings as a module: it imports the services package, so its names exist only once it has run.
from supervision import clock
from supervision.models import ProgressReport, ReportKind
from supervision.selectors import rankings


def cycle_progress_report(assignment_id: int, seq: int | None = None) -> ProgressReport | None:
    """The assignment's progress report of the cycle (default: the current one), if made."""
    seq = rankings.report_span().seq if seq is None else seq
    return ProgressReport.objects.filter(assignment_id=assignment_id, kind=ReportKind.PROGRESS, cycle_seq=seq).first()


def last_progress_report(assignment_id: int) -> ProgressReport | None:
    return (
        ProgressReport.objects.filter(assignment_id=assignment_id, kind=ReportKind.PROGRESS)
        .order_by("-created_at", "-id")
        .first()
    )


def reported_this_cycle(assignment_id: int, now: dt.datetime | None = None) -> bool:
    """Whether any report (progress or completion) was made in the current report window, or
    this cycle's progress report exists (an amended one may predate the window's opening)."""
    now = now or clock.now()
    seq, opens_at, _cutoff = rankings.report_span(now)
    if ProgressReport.objects.filter(assignment_id=assignment_id, created_at__gt=opens_at).exists():
        return True
    return cycle_progress_report(assignment_id, seq) is not None
