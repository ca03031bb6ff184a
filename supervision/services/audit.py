"""Writing the audit trail: the one place audit rows are built. Called inside the transaction of
the change it records.

``audit_record`` writes one row; for a change that touches many rows at once (a letter's
issue or withdrawal, the overdue sweep, the escalation ladder) build each row with
``audit_event`` and write them together with ``audit_record_many``: one INSERT, not one per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from supervision import clock
from supervision.models import Assignment, AuditEvent, Letter, User


def audit_event(
    *,
    actor: User | None = None,
    role: str = "",
    unit_id: int | None = None,
    action: str,
    letter: Letter | int | None = None,
    assignment: Assignment | int | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """An unsaved audit row. ``letter`` and ``assignment`` take an instance or an id; without a
    letter, an assignment instance's letter is recorded, so its letter's timeline shows it.

    ``role`` as the step table or roles.has_role hands it over: an ActingRole also says whom a
    stand-in acted for (recorded as ``on_behalf_of``, "X for Y") and whether a one-person unit's
    waiver of four eyes let the step through (recorded in ``data`` as ``four_eyes_waived``)."""
    if getattr(role, "four_eyes_waived", False):
        data = {**(data or {}), "four_eyes_waived": True}
    if isinstance(letter, Letter):
        letter_id: int | None = letter.pk
    elif letter is not None:
        letter_id = int(letter)
    else:
        letter_id = assignment.letter_id if isinstance(assignment, Assignment) else None
    return AuditEvent(
        at=at or clock.now(),
        actor_id=actor.pk if actor is not None else None,
        on_behalf_of_id=getattr(role, "on_behalf_of", None),
        actor_role=str(role),
        actor_unit_id=unit_id,
        action=action,
        letter_id=letter_id,
        assignment_id=assignment.pk if isinstance(assignment, Assignment) else assignment,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
    )


def audit_record(
    *,
    actor: User | None = None,
    role: str = "",
    unit_id: int | None = None,
    action: str,
    letter: Letter | int | None = None,
    assignment: Assignment | int | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Write one audit row (see ``audit_event``)."""
    event = audit_event(
        actor=actor,
        role=role,
        unit_id=unit_id,
        action=action,
        letter=letter,
        assignment=assignment,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data,
        at=at,
    )
    event.save(force_insert=True)
    return event


def audit_record_many(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Write rows built by ``audit_event`` in one INSERT (in batches on SQLite)."""
    return AuditEvent.objects.bulk_create(list(events))
