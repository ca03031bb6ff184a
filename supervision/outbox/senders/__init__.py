"""Senders: one per channel kind, each turning a delivery into one HTTP request or e-mail and
saying how it went. They never raise for a failed send and never put a secret into what they
return: the worker stores ``Outcome.error`` in DeliveryAttempt and Channel.last_error, which the
office reads."""

from __future__ import annotations

from collections.abc import Callable

from supervision.models import ChannelKind, Delivery

from .base import Outcome, redact
from .email import email_send
from .robots import dingtalk_send, wecom_send
from .webhook import webhook_send

Sender = Callable[[Delivery], Outcome]

SENDERS: dict[str, Sender] = {
    ChannelKind.EMAIL: email_send,
    ChannelKind.WECOM: wecom_send,
    ChannelKind.DINGTALK: dingtalk_send,
    ChannelKind.WEBHOOK: webhook_send,
}

__all__ = ["SENDERS", "Outcome", "Sender", "redact"]
