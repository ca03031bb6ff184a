"""Template tags for reminders by hand (催办): the count on a task page, and whether the person may
remind every red task of a unit at once (the unit rows of the office's pages)."""

from __future__ import annotations

from typing import Any

from django import template

from supervision.selectors.reminders import ReminderSummary, reminder_summary
from supervision.services.roles import has_role, roles_by_unit
from supervision.services.steps import REMIND

register = template.Library()


@register.simple_tag
def task_reminders(assignment: Any) -> ReminderSummary:
    """``{% task_reminders a as reminders %}``: how often the task was reminded, and when last."""
    return reminder_summary(assignment.pk)


@register.simple_tag(takes_context=True)
def may_remind_units(context: Any) -> bool:
    """``{% may_remind_units as may %}``: whether the person holds a role that sends reminders in
    some office (which tasks it reaches, the service decides task by task)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated or not request.user.is_active:
        return False
    user = request.user
    return any(has_role(user, unit_id, REMIND.roles) for unit_id in roles_by_unit(user))
