"""Benchmark 4: ranking one cycle (双周排队) for 5,000 units holding 200,000 assignments.

The service path is ``services.cycle_close``, as tick runs it at the cut-off: claim the close,
count every unit's figures in SQL (three aggregate queries), score and place them, bulk-insert
the 5,000 results and step the escalation ladder. The baseline is a single hand-written SQL
aggregate computing the same figures per unit over the same data, fetched. Each run happens in
a transaction that is rolled back, so every run closes the same cycle; the two paths are checked
to count the same figures.

The data is generated straight into the tables by bench/ranking_data.py (``build``, importable
from here as well).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from supervision import services
from supervision.models import (
    Assignment,
    AuditEvent,
    Cycle,
    ExtensionRequest,
    ProgressReport,
    Unit,
    UnitResult,
)
from supervision.services.ranking import unit_figures

from .ranking_data import Data, build
from .sqlbits import stamp, table


@dataclass
class RankingResult:
    units: int
    assignments: int
    reports: int
    audit_rows: int
    service_s: list[float] = field(default_factory=list)
    baseline_s: list[float] = field(default_factory=list)
    service_queries: int = 0
    baseline_queries: int = 1
    ranked: int = 0


# --- the two paths ------------------------------------------------------------------------------------


def _baseline_sql() -> str:
    """The per-unit figures in one hand-written statement (PostgreSQL; SUM(CASE) runs on SQLite too)."""
    a, u, r = table(Assignment), table(Unit), table(ProgressReport)
    e, x = table(AuditEvent), table(ExtensionRequest)
    on_time = (
        "a.claimed_at <= a.issued_at + interval '1 day' * %(claim_days)s"
        if connection.vendor == "postgresql"
        else "a.claimed_at <= datetime(a.issued_at, '+' || %(claim_days)s || ' days')"
    )
    open_ = "('issued','return_requested','accepted','in_progress','completion_requested','awaiting_verification')"
    return f"""
WITH made AS (
    SELECT DISTINCT assignment_id FROM {r} WHERE created_at > %(o)s AND created_at <= %(c)s
), figures AS (
    SELECT a.unit_id,
        SUM(CASE WHEN a.state IN {open_} OR (a.state = 'verified' AND a.verified_at > %(o)s)
                   OR (a.state = 'closed' AND a.closed_at > %(o)s) THEN 1 ELSE 0 END) AS held,
        SUM(CASE WHEN a.issued_at > %(claim_from)s AND a.issued_at <= %(claim_to)s THEN 1 ELSE 0 END) AS claims_due,
        SUM(CASE WHEN a.issued_at > %(claim_from)s AND a.issued_at <= %(claim_to)s
                  AND a.claimed_at IS NOT NULL AND {on_time} THEN 1 ELSE 0 END) AS claimed_on_time,
        SUM(CASE WHEN a.issued_at <= %(grace)s AND (a.state IN ('issued','accepted','in_progress')
                  OR m.assignment_id IS NOT NULL) THEN 1 ELSE 0 END) AS reports_due,
        SUM(CASE WHEN a.issued_at <= %(grace)s AND m.assignment_id IS NOT NULL THEN 1 ELSE 0 END) AS reports_made,
        SUM(CASE WHEN a.state IN {open_} AND a.deadline < %(day)s THEN 1 ELSE 0 END) AS overdue,
        SUM(CASE WHEN a.state = 'closed' AND a.closed_at > %(o)s AND a.closed_at <= %(c)s THEN 1 ELSE 0 END)
            AS closed
    FROM {a} a LEFT JOIN made m ON m.assignment_id = a.id
    WHERE a.issued_at <= %(c)s AND a.state NOT IN ('reassigned', 'withdrawn')
    GROUP BY a.unit_id
), events AS (
    SELECT a.unit_id,
        SUM(CASE WHEN e.action = 'assignment.rejected' THEN 1 ELSE 0 END) AS rejections,
        SUM(CASE WHEN e.action = 'assignment.reassigned' THEN 1 ELSE 0 END) AS returns_upheld,
        SUM(CASE WHEN e.action = 'assignment.reissued' THEN 1 ELSE 0 END) AS returns_rejected
    FROM {e} e JOIN {a} a ON a.id = e.assignment_id
    WHERE e.action IN ('assignment.rejected', 'assignment.reassigned', 'assignment.reissued')
      AND e.at > %(o)s AND e.at <= %(c)s
    GROUP BY a.unit_id
), granted AS (
    SELECT a.unit_id, COUNT(*) AS extensions
    FROM {x} x JOIN {a} a ON a.id = x.assignment_id
    WHERE x.state = 'approved' AND x.decided_at > %(o)s AND x.decided_at <= %(c)s
    GROUP BY a.unit_id
)
SELECT u.id,
    COALESCE(f.held, 0), COALESCE(f.claims_due, 0), COALESCE(f.claimed_on_time, 0), COALESCE(f.reports_due, 0),
    COALESCE(f.reports_made, 0), COALESCE(f.overdue, 0), COALESCE(f.closed, 0), COALESCE(v.rejections, 0),
    COALESCE(v.returns_upheld, 0), COALESCE(v.returns_rejected, 0), COALESCE(g.extensions, 0)
