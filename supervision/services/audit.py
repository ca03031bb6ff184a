"""Writing the audit trail. Called inside the transaction of the change it records."""

from __future__ import annotations

from typing import Any

from supervision import clock
from supervision.models import Assignment, AuditEvent, Letter, User

from . import rows


def audit_record(
    *,
    actor: User | None,
    role: str = "",
    unit_id: int | None = None,
    action: str,
    letter: Letter | None = None,
    assignment: Assignment | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    letter_id = letter.pk if letter is not None else getattr(assignment, "letter_id", None)
    # A plain INSERT (see rows.py): this runs once in every transition.
    event = AuditEvent(
        at=clock.now(),
        actor_id=actor.pk if actor is not None else None,
        actor_role=role,
        actor_unit_id=unit_id,
        action=action,
        letter_id=letter_id,
        assignment_id=assignment.pk if assignment is not None else None,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
    )
    return rows.insert(event)
