"""Benchmark: batch actions (批量办理) — a batch claim (签收) of 500 tasks and a batch write-off
(销号) of 500, each against 500 single calls of the same service in the same run.

A batch takes each task through the very service a button calls (its checks under the row
lock, its audit row, its notifications), each inside its own savepoint of the batch's one
transaction (supervision/services/batches.py). The single path is a person clicking through
the queue: 500 calls of that service, one transaction each, the actor loaded afresh for each
as a request would. Each round issues two letters of ``size`` items through the services, one to
unit X (for the batch) and one to unit Y (for the single calls), so both paths close their own
letter with their last write-off. Between the claims and the write-offs every task is taken to
"verified" straight in the table (one UPDATE, as the ranking bench generates its data): the
four transitions in between are the transition loop's subject, not this one's. Rounds alternate
which path goes first.

Alone: ``python bench/run.py --only-batch [--batch-size 500] [--batch-rounds 3]`` (prints the figures,
writes nothing).
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import clock, services
from supervision.models import Assignment, AssignmentState, Letter, LetterState, Unit, User
from supervision.services import steps
from supervision.services.batches import assignments_batch

from .world import World, fresh, issued_letter

# The targets: the batch within 1.2× of the single calls' total, and under 5 s.
MAX_RATIO = 1.2
MAX_SECONDS = 5.0
ACTIONS = ("claim", "close")
LABELS = {"claim": "claim (签收)", "close": "write-off (销号)"}


@dataclass
class Timing:
    batch_s: list[float] = field(default_factory=list)
    single_s: list[float] = field(default_factory=list)

    @property
    def batch(self) -> float:
        return statistics.median(self.batch_s)

    @property
    def single(self) -> float:
        return statistics.median(self.single_s)

    @property
    def ratio(self) -> float:
        return self.batch / self.single


@dataclass
class BatchBenchResult:
    size: int
    rounds: int
    timings: dict[str, Timing]
    # Statements per task, from an untimed pass (BEGIN, COMMIT and SAVEPOINTs included).
    statements: dict[str, tuple[float, float]]


def ok(t: Timing) -> bool:
    return t.ratio <= MAX_RATIO and t.batch < MAX_SECONDS


def all_ok(r: BatchBenchResult) -> bool:
    return all(ok(t) for t in r.timings.values())


# --- one round -----------------------------------------------------------------------------------


def _claim_single(liaison: User, ids: list[int]) -> None:
    for pk in ids:
        services.assignment_claim(actor=fresh(liaison), assignment=pk, responsible_person="张三")


def _claim_batch(liaison: User, ids: list[int]) -> None:
    result = assignments_batch(
        actor=fresh(liaison), step=steps.CLAIM, ids=ids, token=secrets.token_urlsafe(16), responsible_person="张三"
    )
    assert not result.refused, result.refused[:3]


def _close_single(director: User, ids: list[int]) -> None:
    for pk in ids:
        services.assignment_close(actor=fresh(director), assignment=pk, comment="同意销号")


def _close_batch(director: User, ids: list[int]) -> None:
    result = assignments_batch(
        actor=fresh(director), step=steps.CLOSE, ids=ids, token=secrets.token_urlsafe(16), comment="同意销号"
    )
    assert not result.refused, result.refused[:3]


def _letters(w: World, x: Unit, y: Unit, size: int) -> tuple[list[int], list[int], list[int]]:
    """A letter of ``size`` items to X and another to Y: (X's task ids, Y's, the letter ids)."""
    lx = issued_letter(w, unit_ids=[x.pk], items=size)
    ly = issued_letter(w, unit_ids=[y.pk], items=size)
    ids_x = list(Assignment.objects.filter(letter=lx).order_by("pk").values_list("pk", flat=True))
    ids_y = list(Assignment.objects.filter(letter=ly).order_by("pk").values_list("pk", flat=True))
    return ids_x, ids_y, [lx.pk, ly.pk]


def _verified(letter_ids: list[int]) -> None:
    now = clock.now()
    Assignment.objects.filter(letter_id__in=letter_ids).update(
        state=AssignmentState.VERIFIED, completed_at=now, verified_at=now
    )


def _timed(do: Callable[[], None]) -> float:
    started = time.perf_counter()
    do()
    return time.perf_counter() - started


def _pair(
    batch: Callable[[], None], single: Callable[[], None], batch_first: bool, timing: Timing | None
) -> tuple[float, float]:
    if batch_first:
        b = _timed(batch)
        s = _timed(single)
    else:
        s = _timed(single)
        b = _timed(batch)
    if timing is not None:
        timing.batch_s.append(b)
        timing.single_s.append(s)
    return b, s


def _round(w: World, x: Unit, y: Unit, size: int, batch_first: bool, timings: dict[str, Timing] | None) -> None:
    ids_x, ids_y, letters = _letters(w, x, y, size)
    _pair(
        lambda: _claim_batch(w.liaison[x.pk], ids_x),
        lambda: _claim_single(w.liaison[y.pk], ids_y),
        batch_first,
        timings["claim"] if timings else None,
    )
    assert Assignment.objects.filter(letter_id__in=letters, claimed_by__isnull=False).count() == 2 * size
    _verified(letters)
    _pair(
        lambda: _close_batch(w.director, ids_x),
        lambda: _close_single(w.director, ids_y),
        batch_first,
        timings["close"] if timings else None,
    )
    assert Assignment.objects.filter(letter_id__in=letters, state=AssignmentState.CLOSED).count() == 2 * size
    assert Letter.objects.filter(pk__in=letters, state=LetterState.CLOSED).count() == 2


def _statements(w: World, x: Unit, y: Unit, n: int = 10) -> dict[str, tuple[float, float]]:
    """Statements per task of each path, counted on ``n`` tasks outside the timed rounds."""
    ids_x, ids_y, letters = _letters(w, x, y, n)
    counts: dict[str, tuple[float, float]] = {}
    for action, batch, single in (
        ("claim", lambda: _claim_batch(w.liaison[x.pk], ids_x), lambda: _claim_single(w.liaison[y.pk], ids_y)),
        ("close", lambda: _close_batch(w.director, ids_x), lambda: _close_single(w.director, ids_y)),
    ):
        if action == "close":
            _verified(letters)
        with CaptureQueriesContext(connection) as b:
            batch()
        with CaptureQueriesContext(connection) as s:
            single()
        counts[action] = (len(b) / n, len(s) / n)
    return counts


def run(w: World, *, size: int = 500, rounds: int = 3) -> BatchBenchResult:
    x, y = w.units[-2], w.units[-1]
    statements = _statements(w, x, y)
    _round(w, x, y, min(size, 50), True, None)  # untimed warm-up
    timings = {a: Timing() for a in ACTIONS}
    for n in range(rounds):
        _round(w, x, y, size, n % 2 == 0, timings)
    return BatchBenchResult(size=size, rounds=rounds, timings=timings, statements=statements)


# --- BENCHMARKS.md -------------------------------------------------------------------------------


def report_section(r: BatchBenchResult, number: int) -> list[str]:
    lines = [
        f"## {number}. Batch actions (批量办理)",
        "",
        f"A batch claim and a batch write-off of {r.size} tasks each, against {r.size} single calls of the "
        "same service in the same run. The batch (`services.batches.assignments_batch`) runs one "
        "transaction; each task goes through the service its button calls (row lock, the step table's "
        "checks, the transition, its audit row, its notifications) inside a savepoint of its own, and the "
        "run leaves one record with its form token. The single path calls the service once per task, one "
        "transaction each, the actor loaded afresh each time as a request would. Each round issues two "
        f"letters of {r.size} items through the services (one per path, so each closes its own letter with "
        "its last write-off); between the claims and the write-offs the tasks are set to verified with one "
        f"UPDATE. {r.rounds} rounds, alternating which path goes first, after an untimed warm-up; medians.",
        "",
        f"| Action ({r.size} tasks) | Batch | Single calls, total | Ratio | Statements per task, batch | "
        "Statements per task, single |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for action in ACTIONS:
        t = r.timings[action]
        sb, ss = r.statements.get(action, (0.0, 0.0))
        lines.append(
            f"| {LABELS[action]} | {t.batch:.3f} s | {t.single:.3f} s | {t.ratio:.2f}× | {sb:.1f} | {ss:.1f} |"
        )
    lines += ["", "| Target | Measured | Verdict |", "|---|---:|---|"]
    for action in ACTIONS:
        t = r.timings[action]
        lines.append(
            f"| batch {LABELS[action]} within {MAX_RATIO:g}× of the single calls' total and under "
            f"{MAX_SECONDS:g} s | {t.ratio:.2f}×, {t.batch:.3f} s | {'**PASS**' if ok(t) else '**FAIL**'} |"
        )
    lines.append("")
    return lines


def history_fragment(r: BatchBenchResult) -> str:
    parts = ", ".join(
        f"{action} {r.timings[action].batch:.2f} s ({r.timings[action].ratio:.2f}× single)" for action in ACTIONS
    )
    return f" · batch of {r.size}: {parts} ({'PASS' if all_ok(r) else 'FAIL'})"


def summary_line(r: BatchBenchResult) -> str:
    parts = "; ".join(
        f"{action} batch {t.batch:.3f} s vs {t.single:.3f} s single ({t.ratio:.2f}×)" for action, t in r.timings.items()
    )
    return f"Batch of {r.size}: {parts} — {'PASS' if all_ok(r) else 'FAIL'}"
