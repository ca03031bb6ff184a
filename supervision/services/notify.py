"""Notifications into the persistent inbox, written in the same transaction as the change.

Each call also writes one outbox event (supervision/outbox/write.py): one more INSERT, no read.
The worker later finds the e-mails and work-group robots that should carry it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from supervision import clock
from supervision.models import Assignment, Letter, Membership, Notice, Notification, Unit
from supervision.outbox.write import outbox_event_add

from . import bulk_sql
from .push import push_after_commit


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
    notice: Notice | None = None,
    unit: Unit | None = None,
    exclude: int | None = None,
) -> int:
    """One inbox row per recipient; the actor is not told about their own action. ``letter``,
    ``assignment``, ``notice`` or ``unit`` is what the notification links to."""
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
            notice=notice,
            unit=unit,
            created_at=now,
        )
        for uid in ids
    ]
    Notification.objects.bulk_create(rows)
    outbox_event_add(
        verb=verb,
        text=text,
        letter_id=letter_id,
        assignment_id=assignment.pk if assignment is not None else None,
        notice_id=notice.pk if notice is not None else None,
        # An assignment's unit, or the unit the notification is about; a letter's addressed units
        # are found by the worker (expand.py), so the transition reads nothing more.
        unit_ids=[assignment.unit_id] if assignment is not None else ([unit.pk] if unit is not None else []),
        recipient_ids=ids,
        payload=_payload(letter=letter, assignment=assignment, notice=notice),
        created_at=now,
    )
    push_after_commit(
        [(n.pk, n.recipient_id) for n in rows],
        verb=verb,
        text=text,
        letter_id=letter_id,
        assignment_id=assignment.pk if assignment is not None else None,
        notice_id=notice.pk if notice is not None else None,
        unit_id=unit.pk if unit is not None else None,
        created_at=now,
    )
    return len(rows)


def notify_unit(
    *,
    unit_id: int,
    roles: Sequence[str],
    verb: str,
    text: str,
    assignment: Assignment,
    exclude: int | None = None,
) -> int:
    """Tell every active holder of ``roles`` in one unit about an assignment, in one statement
    (see bulk_sql: most transitions call this)."""
    now = clock.now()
    created = bulk_sql.notify_unit_roles(
        unit_id=unit_id,
        roles=[str(r) for r in roles],
        verb=verb,
        text=text,
        letter_id=assignment.letter_id,
        assignment_id=assignment.pk,
        created_at=now,
        exclude=exclude,
    )
    outbox_event_add(
        verb=verb,
        text=text,
        letter_id=assignment.letter_id,
        assignment_id=assignment.pk,
        unit_ids=[unit_id],
        recipient_ids=[uid for _nid, uid in created],
        payload=_payload(assignment=assignment),
        created_at=now,
    )
    push_after_commit(
        created, verb=verb, text=text, letter_id=assignment.letter_id, assignment_id=assignment.pk, created_at=now
    )
    return len(created)


def _payload(
    *, letter: Letter | None = None, assignment: Assignment | None = None, notice: Notice | None = None
) -> dict[str, Any]:
    """What the transition knows without a query, for integrations: the state it left the object
    in, an assignment's deadline, a letter's number."""
    if assignment is not None:
        return {"state": assignment.state, "deadline": assignment.deadline.isoformat() if assignment.deadline else None}
    if letter is not None:
        return {"state": letter.state, "number": letter.number}
    if notice is not None:
        return {"state": notice.state}
    return {}
