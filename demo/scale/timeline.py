"""One task's life, drawn at random but as the engine would have recorded it: the steps taken (each an
audit row going from the state the previous one ended in), the progress reports (at most one per
cycle), the completion report and its sign-off, the timestamps on the row, and the state it is in
now. Nothing here touches the database; ``tasks`` writes what a life says.

A life is laid out forward from its issue: claimed after a day or two (a few units are slow), work
started at once or by the first report, reports in most cycles while the work goes on, completion
after two weeks to a few months, the leader's sign-off, the office's verification (sometimes failed
once, then submitted again) and the write-off. Steps that would fall after "now" are not taken,
so old letters are mostly written off and recent ones mostly claimed. A sub-task whose parent has
already reported completion had to be written off before that: its life is squeezed in between.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field

from supervision import cycle_calendar

DAY = dt.timedelta(days=1)
PROGRESS_TEXTS = (
    "已召开专题会议研究部署，制定整改方案，明确责任人和完成时限，正在按计划推进。",
    "已完成问题排查，建立整改台账，逐项销号推进，本期完成既定节点任务。",
    "整改工作按序时进度推进，相关资金已拨付到位，现场施工进展顺利。",
    "本期进展无重大变化，已督促责任单位加快进度，确保按期完成。",
    "已对照问题清单开展回访核查，群众满意度明显提升，持续巩固整改成效。",
)
COMPLETION_TEXTS = (
    "该问题已整改到位，建立长效机制，相关佐证材料已归档，申请核验销号。",
    "整改任务全部完成，经实地核查群众反映问题已解决，申请核验。",
)
# Share of tasks whose unit reports in (nearly) every cycle.
REPORTERS = 0.4
REJECTION_REASON = "佐证材料不充分，请补充现场照片和资金拨付凭证后重新报送。"


@dataclass(frozen=True)
class Actor:
    """Who takes a step: user id, the role acted in and the unit it is held in."""

    user: int
    role: str
    unit: int


@dataclass(frozen=True)
class Side:
    """The people around one task: the unit's liaison and leader, and whoever issues, verifies and
    writes it off (the office's staff, or for a sub-task the unit that handed it down)."""

    liaison: Actor
    leader: Actor
    issuer: Actor
    verifier: Actor
    closer: Actor


@dataclass
class Life:
    state: str = "issued"
    claimed_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    verified_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    rejections: int = 0
    # (at, actor, action, from, to, comment, data)
    events: list[tuple] = field(default_factory=list)
    # (at, kind, text, cycle seq)
    reports: list[tuple] = field(default_factory=list)
    signoffs: list[dt.datetime] = field(default_factory=list)
    last_at: dt.datetime | None = None
    # When the unit handed the task down (set by ``hand_down``); the sub-tasks are issued then.
    handed_down_at: dt.datetime | None = None
    # The first completion report: a parent's sub-tasks were all written off before it.
    first_submit: dt.datetime | None = None

    def step(self, at: dt.datetime, actor: Actor, action: str, to: str, comment: str = "", data: str = "{}") -> None:
        self.events.append((at, actor, action, self.state, to, comment, data))
        self.state, self.last_at = to, at

    @property
    def version(self) -> int:
        # Every state-bearing row but the issue is one change of the row (supervision.integrity).
        return sum(1 for e in self.events if e[4] and e[2] not in FIRST_ACTIONS)


FIRST_ACTIONS = ("assignment.issued", "assignment.handed_down")


class Calendar:
    """The cycles' report windows around the campaign, for placing one report per cycle."""

    def __init__(self, start: dt.datetime, end: dt.datetime):
        first = cycle_calendar.span_at(start).seq - 1
        last = cycle_calendar.span_at(end).seq + 1
        self.spans = [cycle_calendar.span(seq) for seq in range(first, last + 1)]
        self.cutoffs = [s.cutoff_at for s in self.spans]

    def seq_at(self, at: dt.datetime) -> int:
        """The cycle whose report window (after the previous cut-off, up to its own) holds ``at``."""
        return self.spans[bisect.bisect_left(self.cutoffs, at)].seq

    def windows(self, since: dt.datetime, until: dt.datetime):
        """(seq, from, to) of each cycle window overlapping (since, until]."""
        n = bisect.bisect_left(self.cutoffs, since)
        while n < len(self.spans):
            span = self.spans[n]
            if span.opens_at >= until:
                return
            yield span.seq, max(since, span.opens_at), min(until, span.cutoff_at)
            n += 1


def _days(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=rng.uniform(low, high) * 86400)


class Planner:
    def __init__(self, *, now: dt.datetime, calendar: Calendar, rng: random.Random, first_action: str):
        self.now, self.calendar, self.rng, self.first_action = now, calendar, rng, first_action

    def live(
        self,
        side: Side,
        issued_at: dt.datetime,
        unit_id: int,
        *,
        sub_task: bool = False,
        finish_by: dt.datetime | None = None,
        hand_down: tuple[str, list[int]] | None = None,
        stay_open: bool = False,
    ) -> Life:
        """The life of one task issued at ``issued_at``. ``finish_by``: it must be written off by
        then (a sub-task of a parent that reported completion). ``hand_down``: (audit action, unit
        ids): the unit breaks it down or forwards it soon after claiming; ``handed_down_at`` says
        when (None: it was not claimed in time), and the caller writes the sub-tasks."""
        rng, life = self.rng, Life()
        data = f'{{"unit": {unit_id}}}'
        life.events.append(
            (issued_at, side.issuer, self.first_action if sub_task else "assignment.issued", "", "issued", "", data)
        )
        life.last_at = issued_at
        end = self.now if finish_by is None else finish_by
        span = (end - issued_at).total_seconds() / 86400
        if finish_by is not None:
            # Squeezed: every milestone inside the window, in order.
            marks = sorted(rng.uniform(0.02, 0.98) for _ in range(5))
            claim, submit, sign, verify, close = (issued_at + dt.timedelta(days=span * m) for m in marks)
            claim = min(claim, issued_at + _days(rng, 0.05, 2))
        else:
            slow = rng.random() < 0.04
            claim = issued_at + (_days(rng, 6, 40) if slow else _days(rng, 0.05, 2.5))
            submit = claim + _days(rng, 25 if hand_down else 18, 170)
            if stay_open:  # a sample the pages are tried on: still being worked on
                claim, submit = min(claim, self.now - 5 * DAY), self.now + 30 * DAY
            sign = submit + _days(rng, 0.1, 2)
            verify = sign + _days(rng, 0.5, 7)
            close = verify + _days(rng, 0.5, 6)
        if claim > end:
            return life
        life.claimed_at = claim
        life.step(claim, side.liaison, "assignment.claimed", "accepted")
        work_from = claim
        if hand_down is not None:
            at = claim + (_days(rng, 0.02, 1) if finish_by is None else (submit - claim) * 0.1)
            if at < min(submit, end):
                action, units = hand_down
                life.handed_down_at = work_from = at
                data = '{"units": [' + ", ".join(str(u) for u in units) + "]}"
                life.step(at, side.liaison, action, "in_progress", data=data)
        elif rng.random() < 0.4:
            at = claim + _days(rng, 0.05, 3)
            if at < min(submit, end):
                life.step(at, side.liaison, "assignment.started", "in_progress")
        self._reports(life, side, work_from, min(submit, end))
        if submit > end:
            return life
        self._complete(life, side, submit, sign, verify, close, end)
        return life

    def _reports(self, life: Life, side: Side, since: dt.datetime, until: dt.datetime) -> None:
        rng = self.rng
        # A share of the units report every cycle or nearly; the others now and then.
        diligence = rng.uniform(0.6, 0.95) if rng.random() < REPORTERS else rng.uniform(0.0, 0.3)
        for seq, low, high in self.calendar.windows(since, until):
            if high <= low or rng.random() > diligence:
                continue
            at = low + (high - low) * rng.uniform(0.05, 0.95)
            text = rng.choice(PROGRESS_TEXTS)
            life.reports.append((at, "progress", text, seq))
            data = f'{{"files": 0, "cycle": {seq}}}'
            life.step(at, side.liaison, "assignment.reported", "in_progress", text[:200], data)
        if life.state == "accepted" and until > since and rng.random() < 0.5:
            life.step(since + (until - since) * 0.1, side.liaison, "assignment.started", "in_progress")

    def _complete(self, life, side, submit, sign, verify, close, end) -> None:
        rng = self.rng
        if life.state == "accepted":
            life.step(submit - (submit - life.last_at) / 2, side.liaison, "assignment.started", "in_progress")
        life.first_submit = submit
        for attempt in range(2):
            if submit > end:
                return
            text = rng.choice(COMPLETION_TEXTS)
            life.reports.append((submit, "completion", text, None))
            life.completed_at = submit
            life.step(
                submit, side.liaison, "assignment.completion_submitted", "completion_requested", text, '{"files": 0}'
            )
            if sign > end:
                return
            life.signoffs.append(sign)
            life.step(sign, side.leader, "assignment.completion_signed", "awaiting_verification")
            if verify > end:
                return
            if attempt == 0 and rng.random() < 0.05 and close + 12 * DAY < end:
                life.rejections += 1
                life.step(verify, side.verifier, "assignment.rejected", "in_progress", REJECTION_REASON)
                submit = verify + _days(rng, 3, 10)
                sign, verify, close = submit + _days(rng, 0.1, 1), submit + _days(rng, 1, 3), submit + _days(rng, 3, 5)
                continue
            life.verified_at = verify
            life.step(verify, side.verifier, "assignment.verified", "verified")
            if close > end:
                return
            life.closed_at = close
            life.step(close, side.closer, "assignment.closed", "closed")
            return
