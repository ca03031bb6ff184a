"""BENCHMARKS.md: the latest figures in full, and one summary line per run under History."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .database import Backend
from .fanout import FanoutResult
from .machine import Machine
from .transitions import STEPS, TransitionResult

# The targets the service path must meet.
FANOUT_MAX_RATIO = 4.0
FANOUT_MAX_SECONDS = 1.5
MIN_TRANSITIONS_PER_SECOND = 200.0

HISTORY_HEADING = "## History"
STEP_LABELS = {
    "claim": "claim (签收)",
    "report_progress": "report progress (整改进展)",
    "submit_completion": "submit completion",
    "approve_completion": "leader approves (审签)",
    "verify": "verify (核验)",
    "close": "close (销号)",
}


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

    @property
    def all_pass(self) -> bool:
        return self.fanout_ratio_ok and self.fanout_time_ok and self.tps_ok


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
    )


def read_history(path: Path) -> list[str]:
    """The summary lines of earlier runs, kept verbatim."""
    if not path.exists():
        return []
    lines, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() == HISTORY_HEADING:
            inside = True
        elif inside and line.startswith("## "):
            break
        elif inside and line.startswith("- "):
            lines.append(line)
    return lines


def history_line(machine: Machine, s: Summary) -> str:
    return (
        f"- {machine.date} · {machine.database} · {machine.cpu} ({machine.calibration.split(';')[0]}) · "
        f"fan-out {s.fanout_median:.3f} s median, {s.fanout_ratio:.1f}× baseline "
        f"({'PASS' if s.fanout_ratio_ok and s.fanout_time_ok else 'FAIL'}) · "
        f"transitions {s.tps_median:,.0f}/s median, {s.tps_ratio:.1f}× baseline time "
        f"({'PASS' if s.tps_ok else 'FAIL'})"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _fanout_section(f: FanoutResult, s: Summary) -> list[str]:
    n = f.units * f.items
    return [
        "## 1. Fan-out: issuing one letter",
        "",
        f"One signed letter addressed to {f.units} units with {f.items} items that name no unit, so every "
        f"item goes to every unit: `services.letter_issue` numbers the letter and creates {n:,} assignments, "
        f"{f.audit_rows:,} audit rows (one for the letter, one per assignment) and {f.notifications:,} "
        "notifications (each unit's liaison and leader), in one transaction. The baseline does the same reads "
        "and writes in bare SQL (letter lock, role check, counter upsert, letter UPDATE, one multi-row INSERT "
        "each for the assignments and the audit rows — `INSERT … SELECT FROM UNNEST` on PostgreSQL, as "
        "Django's `bulk_create` does, multi-row VALUES on SQLite — and one INSERT … SELECT for the "
        "notifications). "
        f"{len(f.service_s)} runs each, alternating, a fresh letter every run; after each run the row "
        "counts are checked.",
        "",
        "| | Service | Baseline (bare SQL) |",
        "|---|---:|---:|",
        f"| median | {s.fanout_median:.3f} s | {s.fanout_baseline_median:.3f} s |",
        f"| min | {s.fanout_min:.3f} s | {min(f.baseline_s):.3f} s |",
        f"| SQL statements (BEGIN and COMMIT included) | {f.service_queries} | {f.baseline_queries} |",
        "",
        "| Target | Measured | Verdict |",
        "|---|---:|---|",
        f"| service within {FANOUT_MAX_RATIO:g}× of the baseline (median / median) | {s.fanout_ratio:.2f}× | "
        f"{verdict(s.fanout_ratio_ok)} |",
        f"| service under {FANOUT_MAX_SECONDS:g} s (median) | {s.fanout_median:.3f} s | {verdict(s.fanout_time_ok)} |",
        "",
    ]


def _transition_section(t: TransitionResult, s: Summary) -> list[str]:
    def per_step(rounds: list, step: str) -> float:
        return statistics.median(r.per_step[step] for r in rounds) / t.assignments

    lines = [
        "## 2. Transition loop",
        "",
        f"{t.assignments} assignments, each taken through the six transitions claim → report progress → "
        f"submit completion → leader approves → verify → close ({t.transitions:,} transitions per round, "
        "one transaction each, each actor loaded afresh as a request would). The baseline does the same "
        "row lock, UPDATE and audit / report / sign-off / notification INSERTs in bare SQL, one transaction "
        f"per transition. {len(t.service)} rounds each, alternating; the closing of the letter with its "
        "last assignment is included.",
        "",
        "| | Service | Baseline (bare SQL) |",
        "|---|---:|---:|",
        f"| transitions per second, median round | {s.tps_median:,.0f} | {s.tps_baseline_median:,.0f} |",
        f"| transitions per second, best round | {s.tps_best:,.0f} | "
        f"{max(t.transitions / r.seconds for r in t.baseline):,.0f} |",
        f"| time per transition, median round | {_ms(1 / s.tps_median)} | {_ms(1 / s.tps_baseline_median)} |",
        "",
        "| Target | Measured | Verdict |",
        "|---|---:|---|",
        f"| at least {MIN_TRANSITIONS_PER_SECOND:g} transitions per second (median round) | "
        f"{s.tps_median:,.0f}/s | {verdict(s.tps_ok)} |",
        f"| ratio to the baseline (time per transition; no target) | {s.tps_ratio:.2f}× | — |",
        "",
        "Per step (median over the rounds; statements counted with `CaptureQueriesContext`, BEGIN and "
        "COMMIT included, in the typical case: not the close that also closes the letter):",
        "",
        "| Step | Service | Baseline | Ratio | Service statements | Baseline statements |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for step in STEPS:
        svc, base = per_step(t.service, step), per_step(t.baseline, step)
        lines.append(
            f"| {STEP_LABELS[step]} | {_ms(svc)} | {_ms(base)} | {svc / base:.1f}× | "
            f"{t.service_queries.get(step, 0)} | {t.baseline_queries.get(step, 0)} |"
        )
    total_q = sum(t.service_queries.values())
    total_b = sum(t.baseline_queries.values())
    lines += [f"| **all six** | | | | **{total_q}** | **{total_b}** |", ""]
    return lines


def render(machine: Machine, backend: Backend, fanout: FanoutResult, loop: TransitionResult, history: list[str]) -> str:
    s = summarise(fanout, loop)
    lines = [
        "# Benchmarks",
        "",
        "What the two hot paths of the engine cost, next to the same work done in bare SQL: issuing a "
        "letter (the fan-out into assignments) and the assignment transitions. Run with `make bench` "
        "(`bench/run.py`); it uses the PostgreSQL database in `DATABASE_URL` (default: "
        "`supervision_bench` on the local server, created if missing, emptied at every run) and rewrites "
        "this file, keeping the History section. Debug query logging is off while timing; statement "
        "counts come from a separate, untimed pass.",
        "",
    ]
    if backend.is_fallback:
        lines += [
            "> **These figures are SQLite ones**: PostgreSQL was not reachable when this run was made, so it "
            "ran on a temporary SQLite file. Production runs on PostgreSQL; rerun `make bench` with it.",
            "",
        ]
    lines += [
        "## Machine",
        "",
        f"- Date: {machine.date}",
        f"- CPU: {machine.cpu}",
        f"- Cores: {machine.cores}",
        f"- RAM: {machine.ram}",
        f"- Python: {machine.python}",
        f"- Django: {machine.django}",
        f"- Database: {machine.database}" + (" (fallback)" if backend.is_fallback else ""),
        "- Live pushes: "
        + ("the Redis channel layer" if settings.REDIS_URL else "the in-memory channel layer (Redis not reachable)"),
        f"- Calibration: {machine.calibration}",
        "",
        "Virtual machines vary by ±20 % from one run to the next; the ratios to the baseline, taken in "
        "the same process and interleaved, move less than the absolute figures.",
        "",
    ]
    lines += _fanout_section(fanout, s)
    lines += _transition_section(loop, s)
    lines += [
        HISTORY_HEADING,
        "",
        "One line per run, oldest first.",
        "",
        *history,
        history_line(machine, s),
        "",
    ]
    return "\n".join(lines)
