"""Which progress report belongs to which cycle: the reads behind "one report per cycle" and
"nothing changed, carry it forward". Read by the step table's guards and by the report services,
so they live apart from both."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Q, Subquery

# rankings as a module: it imports the services package, so its names exist only once it has run.
from supervision import clock
from supervision.models import Assignment, ProgressReport, ReportKind
from supervision.selectors import rankings

from .prefetch import MISSING, prefetched


def cycle_progress_report(assignment_id: int, seq: int | None = None) -> ProgressReport | None:
    """The assignment's progress report of the cycle (default: the current one), if made."""
    seq = rankings.report_span().seq if seq is None else seq
    return ProgressReport.objects.filter(assignment_id=assignment_id, kind=ReportKind.PROGRESS, cycle_seq=seq).first()


def last_progress_report(assignment_id: int) -> ProgressReport | None:
    found = prefetched(("last_progress_report", assignment_id))
    if found is not MISSING:
        return found
    return (
        ProgressReport.objects.filter(assignment_id=assignment_id, kind=ReportKind.PROGRESS)
        .order_by("-created_at", "-id")
        .first()
    )


def reported_this_cycle(assignment_id: int, now: dt.datetime | None = None) -> bool:
    """Whether any report (progress or completion) was made in the current report window, or
    this cycle's progress report exists (an amended one may predate the window's opening)."""
    if now is None:
        found = prefetched(("reported_this_cycle", assignment_id))
        if found is not MISSING:
            return found
    now = now or clock.now()
    seq, opens_at, _cutoff = rankings.report_span(now)
    if ProgressReport.objects.filter(assignment_id=assignment_id, created_at__gt=opens_at).exists():
        return True
    return cycle_progress_report(assignment_id, seq) is not None


# --- the same reads for many assignments at once (a batch preview, services/prefetch.py) ----------


def last_progress_reports(assignment_ids: list[int]) -> dict[tuple, ProgressReport | None]:
    """``last_progress_report`` of each assignment, as prefetch keys: two queries for all."""
    latest = (
        ProgressReport.objects.filter(assignment_id=OuterRef("pk"), kind=ReportKind.PROGRESS)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    last_ids = (
        Assignment.objects.filter(pk__in=assignment_ids)
        .annotate(last=Subquery(latest))
        .exclude(last=None)
        .values_list("last", flat=True)
    )
    found = {r.assignment_id: r for r in ProgressReport.objects.filter(pk__in=list(last_ids))}
    return {("last_progress_report", pk): found.get(pk) for pk in assignment_ids}


def reported_this_cycle_all(assignment_ids: list[int]) -> dict[tuple, bool]:
    """``reported_this_cycle`` (now) of each assignment, as prefetch keys: two queries for all."""
    seq, opens_at, _cutoff = rankings.report_span(clock.now())
    reported = set(
        ProgressReport.objects.filter(assignment_id__in=assignment_ids)
        .filter(Q(created_at__gt=opens_at) | Q(kind=ReportKind.PROGRESS, cycle_seq=seq))
        .values_list("assignment_id", flat=True)
    )
    return {("reported_this_cycle", pk): pk in reported for pk in assignment_ids}
