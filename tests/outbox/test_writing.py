"""Writing the outbox: each notification writes one event in the transition's transaction, with
no extra read; a rolled-back change leaves nothing to send; the worker is queued once per
transaction, and by tick when something waits; tick's overdue sweep speaks to the unit's robot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from supervision import clock, services
from supervision.models import Delivery, DeliveryStatus, Escalation, OutboxEvent
from supervision.outbox import tasks as tasks_module
from supervision.outbox.payload import event_body
from supervision.outbox.tasks import dispatch_enqueue, outbox_dispatch
from supervision.services.cycles import outbox_tick, tick_run
from tests.factories import issue_letter
from tests.outbox.conftest import deliveries_of, dispatch, latest


def _queued() -> int:
    return DBTaskResult.objects.filter(task_path=outbox_dispatch.module_path, status="READY").count()


def test_a_transition_writes_one_event_with_one_insert_and_no_read(channels, assignment_a):
    w = channels.world
    before = OutboxEvent.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        services.assignment_claim(actor=w.liaison_a, assignment=assignment_a)
    touching = [q["sql"] for q in ctx.captured_queries if "outbox" in q["sql"] or "channel" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("INSERT")
    assert not any("messagepreference" in q["sql"] for q in ctx.captured_queries)
    assert OutboxEvent.objects.count() == before + 1
    event = latest("assignment.claimed")
    assert (event.verb, event.assignment_id, event.letter_id) == (
        "assignment_claimed",
        assignment_a.pk,
        assignment_a.letter_id,
    )
    assert event.unit_ids == [w.unit_a.pk] and event.recipient_ids == [w.leader_a.pk]
    assert event.payload == {"state": "accepted", "deadline": assignment_a.deadline.isoformat()}
    assert not event.urgent and event.expanded_at is None


def test_the_event_body_is_what_integrations_read(channels, assignment_a):
    w = channels.world
    services.assignment_claim(actor=w.liaison_a, assignment=assignment_a)
    event = latest("assignment.claimed")
    body = event_body(event)
    assert body["id"] == str(event.uuid) and body["event"] == "assignment.claimed"
    assert body["occurred_at"].endswith("+08:00")
    assert body["url"] == f"http://127.0.0.1:8000/tasks/{assignment_a.pk}/"
    assert body["data"]["assignment"] == assignment_a.pk and body["data"]["units"] == [w.unit_a.pk]
    assert body["data"]["letter"] == assignment_a.letter_id and body["data"]["notice"] is None
    assert body["data"]["state"] == "accepted"


def test_a_rolled_back_transition_leaves_nothing_to_send(channels, assignment_a, django_capture_on_commit_callbacks):
    w = channels.world
    dispatch()  # the letter's own events
    channels.receiver.clear()
    before = OutboxEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.assignment_claim(actor=w.liaison_a, assignment=assignment_a)
                raise RuntimeError("the request failed after the claim")
        except RuntimeError:
            pass
    assert OutboxEvent.objects.count() == before and callbacks == [] and _queued() == 0
    assert dispatch().sent == 0
    assert not Delivery.objects.filter(event__assignment=assignment_a).exists()
    assert channels.receiver.messages == []


def test_one_transaction_queues_the_worker_once_and_not_while_a_job_waits(people, django_capture_on_commit_callbacks):
    w = people
    # The test runs in one transaction: signing and issuing (three events) queue one job.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        letter = services.letter_create(
            actor=w.clerk,
            office=w.office,
            kind="supervision",
            title="督办函",
            body="正文",
            addressee_ids=[w.unit_a.pk],
            cc_ids=[w.unit_b.pk],
        )
        services.item_add(
            actor=w.clerk, letter=letter, description="问题", measures="措施", deadline=dt.date(2099, 1, 1)
        )
        services.letter_sign(actor=w.director, letter=letter)
        services.letter_issue(actor=w.clerk, letter=letter)
    names = sorted(OutboxEvent.objects.filter(letter=letter).values_list("name", flat=True))
    assert names == ["letter.copied", "letter.issued", "letter.signed"]
    assert "_dispatch_enqueue" in [c.__name__ for c in callbacks] and _queued() == 1
    # Queued again while that job waits: nothing more, the waiting job will see it.
    assert not dispatch_enqueue() and _queued() == 1


# Committed for real: the database worker opens and closes connections as it does in production.
@pytest.mark.django_db(transaction=True)
def test_tick_queues_the_worker_for_events_whose_job_was_lost_and_the_worker_sends_them(channels):
    w, receiver = channels.world, channels.receiver
    issue_letter(w, units=[w.unit_a])
    DBTaskResult.objects.all().delete()  # the jobs queued after those commits were lost
    assert _queued() == 0
    result = tick_run(now=clock.now())
    assert result.dispatch_queued and _queued() == 1
    # The database worker, as `manage.py db_worker --batch` runs it, takes the job and sends.
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert _queued() == 0
    assert len(receiver.delivered("wecom")) == 1 and len(receiver.delivered("dingtalk")) == 1
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
    # Nothing waits any more: tick queues nothing.
    assert not tick_run(now=clock.now()).dispatch_queued


def test_a_newly_overdue_task_is_told_to_the_units_robot_once(channels, morning):
    w, receiver = channels.world, channels.receiver
    issue_letter(w, units=[w.unit_a], items=1, deadline=morning.date() + dt.timedelta(days=1))
    late = morning + dt.timedelta(days=2)  # Friday morning: the robots are not in quiet hours
    tick_run(now=late)
    tick_run(now=late + dt.timedelta(minutes=1))
    (event,) = OutboxEvent.objects.filter(name="assignment.overdue")
    assert event.unit_ids == [w.unit_a.pk] and event.recipient_ids == []
    assert event.text.startswith("Overdue since")
    dispatch(late)
    kinds = {k: len(v) for k, v in deliveries_of(event).items()}
    assert kinds == {"wecom": 1, "dingtalk": 1, "webhook": 1}
    assert any("Task overdue" in m.text for m in receiver.delivered("wecom"))


def test_near_due_reminders_are_events_for_the_unit(channels, morning):
    w = channels.world
    issue_letter(w, units=[w.unit_a], items=1, deadline=morning.date() + dt.timedelta(days=1))
    tick_run(now=morning)
    (event,) = OutboxEvent.objects.filter(name="assignment.deadline_near")
    assert event.unit_ids == [w.unit_a.pk]
    assert sorted(event.recipient_ids) == sorted([w.liaison_a.pk, w.leader_a.pk])
    assert event.payload["days_left"] == 1


def test_outbox_tick_queues_nothing_when_nothing_waits(db):
    assert not OutboxEvent.objects.exists()
    outbox_tick(now=timezone.now())
    assert _queued() == 0


def test_a_process_that_just_saw_a_job_waiting_does_not_ask_again(db):
    tasks_module.dispatch_after_commit()
    assert _queued() == 1
    with CaptureQueriesContext(connection) as again:
        tasks_module.dispatch_after_commit()  # right after: the job seen waiting will see this too
    assert again.captured_queries == [] and _queued() == 1
    assert tasks_module.DEBOUNCE < tasks_module.LINGER, "a job outlives every commit that skipped asking"


def test_each_escalation_is_an_event_for_the_units_robot(ranked):
    steps = list(Escalation.objects.order_by("id").values_list("unit_id", flat=True))
    events = list(OutboxEvent.objects.filter(name="unit.escalated").order_by("id"))
    assert steps and [e.unit_ids for e in events] == [[u] for u in steps]
    assert all(e.recipient_ids and e.payload["cycle_number"] for e in events)
