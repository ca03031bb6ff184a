"""Helpers for the cycle, ranking and notice tests: moments on the cycles' clock, and letters
issued and worked on at those moments."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from supervision import clock, services
from supervision.models import (
    Assignment,
    AuditEvent,
    Cycle,
    DeadlineReminder,
    Escalation,
    Item,
    Letter,
    Notice,
    Notification,
    ProgressReport,
    RuleSet,
    Unit,
    UnitResult,
)
from tests.factories import issue_letter

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Cycle 0 runs Monday 1 to Sunday 14 January 2024; reports are due on Friday 12 January, 17:00.
ANCHOR = dt.date(2024, 1, 1)
# A deadline no cycle of the tests reaches.
FAR_DEADLINE = dt.date(2024, 6, 28)


def use_calendar(settings) -> None:
    """The cycle settings the tests assume (pytest-django's ``settings`` fixture restores them)."""
    settings.CYCLE_ANCHOR = ANCHOR.isoformat()
    settings.CYCLE_LENGTH_DAYS = 14
    settings.CYCLE_CUTOFF_WEEKDAY = 4
    settings.CYCLE_CUTOFF_TIME = "17:00"
    settings.CYCLE_TIME_ZONE = "Asia/Shanghai"
    settings.CYCLE_CLAIM_DAYS = 3
    settings.CYCLE_REPORT_GRACE_DAYS = 7
    settings.CYCLE_REMINDER_DAYS = [3, 1]
    settings.CYCLE_LADDER = [1, 2, 3]
    settings.LIGHT_YELLOW_DAYS = 7


def at(day: dt.date | str, time: str = "10:00") -> dt.datetime:
    """A moment in Shanghai."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return dt.datetime.combine(day, dt.time.fromisoformat(time), tzinfo=SHANGHAI)


def cutoff(n: int) -> dt.datetime:
    """The cut-off of calendar cycle ``n`` under ``use_calendar``."""
    return at(ANCHOR + dt.timedelta(days=14 * n + 11), "17:00")


def tick(moment: dt.datetime) -> services.TickResult:
    return services.tick_run(now=moment)


def issue_at(moment: dt.datetime, w: SimpleNamespace, **kwargs: Any) -> Letter:
    with clock.frozen(moment):
        return issue_letter(w, **kwargs)


def mine(letter: Letter, unit: Unit) -> list[Assignment]:
    return list(Assignment.objects.filter(letter=letter, unit=unit).order_by("item__seq"))


def claim_and_report(moment: dt.datetime, liaison, assignments: list[Assignment], text: str = "已完成排查") -> None:
    with clock.frozen(moment):
        for a in assignments:
            if Assignment.objects.get(pk=a.pk).claimed_by_id is None:
                services.assignment_claim(actor=liaison, assignment=a.pk)
            services.assignment_report_progress(actor=liaison, assignment=a.pk, text=text)


def report(moment: dt.datetime, liaison, assignments: list[Assignment], text: str = "持续推进") -> None:
    with clock.frozen(moment):
        for a in assignments:
            services.assignment_report_progress(actor=liaison, assignment=a.pk, text=text)


def state() -> dict[str, Any]:
    """Everything tick writes, to compare two runs."""
    return {
        "cycles": list(Cycle.objects.order_by("pk").values()),
        "results": list(UnitResult.objects.order_by("pk").values()),
        "escalations": list(Escalation.objects.order_by("pk").values()),
        "rule_sets": list(RuleSet.objects.order_by("pk").values()),
        "reminders": list(DeadlineReminder.objects.order_by("pk").values()),
        "assignments": list(Assignment.objects.order_by("pk").values()),
        "letters": list(Letter.objects.order_by("pk").values()),
        "items": list(Item.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values()),
        "reports": ProgressReport.objects.count(),
        "notices": Notice.objects.count(),
    }


def two_closed_cycles(w: SimpleNamespace) -> SimpleNamespace:
    """Two closed cycles on the test calendar: unit A claims and reports both times, unit B never
    does, so it is last in the counties twice (named after cycle 1, interviewed after cycle 2).
    The letter (two items to A and B, due far away) is ``w.letter``."""
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), w, items=2, deadline=FAR_DEADLINE)
    claim_and_report(at("2024-01-03"), w.liaison_a, mine(letter, w.unit_a))
    tick(cutoff(0))
    claim_and_report(at("2024-01-16"), w.liaison_a, mine(letter, w.unit_a), text="第二期进展")
    tick(cutoff(1))
    w.letter = letter
    return w
