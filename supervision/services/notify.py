"""Notifications into the persistent inbox, written in the same transaction as the change.

Each call also writes one outbox event (supervision/outbox/write.py): one more INSERT, no read.
The worker later finds the e-mails and work-group robots that should carry it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from supervision import clock
from supervision.models import Assignment, Letter, Membership, Notice, Notification, Unit
from supervision.outbox.write import outbox_event_add, outbox_event_build, outbox_events_save
from supervision.selectors.hand_down import answerable_unit, unit_roles_for

from . import bulk_sql
from .push import notification_payload, push_after_commit, push_batches_after_commit


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
    (see bulk_sql: most transitions call this).

    What a service says to "the office" about a sub-task (a completion to verify, a return or an
    extension to decide, a task to write off) goes to the unit that handed it down, to the unit
    roles that play those office roles there (selectors/hand_down.py): that unit is its office."""
    if assignment.parent_id is not None and unit_id == assignment.letter.office_id:
        unit_id, roles = answerable_unit(assignment), unit_roles_for(roles) or roles
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


def notify_assignments(
    *,
    assignments: Sequence[Assignment],
    roles: Sequence[str],
    verb: str,
    text: str,
    fields: Callable[[Assignment], dict[str, str]],
) -> int:
    """Tell the holders of ``roles`` in each assignment's unit about their own assignment, for many
    assignments at once (a task broken down into fifty parts): one query for the people, one
    INSERT for the inbox rows and one for the outbox events, one commit hook for the pushes.
    ``text`` is formatted with ``fields(assignment)``."""
    if not assignments:
        return 0
    now = clock.now()
    members: dict[int, list[int]] = defaultdict(list)
    rows = Membership.objects.filter(
        unit_id__in={a.unit_id for a in assignments}, role__in=list(roles), user__is_active=True
    ).values_list("unit_id", "user_id")
    for unit_id, user_id in rows.order_by("unit_id", "user_id").distinct():
        members[unit_id].append(user_id)
    told: list[tuple[Assignment, str, list[Notification]]] = []
    for a in assignments:
        said = text % fields(a)
        told.append(
            (
                a,
                said,
                [
                    Notification(
                        recipient_id=uid,
                        verb=verb,
                        text=said[:300],
                        letter_id=a.letter_id,
                        assignment_id=a.pk,
                        created_at=now,
                    )
                    for uid in members.get(a.unit_id, [])
                ],
            )
        )
    Notification.objects.bulk_create([n for _a, _said, rows_ in told for n in rows_])
    outbox_events_save(
        [
            outbox_event_build(
                verb=verb,
                text=said,
                letter_id=a.letter_id,
                assignment_id=a.pk,
                unit_ids=[a.unit_id],
                recipient_ids=[n.recipient_id for n in rows_],
                payload=_payload(assignment=a),
                created_at=now,
            )
            for a, said, rows_ in told
        ]
    )
    push_batches_after_commit(
        [
            (
                [(n.pk, n.recipient_id) for n in rows_],
                notification_payload(verb=verb, text=said, letter_id=a.letter_id, assignment_id=a.pk, created_at=now),
            )
            for a, said, rows_ in told
        ]
    )
    return sum(len(rows_) for _a, _said, rows_ in told)


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
