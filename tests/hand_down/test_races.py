"""Races on PostgreSQL (see tests/test_concurrency.py): two break-downs of one task at once; a
roll-up (or completion) of a task against the reopening of its written-off sub-task."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from supervision import services
from supervision.models import Assignment, AssignmentState, AuditEvent, Unit, UnitKind
from supervision.services import InvalidInput, InvalidTransition, SubTaskPart
from tests.hand_down.conftest import SOON
from tests.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need PostgreSQL row locks; set DATABASE_URL to a PostgreSQL database to run them",
    ),
    pytest.mark.django_db(transaction=True),
]

S = AssignmentState


def _in_english(fn: Callable[[], Any]) -> Callable[[], Any]:
    # A thread starts in the site's language (Chinese): the messages are read in English here.
    def run() -> Any:
        with translation.override("en"):
            return fn()

    return run


def test_two_break_downs_racing_create_no_duplicate(hierarchy, county_task):
    w = hierarchy
    parts = [SubTaskPart(w.town_a1.pk, SOON, "排查"), SubTaskPart(w.town_a2.pk, SOON, "排查")]
    outcomes = race(
        [
            _in_english(
                lambda: services.assignment_break_down(actor=w.liaison_a, assignment=county_task.pk, parts=parts)
            )
            for _ in range(4)
        ]
    )
    done = [r for kind, r in outcomes if kind == "ok"]
    refused = [r for kind, r in outcomes if kind == "error"]
    # The parent's lock serialises them: the first creates both parts, the others see them held.
    assert len(done) == 1 and len(refused) == 3
    assert all(isinstance(e, InvalidInput) and "already holds a part" in str(e) for e in refused)
    assert Assignment.objects.filter(parent=county_task).count() == 2
    assert AuditEvent.objects.filter(action="assignment.broken_down").count() == 1


def test_fifty_parts_well_under_half_a_second(hierarchy, county_task):
    w = hierarchy
    units = Unit.objects.bulk_create(
        [Unit(name=f"甲县{i}镇", kind=UnitKind.TOWNSHIP, peer_group="township", parent=w.unit_a) for i in range(50)]
    )
    parts = [SubTaskPart(u.pk, SOON, f"第{i}部分：排查整改") for i, u in enumerate(units)]
    started = time.perf_counter()
    subs = services.assignment_break_down(actor=w.liaison_a, assignment=county_task.pk, parts=parts)
    took = time.perf_counter() - started
    assert len(subs) == 50
    assert took < 0.5, f"{took:.3f} s"


# --- a roll-up against a reopened sub-task -----------------------------------------------------------
# The roll-up (and any completion of the parent) holds the parent's row while it reads its
# sub-tasks; the reopening of a sub-task takes its own row, then its parent's, and asks again.
# Whichever is first, the other waits for it and then sees what it did.


def _in_turn(first, second, slow: str, monkeypatch) -> list[tuple[str, object]]:
    """Run ``first`` in a thread that holds its transaction open a moment after its checks (its
    word to the unit is slow: ``slow`` names the module's notify_unit), and ``second`` meanwhile."""
    import importlib
    import threading

    module = importlib.import_module(slow)
    original = module.notify_unit

    def slow_notify(**kw):
        if threading.current_thread().name == "first":
            time.sleep(0.6)
        return original(**kw)

    monkeypatch.setattr(module, "notify_unit", slow_notify)
    outcomes: dict[str, tuple[str, object]] = {}

    def run(name: str, fn) -> None:
        try:
            outcomes[name] = ("ok", _in_english(fn)())
        except Exception as exc:  # noqa: BLE001 - every outcome is checked by the test
            outcomes[name] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, fn), name=n) for n, fn in (("first", first), ("second", second))]
    threads[0].start()
    time.sleep(0.2)
    threads[1].start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung: a lock was never released"
    return [outcomes["first"], outcomes["second"]]


@pytest.fixture
def rolled_up_ready(hierarchy, county_task) -> tuple[Assignment, Assignment]:
    from tests.hand_down.conftest import break_down, finish_below

    (sub,) = break_down(hierarchy, county_task, "town_a1")
    finish_below(hierarchy, sub, "town_a1")
    return Assignment.objects.get(pk=county_task.pk), Assignment.objects.get(pk=sub.pk)


def _consistent(parent: Assignment, sub: Assignment) -> None:
    parent, sub = Assignment.objects.get(pk=parent.pk), Assignment.objects.get(pk=sub.pk)
    assert not (parent.state == S.COMPLETION_REQUESTED and sub.state != S.CLOSED), (parent.state, sub.state)


def test_reopen_of_a_sub_task_waits_for_the_roll_up_and_is_refused(hierarchy, rolled_up_ready, monkeypatch):
    w = hierarchy
    parent, sub = rolled_up_ready
    roll_up, reopen = _in_turn(
        lambda: services.assignment_roll_up(actor=w.liaison_a, assignment=parent.pk),
        lambda: services.assignment_reopen(actor=w.leader_a, assignment=sub.pk, reason="问题反弹"),
        # The roll-up's word to the leader goes out through services/work.py.
        "supervision.services.work",
        monkeypatch,
    )
    assert roll_up[0] == "ok"
    assert reopen[0] == "error" and isinstance(reopen[1], InvalidTransition), reopen
    assert "reopen the parent task first" in str(reopen[1])
    _consistent(parent, sub)


def test_roll_up_waits_for_the_reopen_of_a_sub_task_and_is_refused(hierarchy, rolled_up_ready, monkeypatch):
    w = hierarchy
    parent, sub = rolled_up_ready
    reopen, roll_up = _in_turn(
        lambda: services.assignment_reopen(actor=w.leader_a, assignment=sub.pk, reason="问题反弹"),
        lambda: services.assignment_roll_up(actor=w.liaison_a, assignment=parent.pk),
        "supervision.services.office_checks",
        monkeypatch,
    )
    assert reopen[0] == "ok"
    assert roll_up[0] == "error" and isinstance(roll_up[1], InvalidTransition), roll_up
    _consistent(parent, sub)


def test_completion_of_the_parent_waits_for_the_reopen_of_a_sub_task(hierarchy, rolled_up_ready, monkeypatch):
    w = hierarchy
    parent, sub = rolled_up_ready
    reopen, submit = _in_turn(
        lambda: services.assignment_reopen(actor=w.leader_a, assignment=sub.pk, reason="问题反弹"),
        lambda: services.assignment_submit_completion(actor=w.liaison_a, assignment=parent.pk, text="已完成"),
        "supervision.services.office_checks",
        monkeypatch,
    )
    assert reopen[0] == "ok"
    assert submit[0] == "error" and "still open" in str(submit[1]), submit
    _consistent(parent, sub)
