"""A worker that dies loses nothing: what it had taken is taken again once its lease runs out, and
sent (at most once more, with the same delivery id). Several workers never send a message twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from supervision import clock
from supervision.models import ChannelKind, Delivery, DeliveryAttempt, DeliveryStatus
from supervision.outbox.dispatch import deliveries_take, dispatch_run, lease_seconds
from supervision.outbox.expand import events_expand
from supervision.outbox.receiver import Receiver
from supervision.outbox.tasks import dispatch_enqueue
from supervision.outbox.write import outbox_event_build, outbox_events_save
from supervision.services.channels import channel_create
from supervision.services.cycles import tick_run
from tests.outbox.conftest import WEBHOOK_SECRET, dispatch, lookup
from tests.servers import ROOT, shared_database_url

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (several processes)")


def _webhook(world, receiver: Receiver):
    return channel_create(
        actor=world.clerk,
        unit_id=None,
        kind=ChannelKind.WEBHOOK,
        name="数据平台",
        url=f"{receiver.url}/webhook",
        secret=WEBHOOK_SECRET,
        quiet_hours=False,
    ).channel


def _events(n: int) -> None:
    outbox_events_save([outbox_event_build(verb="stand_in", text=f"消息{i}") for i in range(n)])


def test_what_a_dead_worker_had_taken_is_sent_once_its_lease_runs_out(channels, morning):
    receiver = channels.receiver
    dispatch()
    receiver.clear()
    _events(3)
    events_expand(now=morning)
    taken, _lease = deliveries_take(now=morning)  # a worker takes them … and dies before sending
    assert len(taken) == 3
    assert set(Delivery.objects.filter(pk__in=taken).values_list("status", flat=True)) == {DeliveryStatus.SENDING}
    assert dispatch(morning + dt.timedelta(seconds=30)).sent == 0, "still leased: nobody else sends them"
    later = morning + dt.timedelta(seconds=lease_seconds() + 1)
    assert dispatch(later).sent == 3
    assert len(receiver.delivered("webhook")) == 3
    assert set(Delivery.objects.filter(pk__in=taken).values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_nothing(world):
    with Receiver(secret_for=lookup) as receiver:
        _webhook(world, receiver)
        _events(2)
        receiver.hang(30)  # the first request hangs: the worker is caught mid-send
        env = {**os.environ, "DATABASE_URL": shared_database_url(), "DEBUG": "1"}
        env["DJANGO_SETTINGS_MODULE"] = "project.settings"
        dispatch_enqueue()
        with tempfile.TemporaryFile() as log:
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                started = receiver.wait_started(1, seconds=60)
            finally:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
            log.seek(0)
            assert started, log.read().decode(errors="replace")[-2000:]
        receiver.hang(0)
        taken = Delivery.objects.filter(status=DeliveryStatus.SENDING)
        assert taken.count() == 2 and not DeliveryAttempt.objects.exists()
        # After the restart, past the lease: tick queues the job, a worker sends what was taken.
        later = clock.now() + dt.timedelta(seconds=lease_seconds() + 5)
        assert tick_run(now=later).dispatch_queued
        with clock.frozen(later):
            call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
        assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
        counts = receiver.delivery_counts()
        ids = {str(u) for u in Delivery.objects.values_list("uuid", flat=True)}
        # Each arrived; the one caught mid-send perhaps twice, with the same id to drop the repeat.
        assert set(counts) == ids and all(1 <= n <= 2 for n in counts.values())


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_several_workers_never_send_a_message_twice(world):
    with Receiver(secret_for=lookup) as receiver:
        _webhook(world, receiver)
        _events(240)
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                barrier.wait(timeout=30)
                dispatch_run()
            except BaseException as exc:  # noqa: BLE001 - checked below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors
        counts: Counter[str] = receiver.delivery_counts()
        assert len(counts) == 240 and set(counts.values()) == {1}
        assert Delivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == 240
        assert DeliveryAttempt.objects.count() == 240


def test_lease_time_covers_a_batch_of_timeouts(settings):
    settings.OUTBOX_TIMEOUT = 10
    settings.EMAIL_TIMEOUT = 20
    assert lease_seconds() >= 20 * 20
