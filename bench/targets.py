"""The targets the benchmarked paths must meet, and whether a run meets them: the fan-out and the
transitions (``summarise``), the documents and the ranking. bench/report.py writes the verdicts
into BENCHMARKS.md and re-exports these names; the later benchmarks keep their targets in their
own modules (bench/api.py, bench/batch.py, …).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .documents import DocumentsResult
from .fanout import FanoutResult
from .ranking import RankingResult
from .ranking import summary as ranking_summary
from .transitions import TransitionResult

# The targets the service path must meet.
FANOUT_MAX_RATIO = 4.0
FANOUT_MAX_SECONDS = 1.5
# Transitions are judged by their ratio to bare SQL in the same run, with a floor: people click, and
# 100 a second in one process is millions a day.
MIN_TRANSITIONS_PER_SECOND = 100.0
TRANSITIONS_MAX_RATIO = 2.5
LETTER_MAX_SECONDS = 0.25
NOTICE_MAX_SECONDS = 1.5  # the 20-page biweekly notice
# Streaming: ten times the rows may not double the peak memory of an Excel export.
MEMORY_MAX_GROWTH = 2.0
# Ranking a cycle: within 1.5× of one hand-written SQL aggregate, and under 2 s.
RANKING_MAX_RATIO = 1.5
RANKING_MAX_SECONDS = 2.0


@dataclass(frozen=True)
class Summary:
    fanout_median: float
    fanout_min: float
    fanout_baseline_median: float
    fanout_ratio: float
    fanout_ratio_ok: bool
    fanout_time_ok: bool
    tps_median: float
    tps_best: float
    tps_baseline_median: float
    tps_ratio: float
    tps_ok: bool
    tps_ratio_ok: bool

    @property
    def all_pass(self) -> bool:
        return self.fanout_ratio_ok and self.fanout_time_ok and self.tps_ok and self.tps_ratio_ok


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def summarise(fanout: FanoutResult, loop: TransitionResult) -> Summary:
    f_med, b_med = statistics.median(fanout.service_s), statistics.median(fanout.baseline_s)
    rates = [loop.transitions / r.seconds for r in loop.service]
    base_rates = [loop.transitions / r.seconds for r in loop.baseline]
    tps, base_tps = statistics.median(rates), statistics.median(base_rates)
    return Summary(
        fanout_median=f_med,
        fanout_min=min(fanout.service_s),
        fanout_baseline_median=b_med,
        fanout_ratio=f_med / b_med,
        fanout_ratio_ok=f_med / b_med <= FANOUT_MAX_RATIO,
        fanout_time_ok=f_med < FANOUT_MAX_SECONDS,
        tps_median=tps,
        tps_best=max(rates),
        tps_baseline_median=base_tps,
        # How many times longer a transition takes through the services than in bare SQL.
        tps_ratio=base_tps / tps,
        tps_ok=tps >= MIN_TRANSITIONS_PER_SECOND,
        tps_ratio_ok=base_tps / tps <= TRANSITIONS_MAX_RATIO,
    )


def ranking_ok(r: RankingResult) -> bool:
    median, _base, ratio = ranking_summary(r)
    return ratio <= RANKING_MAX_RATIO and median < RANKING_MAX_SECONDS


def letter_ok(d: DocumentsResult) -> bool:
    return d.letter.ours <= LETTER_MAX_SECONDS


def notice_ok(d: DocumentsResult) -> bool:
    return d.notice is not None and d.notice.ours <= NOTICE_MAX_SECONDS


def memory_ok(d: DocumentsResult) -> bool:
    return d.memory[-1].peak_bytes <= MEMORY_MAX_GROWTH * d.memory[0].peak_bytes
