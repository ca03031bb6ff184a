"""Reads of reminders by hand (催办): how often an assignment was reminded and when last. A reminder
is its audit row (action ``assignment.reminded``, the text in the comment), so these read the
audit trail through its (assignment, at) index; nothing else stores them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max
from django.utils import timezone

from supervision import clock
from supervision.models import AuditEvent

REMINDED = "assignment.reminded"


@dataclass(frozen=True)
class ReminderSummary:
    count: int
    last_at: dt.datetime | None


def reminder_summary(assignment_id: int) -> ReminderSummary:
    """How many reminders the assignment has had and when the latest was sent (one query)."""
    row = AuditEvent.objects.filter(assignment_id=assignment_id, action=REMINDED).aggregate(
        count=Count("pk"), last_at=Max("at")
    )
    return ReminderSummary(count=row["count"], last_at=row["last_at"])


def _start_of_today(now: dt.datetime) -> dt.datetime:
    # "A day" is the office's calendar day (TIME_ZONE), not the last 24 hours: a reminder sent at
    # 17:00 does not hold back the next morning's.
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))


def reminded_today(assignment_id: int, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the assignment was reminded today, or None."""
    now = now or clock.now()
    return (
        AuditEvent.objects.filter(assignment_id=assignment_id, action=REMINDED, at__gte=_start_of_today(now))
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
