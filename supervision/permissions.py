"""Object permissions from unit rules, as an authentication backend.

``user.has_perm("supervision.view_assignment", obj)`` answers from the same selectors the
pages use, so a template, the admin or a view can ask without repeating the rules. Changing
anything is never a permission here: the transition services decide that by role and state.
"""

from __future__ import annotations

from typing import Any

from supervision.models import Assignment, Evidence, Letter, LetterAttachment
from supervision.selectors import visibility

_VIEW = {
    "supervision.view_letter": (Letter, "letters_visible_to"),
    "supervision.view_assignment": (Assignment, "assignments_visible_to"),
    "supervision.view_evidence": (Evidence, "evidence_visible_to"),
    "supervision.view_letterattachment": (LetterAttachment, "attachments_visible_to"),
}


class UnitRuleBackend:
    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if obj is None or not user_obj.is_active or perm not in _VIEW:
            return False
        model, selector = _VIEW[perm]
        if not isinstance(obj, model):
            return False
        return getattr(visibility, selector)(user_obj).filter(pk=obj.pk).exists()
