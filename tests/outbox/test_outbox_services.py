"""The office sends failed messages again; whoever keeps a channel sends it a test message. Both
check who asks, change nothing when refused, and leave an audit row."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision import clock
from supervision.models import AuditEvent, Delivery, DeliveryStatus, OutboxEvent
from supervision.outbox.services import channel_test_message, deliveries_retry_failed, delivery_retry
from supervision.services.channels import channel_disable
from supervision.services.errors import InvalidInput, InvalidTransition, NotAllowed
from tests.factories import issue_letter
from tests.outbox.conftest import dispatch, wednesday


@pytest.fixture
def failed(channels, morning, settings):
    """Unit A's letter, its robots and the webhook failed for good (the receiver was down)."""
    settings.OUTBOX_MAX_ATTEMPTS = 1
    w = channels.world
    channels.receiver.stop()
    issue_letter(w, units=[w.unit_a])
    OutboxEvent.objects.exclude(name="letter.issued").delete()
    dispatch()
    channels.receiver.start()
    settings.OUTBOX_MAX_ATTEMPTS = 6
    return list(Delivery.objects.filter(channel__isnull=False).order_by("id"))


def test_the_office_sends_a_failed_message_again(channels, failed, morning):
    w, receiver = channels.world, channels.receiver
    d = failed[0]
    assert d.status == DeliveryStatus.FAILED
    for outsider in (w.liaison_a, w.leader_a, w.observer, w.inspector):
        with pytest.raises(NotAllowed):
            delivery_retry(actor=outsider, delivery_id=d.pk)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED
    retried = delivery_retry(actor=w.clerk, delivery_id=d.pk)
    assert retried.status == DeliveryStatus.PENDING and retried.attempts == 0 and retried.due_at == morning
    row = AuditEvent.objects.get(action="delivery.retried")
    assert row.actor == w.clerk and row.data["delivery"] == str(d.uuid) and row.from_state == "failed"
    dispatch()
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and d.tries.count() == 2
    assert len(receiver.delivered()) == 1
    with pytest.raises(InvalidTransition):
        delivery_retry(actor=w.clerk, delivery_id=d.pk)  # delivered: nothing to send again
    with pytest.raises(InvalidInput):
        delivery_retry(actor=w.clerk, delivery_id=10**9)


def test_the_office_sends_a_selection_of_failed_messages_again(channels, failed):
    w, receiver = channels.world, channels.receiver
    with pytest.raises(NotAllowed):
        deliveries_retry_failed(actor=w.leader_a, ids=[d.pk for d in failed])
    with pytest.raises(InvalidInput):
        deliveries_retry_failed(actor=w.director, ids=[])
    assert deliveries_retry_failed(actor=w.director, ids=[d.pk for d in failed[:2]] + [10**9]) == 2
    assert AuditEvent.objects.get(action="deliveries.retried").data["count"] == 2
    dispatch()
    statuses = [Delivery.objects.get(pk=d.pk).status for d in failed]
    assert statuses == [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.FAILED]
    assert len(receiver.delivered()) == 2


def test_a_test_message_reaches_only_its_channel_even_switched_off_and_at_night(channels):
    w, receiver = channels.world, channels.receiver
    dispatch()  # the fixture's letter
    receiver.clear()
    channel_disable(actor=w.clerk, channel=channels.dingtalk)
    with pytest.raises(NotAllowed):
        channel_test_message(actor=w.liaison_a, channel=channels.dingtalk)
    with pytest.raises(NotAllowed):
        channel_test_message(actor=w.leader_b, channel=channels.dingtalk)
    with clock.frozen(wednesday(23)):
        event = channel_test_message(actor=w.leader_a, channel=channels.dingtalk)
        dispatch()
    assert event.name == "channel.test" and event.payload == {"channel": channels.dingtalk.pk}
    (d,) = Delivery.objects.filter(event=event)
    assert d.channel == channels.dingtalk and d.status == DeliveryStatus.SENT
    (got,) = receiver.delivered()
    assert got.kind == "dingtalk" and got.verified and "Test message" in got.text
    row = AuditEvent.objects.get(action="channel.tested")
    assert row.actor == w.leader_a and row.data["channel"] == channels.dingtalk.pk
    with pytest.raises(InvalidInput):
        channel_test_message(actor=w.clerk, channel=10**9)


def test_a_retry_of_a_held_message_sends_it_now(channels, morning):
    w, receiver = channels.world, channels.receiver
    dispatch()
    receiver.clear()
    with clock.frozen(wednesday(22)):
        issue_letter(w, units=[w.unit_a])
        dispatch()
        held = Delivery.objects.get(channel=channels.wecom, status=DeliveryStatus.HELD)
        assert held.due_at > clock.now() + dt.timedelta(hours=9)
        delivery_retry(actor=w.clerk, delivery_id=held.pk)
        dispatch()
    held.refresh_from_db()
    assert held.status == DeliveryStatus.SENT and len(receiver.delivered("wecom")) == 1
