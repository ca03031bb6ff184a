"""A channel turned off gets nothing, not even what was queued for it before: a message held for
quiet hours or waiting for a retry ends as failed, saying why, on the monitor and the channel's
page; once the channel is on again the office may send it. Its test message still goes."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from supervision import clock
from supervision.models import Delivery, DeliveryStatus, OutboxEvent
from supervision.outbox.services import delivery_retry
from supervision.services.channels import channel_disable, channel_enable
from tests.factories import issue_letter
from tests.helpers import signed_in
from tests.outbox.conftest import dispatch, wednesday

OFF = "The channel is turned off: this message was not sent."


def test_a_message_held_at_night_is_not_sent_once_the_channel_is_turned_off(channels, client):
    w, receiver = channels.world, channels.receiver
    dispatch()  # whatever the fixtures wrote
    receiver.clear()
    night = wednesday(22)
    with clock.frozen(night):
        issue_letter(w, units=[w.unit_a])
        dispatch()
    held = Delivery.objects.get(channel=channels.wecom, status=DeliveryStatus.HELD)
    channel_disable(actor=w.clerk, channel=channels.wecom)

    result = dispatch(night + dt.timedelta(hours=10))  # the next morning, 08:00

    assert receiver.delivered("wecom") == [], "nothing reaches a channel that is off"
    assert len(receiver.delivered("dingtalk")) == 1, "the unit's other robot is on"
    held.refresh_from_db()
    assert held.status == DeliveryStatus.FAILED and held.last_error.startswith(OFF)
    assert held.attempts == 0 and not held.tries.exists(), "nothing was tried"
    assert result.failed == 1 and result.sent == 3  # the other robot and two e-mails
    # The monitor and the channel's page say why.
    browser = signed_in(client, w.clerk)
    assert OFF in browser.get(reverse("messages:monitor")).content.decode()
    assert OFF in browser.get(reverse("messages:unit_channels", args=[w.unit_a.pk])).content.decode()
    # Sending it again while the channel is off changes nothing; once it is on, it goes.
    with clock.frozen(night + dt.timedelta(hours=11)):
        delivery_retry(actor=w.clerk, delivery_id=held.pk)
        dispatch()
        held.refresh_from_db()
        assert held.status == DeliveryStatus.FAILED and receiver.delivered("wecom") == []
        channel_enable(actor=w.clerk, channel=channels.wecom)
        delivery_retry(actor=w.clerk, delivery_id=held.pk)
        dispatch()
    held.refresh_from_db()
    assert held.status == DeliveryStatus.SENT and len(receiver.delivered("wecom")) == 1


def test_a_message_waiting_for_its_retry_is_not_sent_once_the_channel_is_turned_off(channels, morning):
    w, receiver = channels.world, channels.receiver
    issue_letter(w, units=[w.unit_b])
    OutboxEvent.objects.exclude(name="letter.issued").delete()
    receiver.fail(1)
    dispatch(morning)
    waiting = Delivery.objects.get(channel=channels.webhook)
    assert waiting.status == DeliveryStatus.PENDING and waiting.attempts == 1
    channel_disable(actor=w.clerk, channel=channels.webhook)
    dispatch(waiting.due_at)
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.FAILED and waiting.last_error.startswith(OFF)
    assert waiting.attempts == 1 and receiver.delivered("webhook") == []
