"""The body an integration receives for an event: the webhook sends exactly this, and the API's
event feed (/api/events/) lists the same dicts, so a consumer parses one shape either way."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from supervision.links import notification_url
from supervision.models import OutboxEvent


def event_url(event: OutboxEvent) -> str:
    """The absolute link of the page the event is about, or "" when it names no page.

    The most specific reference wins, as for an inbox row (supervision/links.py); an event about
    a unit alone (an escalation) opens that unit when it names exactly one."""
    units = event.unit_ids or []
    target = {
        "assignment": event.assignment_id,
        "letter": event.letter_id,
        "notice": event.notice_id,
        "unit": units[0] if len(units) == 1 else None,
    }
    path = notification_url(target)
    return f"{settings.SITE_URL}{path}" if path else ""


def event_body(event: OutboxEvent) -> dict[str, Any]:
    """The event as integrations see it. Times in the office's zone (+08:00), ids as numbers."""
    data: dict[str, Any] = {
        "assignment": event.assignment_id,
        "letter": event.letter_id,
        "notice": event.notice_id,
        "units": list(event.unit_ids or []),
    }
    # The payload adds what the transition knew (state, deadline …); it never overrides the refs.
    for key, value in (event.payload or {}).items():
        data.setdefault(key, value)
    return {
        "id": str(event.uuid),
        "event": event.name,
        "occurred_at": timezone.localtime(event.created_at).isoformat(),
        "text": event.text,
        "url": event_url(event),
        "data": data,
    }
