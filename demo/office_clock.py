"""The office's clock in the replayed campaign: ``tick`` as cron would run it, and what the office
does after each cycle closes (双周调度、双周通报、双周排队).

``tick`` runs every night just after midnight (near-due reminders, overdue marks and the draft
reminder letters that go with them, the lights) and at each cycle's cut-off, where it closes the
cycle into a ranking snapshot and opens the next; a last run at "now" leaves the current cycle
open. After each close the clerk drafts the cycle's notice on the next working morning, the
director signs it together with the reminder letters waiting, and the clerk issues them all;
then 离石区, which the director set to rank its townships, issues its own (township_ranking).
Every step is the same service the product runs, at its moment under the frozen clock.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.utils import timezone

from supervision import clock, cycle_calendar, services
from supervision.models import Cycle, Letter, LetterKind, LetterState

from . import phrases, timing, township_ranking

if TYPE_CHECKING:
    from .history import Replay

NIGHTLY = dt.time(0, 5)


def schedule(replay: Replay) -> None:
    """Put the clock's runs and the office's cycle work into the replay's queue."""
    township_ranking.schedule_marking(replay)
    start = timezone.make_aware(dt.datetime.combine(replay.campaign.start, NIGHTLY))
    day = replay.campaign.start
    while True:
        moment = timezone.make_aware(dt.datetime.combine(day, NIGHTLY))
        if moment >= replay.cut:
            break
        replay.at(moment, _tick)
        day += dt.timedelta(days=1)
    seq = cycle_calendar.span_at(start).seq
    while (cutoff := cycle_calendar.span(seq).cutoff_at) < replay.cut:
        replay.at(cutoff, _tick)
        _after_close(replay, cutoff)
        seq += 1
    replay.at(replay.cut, _tick)  # the last run: the current cycle is open, the lights are today's


def _tick() -> None:
    result = services.tick_run(now=clock.now())
    if result.problems:  # a bug in the demo's set-up (no clerk, no prefix): let it surface
        raise RuntimeError("; ".join(result.problems))


def _after_close(replay: Replay, cutoff: dt.datetime) -> None:
    rng = random.Random(f"{replay.seed}|notice|{cutoff.isoformat()}")
    # The next working morning (a Friday cut-off: Monday).
    draft_at = timing.office_hours(cutoff + dt.timedelta(hours=15), rng)
    sign_at = timing.office_hours(timing.after(draft_at, rng, 0.1, 0.6), rng)
    issue_at = timing.office_hours(timing.after(sign_at, rng, 0.05, 0.3), rng)
    township_ranking.schedule_notice(replay, cutoff, issue_at)
    w = replay.world
    found: dict[str, object] = {}

    def draft() -> None:
        cycle = Cycle.objects.get(cutoff_at=cutoff)
        span = phrases.cycle_period(cycle.starts_on, cycle.ends_on)
        found["notice"] = services.notice_draft(
            actor=w.clerk,
            office=w.office,
            cycle=cycle,
            title=f"巩固衔接问题整改双周通报（第{cycle.number}期）",
            opening=(
                f"按照“双周调度、双周通报、双周排队”工作要求，现将第{cycle.number}期（{span}）各县（市、区）、"
                "市直有关部门和各工作专班问题整改进展情况通报如下。对排名末位的单位予以通报；连续两期排名末位的，"
                "由市级分管领导约谈；连续三期排名末位的，移交问责。"
            ),
        )

    def sign() -> None:
        services.notice_sign(actor=w.director, notice=found["notice"], comment="同意印发。")
        # The reminder letters tick drafted since the last round go out with the notice.
        waiting = Letter.objects.filter(kind=LetterKind.REMINDER, state=LetterState.DRAFT, office=w.office)
        found["reminders"] = [services.letter_sign(actor=w.director, letter=letter) for letter in waiting]

    def issue() -> None:
        services.notice_publish(actor=w.clerk, notice=found["notice"])
        for letter in found.get("reminders", []):
            services.letter_issue(actor=w.clerk, letter=letter)

    for moment, action in ((draft_at, draft), (sign_at, sign), (issue_at, issue)):
        if moment >= replay.cut:
            return
        replay.at(moment, action)
