"""A receiver that trickles its answer cannot hold the worker past its lease: each send ends by
its deadline, a send the lease would not cover waits for the next batch, and what another
worker has taken over is left to it, so no message goes out twice."""

from __future__ import annotations

import datetime as dt

from supervision.models import Delivery, DeliveryAttempt, DeliveryStatus
from supervision.outbox import dispatch as worker
from supervision.outbox.dispatch import DispatchResult, deliveries_send
from supervision.outbox.expand import events_expand
from supervision.outbox.write import outbox_event_build, outbox_events_save
from tests.outbox.conftest import dispatch

# A byte every 20 ms: each read of the answer waits far less than the timeout, the whole answer
# (about ninety bytes) takes nearly two seconds.
TRICKLE = 0.02


def _events(n: int, at) -> list[Delivery]:
    """``n`` events for the office's webhook alone (no unit, nobody to e-mail), expanded."""
    outbox_events_save([outbox_event_build(verb="stand_in", text=f"消息{i}") for i in range(n)])
    events_expand(now=at)
    return list(Delivery.objects.order_by("id"))


def _short_timeouts(settings) -> None:
    settings.OUTBOX_TIMEOUT = 0.25  # so a POST ends within half a second
    settings.EMAIL_TIMEOUT = 0.02


def test_an_answer_trickling_in_is_cut_off_at_the_deadline_and_retried(channels, morning, settings):
    _short_timeouts(settings)
    (d,) = _events(1, morning)
    channels.receiver.slow(TRICKLE)
    result = dispatch()
    d.refresh_from_db()
    assert (d.status, d.attempts, result.retrying) == (DeliveryStatus.PENDING, 1, 1)
    assert "no complete answer within 0.5 s" in d.last_error
    assert d.due_at == morning + dt.timedelta(seconds=30)


def test_a_worker_does_not_start_a_send_its_lease_would_not_cover(channels, morning, settings):
    _short_timeouts(settings)
    settings.OUTBOX_LEASE_SECONDS = 0.8
    settings.OUTBOX_SEND_THREADS = 1
    receiver = channels.receiver
    first, second, third = _events(3, morning)
    receiver.slow(TRICKLE)
    result = DispatchResult()

    assert deliveries_send(now=morning, result=result) == 3

    # The first send took half a second of the 0.8: another would end after the lease, when a
    # second worker may take the row and send it too. The other two wait for the next batch.
    assert receiver.started == 1
    for d in (first, second, third):
        d.refresh_from_db()
    assert (first.status, first.attempts) == (DeliveryStatus.PENDING, 1)
    for d in (second, third):
        assert (d.status, d.attempts, d.due_at, d.leased_until) == (DeliveryStatus.PENDING, 0, morning, None)
        assert not DeliveryAttempt.objects.filter(delivery=d).exists()
    assert (result.retrying, result.deferred) == (1, 2)
    receiver.slow(0)
    assert dispatch().sent == 2
    assert {str(second.uuid): 1, str(third.uuid): 1}.items() <= receiver.delivery_counts().items()


def test_a_worker_leaves_alone_what_another_worker_took_over(channels, morning, monkeypatch):
    receiver = channels.receiver
    kept, lost = _events(2, morning)
    take = worker.deliveries_take

    def take_then_lose_one(**kwargs):
        ids, lease = take(**kwargs)
        # This worker stalls past its lease; another one takes the second delivery over.
        Delivery.objects.filter(pk=lost.pk).update(leased_until=lease + dt.timedelta(minutes=10))
        return ids, lease

    monkeypatch.setattr(worker, "deliveries_take", take_then_lose_one)
    deliveries_send(now=morning)

    assert [m.delivery for m in receiver.delivered("webhook")] == [str(kept.uuid)]
    lost.refresh_from_db()
    assert (lost.status, lost.attempts) == (DeliveryStatus.SENDING, 0), "the other worker sends and records it"
    assert not DeliveryAttempt.objects.filter(delivery=lost).exists()
    kept.refresh_from_db()
    assert kept.status == DeliveryStatus.SENT
