"""Two ``manage.py tick`` runs at once (cron overlapping itself) on PostgreSQL: the database ends
as one run leaves it. Real threads, one connection each, as in test_concurrency.py."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import translation

from supervision import clock, services
from supervision.models import (
    Assignment,
    AuditEvent,
    Cycle,
    DeadlineReminder,
    Escalation,
    Item,
    ItemUnit,
    Letter,
    LetterKind,
    Notification,
    UnitResult,
)
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need PostgreSQL row locks; set DATABASE_URL to a PostgreSQL database to run them",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_tick(moment: dt.datetime) -> services.TickResult:
    # Each thread has its own active language: the texts written must be those of the test's.
    with translation.override("en"):
        return services.tick_run(now=moment)


def normalized() -> dict[str, Any]:
    """What tick writes, without the ids a rolled-back run used up (sequences do not roll back)."""
    return {
        "cycles": sorted(
            Cycle.objects.values_list(
                "number", "seq", "state", "opens_at", "cutoff_at", "closed_at", "rule_set__version"
            )
        ),
        "results": sorted(
            UnitResult.objects.values_list("cycle__number", "unit_id", "held", "reports_made", "score", "rank")
        ),
        "escalations": sorted(Escalation.objects.values_list("cycle__number", "unit_id", "level", "streak")),
        "reminders": sorted(DeadlineReminder.objects.values_list("assignment_id", "deadline", "days_before")),
        "assignments": sorted(
            Assignment.objects.values_list("pk", "state", "version", "report_missed", "overdue_since")
        ),
        "reminder_letters": sorted(
            Letter.objects.filter(kind=LetterKind.REMINDER).values_list("parent_id", "state", "title", "drafter_id")
        ),
        "reminder_items": sorted(
            Item.objects.filter(letter__kind=LetterKind.REMINDER).values_list("seq", "chased_item_id")
        ),
        "reminder_units": sorted(
            ItemUnit.objects.filter(item__letter__kind=LetterKind.REMINDER).values_list("item__seq", "unit_id", "role")
        ),
        "audit": Counter(AuditEvent.objects.values_list("action", "assignment_id", "actor_id")),
        "notifications": Counter(Notification.objects.values_list("recipient_id", "verb", "text")),
    }


def test_two_ticks_at_once_leave_what_one_tick_leaves(world, settings):
    use_calendar(settings)
    tick(at("2024-01-02", "09:00"))
    # At the cut-off of cycle 1: one letter overdue (a reminder letter to draft), one due in two
    # days (reminders to send), A reported and B did not (a ranking, B named, B's lights yellow).
    late = issue_at(at("2024-01-02"), world, items=2, deadline=dt.date(2024, 1, 10))
    soon = issue_at(at("2024-01-02", "11:00"), world, items=1, deadline=dt.date(2024, 1, 14))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(late, world.unit_a) + mine(soon, world.unit_a))
    with clock.frozen(at("2024-01-03")):
        for a in mine(soon, world.unit_b):
            services.assignment_claim(actor=world.liaison_b, assignment=a.pk)
    moment = cutoff(0)
    before = normalized()

    # What one run does, seen inside a transaction that is then rolled back.
    with transaction.atomic():
        alone = services.tick_run(now=moment)
        expected = normalized()
        transaction.set_rollback(True)
    assert normalized() == before
    assert alone.closed == [1] and alone.overdue == 4 and alone.reminders == 2 and alone.missed_marked == 3

    outcomes = race([lambda: run_tick(moment), lambda: run_tick(moment)])

    assert [kind for kind, _v in outcomes] == ["ok", "ok"], outcomes
    assert sorted(v.changed for _kind, v in outcomes) == [False, True]
    assert normalized() == expected
    assert tick(moment).changed is False
    assert normalized() == expected


def test_ticks_racing_transitions_do_not_deadlock(world, settings):
    use_calendar(settings)
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=3, deadline=dt.date(2024, 1, 10))
    with clock.frozen(at("2024-01-03")):
        for a in mine(letter, world.unit_a):
            services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
            services.assignment_start(actor=world.liaison_a, assignment=a.pk)
    moment = at("2024-01-11", "09:00")

    def work(a: Assignment):
        def run():
            with clock.frozen(moment):
                return services.assignment_submit_completion(actor=world.liaison_a, assignment=a.pk, text="已完成")

        return run

    outcomes = race(
        [lambda: run_tick(moment), *[work(a) for a in mine(letter, world.unit_a)], lambda: run_tick(moment)]
    )

    assert all(kind == "ok" for kind, _v in outcomes), outcomes
    assert Letter.objects.filter(kind=LetterKind.REMINDER).count() == 1
    marked = Assignment.objects.filter(letter=letter, overdue_since__isnull=False)
    # Each marked assignment on the reminder once: its unit under the item it chases.
    assert sorted(
        ItemUnit.objects.filter(item__letter__kind=LetterKind.REMINDER).values_list("item__chased_item_id", "unit_id")
    ) == sorted(marked.values_list("item_id", "unit_id"))
    assert Item.objects.filter(letter__kind=LetterKind.REMINDER).count() == marked.values("item").distinct().count()
    assert tick(moment + dt.timedelta(minutes=1)).overdue == 0
