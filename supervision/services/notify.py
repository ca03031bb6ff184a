"""Notifications into the persistent inbox, written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterable

from supervision import clock
from supervision.models import Assignment, Letter, Membership, Notification


def unit_members(unit_ids: Iterable[int], roles: Iterable[str]) -> list[int]:
    """User ids holding one of ``roles`` in any of the units (one query)."""
    return list(
        Membership.objects.filter(unit_id__in=list(unit_ids), role__in=list(roles), user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def notify(
    *,
    recipients: Iterable[int],
    verb: str,
    text: str,
    letter: Letter | None = None,
    assignment: Assignment | None = None,
    exclude: int | None = None,
) -> int:
    """One inbox row per recipient; the actor is not told about their own action."""
    now = clock.now()
    ids = sorted({r for r in recipients if r != exclude})
    letter_id = letter.pk if letter is not None else (assignment.letter_id if assignment is not None else None)
    rows = [
        Notification(
            recipient_id=uid,
            verb=verb,
            text=text[:300],
            letter_id=letter_id,
            assignment=assignment,
            created_at=now,
        )
        for uid in ids
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)
