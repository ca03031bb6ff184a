"""Senders: one per channel kind. Each prepares a delivery (reads what the message needs, renders
it in the active language, signs it) and returns the transmission, a function that only talks to
the network (one HTTP request or one e-mail) and says how it went. The worker prepares a batch
in its own thread, then transmits it from several threads at once: a provider a continent away
answers in a tenth of a second, and one worker should not wait for each in turn.

A transmission never raises for a failed send and never puts a secret into what it returns: the
worker stores ``Outcome.error`` in DeliveryAttempt and Channel.last_error, which the office reads."""

from __future__ import annotations

from collections.abc import Callable

from supervision.models import ChannelKind, Delivery

from .base import Outcome, Transmit, redact
from .email import email_prepare
from .robots import dingtalk_prepare, wecom_prepare
from .webhook import webhook_prepare

Prepare = Callable[[Delivery], Transmit]

SENDERS: dict[str, Prepare] = {
    ChannelKind.EMAIL: email_prepare,
    ChannelKind.WECOM: wecom_prepare,
    ChannelKind.DINGTALK: dingtalk_prepare,
    ChannelKind.WEBHOOK: webhook_prepare,
}


def send_now(delivery: Delivery) -> Outcome:
    """Prepare and transmit one delivery in this thread (tests, a single message)."""
    return SENDERS[delivery.kind](delivery)()


__all__ = ["SENDERS", "Outcome", "Prepare", "Transmit", "redact", "send_now"]