FROM {u} u
LEFT JOIN figures f ON f.unit_id = u.id
LEFT JOIN events v ON v.unit_id = u.id
LEFT JOIN granted g ON g.unit_id = u.id
WHERE u.is_active AND u.kind <> 'office'
"""


FIGURES = (
    "held",
    "claims_due",
    "claimed_on_time",
    "reports_due",
    "reports_made",
    "overdue",
    "closed",
    "rejections",
    "returns_upheld",
    "returns_rejected",
    "extensions",
)


def baseline_figures(cycle: Cycle) -> dict[int, tuple[int, ...]]:
    from django.conf import settings

    from supervision import cycle_calendar

    claim = dt.timedelta(days=int(settings.CYCLE_CLAIM_DAYS))
    params = {
        "o": stamp(cycle.opens_at),
        "c": stamp(cycle.cutoff_at),
        "claim_from": stamp(cycle.opens_at - claim),
        "claim_to": stamp(cycle.cutoff_at - claim),
        "claim_days": int(settings.CYCLE_CLAIM_DAYS),
        "grace": stamp(cycle.cutoff_at - dt.timedelta(days=int(settings.CYCLE_REPORT_GRACE_DAYS))),
        "day": cycle_calendar.local_date(cycle.cutoff_at),
    }
    with connection.cursor() as cur:
        cur.execute(_baseline_sql(), params)
        return {row[0]: tuple(int(v) for v in row[1:]) for row in cur.fetchall()}


def close_with_service(cycle: Cycle) -> tuple[float, int]:
    """Seconds for services.cycle_close, and the units ranked; rolled back afterwards."""
    with transaction.atomic():
        started = time.perf_counter()
        services.cycle_close(cycle=cycle, now=timezone.now())
        seconds = time.perf_counter() - started
        ranked = UnitResult.objects.filter(cycle=cycle, ranked=True).count()
        transaction.set_rollback(True)
    return seconds, ranked


def aggregate_with_bare_sql(cycle: Cycle) -> float:
    started = time.perf_counter()
    baseline_figures(cycle)
    return time.perf_counter() - started


def _check(data: Data) -> None:
    """The service's figures (its aggregate queries) and the baseline's agree unit by unit."""
    ours = unit_figures(opens_at=data.cycle.opens_at, cutoff_at=data.cycle.cutoff_at)
    theirs = baseline_figures(data.cycle)
    for unit_id in data.unit_ids:
        mine = tuple(int(ours.get(unit_id, {}).get(name) or 0) for name in FIGURES)
        if mine != theirs[unit_id]:
            raise AssertionError(f"unit {unit_id}: service counts {mine}, baseline {theirs[unit_id]}")


def run(*, units: int, assignments: int, runs: int) -> RankingResult:
    from django.test.utils import CaptureQueriesContext

    from .database import analyze

    print(f"  generating {units:,} units and {assignments:,} assignments…")
    started = time.perf_counter()
    data = build(units=units, assignments=assignments)
    analyze()
    print(
        f"  generated in {time.perf_counter() - started:.0f} s: {data.counts['reports']:,} reports, "
        f"{data.counts['audit']:,} audit rows, {data.counts['extensions']:,} extensions"
    )
    _check(data)
    result = RankingResult(
        units=units,
        assignments=data.counts["assignments"],
        reports=data.counts["reports"],
        audit_rows=data.counts["audit"],
    )
    # Untimed: a warm-up of each path, and one more service run counting its statements.
    close_with_service(data.cycle)
    aggregate_with_bare_sql(data.cycle)
    with CaptureQueriesContext(connection) as ctx:
        _seconds, result.ranked = close_with_service(data.cycle)
    # Django does not log the COPY that writes the results: count it by hand.
    result.service_queries = len(ctx.captured_queries) + 1
    for n in range(runs):
        order = [
            ("service", lambda: close_with_service(data.cycle)[0]),
            ("baseline", lambda: aggregate_with_bare_sql(data.cycle)),
        ]
        for name, fn in order if n % 2 == 0 else reversed(order):
            seconds = fn()
            (result.service_s if name == "service" else result.baseline_s).append(seconds)
            print(f"  run {n + 1} {name:8s} {seconds:.3f} s")
    return result


def summary(r: RankingResult) -> tuple[float, float, float]:
    """(service median, baseline median, ratio)."""
    s, b = statistics.median(r.service_s), statistics.median(r.baseline_s)
    return s, b, s / b
