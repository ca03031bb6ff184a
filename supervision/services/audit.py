"""Writing the audit trail. Called inside the transaction of the change it records."""

from __future__ import annotations

from typing import Any

from supervision import clock
from supervision.models import Assignment, AuditEvent, Letter, User


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
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=actor,
        actor_role=role,
        actor_unit_id=unit_id,
        action=action,
        letter=letter if letter is not None else (assignment.letter if assignment is not None else None),
        assignment=assignment,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
    )
