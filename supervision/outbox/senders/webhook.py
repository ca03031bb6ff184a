"""Generic webhook: ``POST`` the event as JSON (payload.event_body, exactly what the API's event
feed lists), signed when the channel has a secret:

    X-Supervision-Event: assignment.overdue
    X-Supervision-Delivery: <delivery uuid>     the same on every retry: drop a repeat by it
    X-Supervision-Timestamp: <unix seconds>
    X-Supervision-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

A receiver recomputes the signature over the raw body, compares in constant time and rejects
old timestamps. A channel key, when set, goes as ``Authorization: Bearer <key>``. Any 2xx
answer is a delivery; a 4xx other than 408, 425 and 429 (the receiver refuses the request: wrong
signature, unknown path, a body it cannot take) fails at once; anything else is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from supervision.crypto import decrypt
from supervision.models import Delivery

from ..payload import event_body
from .base import Outcome, Transmit, http_permanent, http_post, redact


def webhook_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_headers(delivery: Delivery, body: bytes, *, secret: str, key: str, timestamp: int) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "supervision-outbox/1",
        "X-Supervision-Event": delivery.event.name,
        "X-Supervision-Delivery": str(delivery.uuid),
        "X-Supervision-Timestamp": str(timestamp),
    }
    if secret:
        headers["X-Supervision-Signature"] = webhook_signature(secret, timestamp, body)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def webhook_prepare(delivery: Delivery) -> Transmit:
    channel = delivery.channel
    body = json.dumps(event_body(delivery.event), ensure_ascii=False, separators=(",", ":")).encode()
    secret, key = decrypt(channel.secret_encrypted), decrypt(channel.key_encrypted)

    def transmit() -> Outcome:
        # Stamped and signed when sent: a receiver rejects old timestamps.
        headers = webhook_headers(delivery, body, secret=secret, key=key, timestamp=int(time.time()))
        response = http_post(channel.url, body, headers)
        if response.status is not None and 200 <= response.status < 300:
            return Outcome(True, response.status)
        error = redact(response.error or f"HTTP {response.status}", [secret, key])
        return Outcome(False, response.status, error, permanent=http_permanent(response.status))

    return transmit
