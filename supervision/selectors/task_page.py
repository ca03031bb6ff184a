"""What one task's page reads beyond the task itself: the other units' tasks of the same item a
person may see, where the task stands in the unit tree (the task it was handed down from, what it
handed down), which deadline holds and why, and the timeline told in words that name things."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.models import OPEN_STATES, Assignment, AssignmentState, AuditEvent, Unit, UnitRole, User
from supervision.models.assignments import DEAD_STATES
from supervision.services.roles import office_ids, unit_ids

from .search import Light, light_filter
from .visibility import assignment_timeline, assignments_visible_to


@dataclass(frozen=True)
class Partners:
    """The other units' live tasks of the same item that the person sees on this task's page."""

    # On a cooperating task's page: the lead units' tasks (several when the item names several
    # leads, each on its own ground); ``lead`` is the first of them.
    leads: list[Assignment] = field(default_factory=list)
    cooperating: list[Assignment] = field(default_factory=list)  # the cooperating units' tasks
    others: list[Assignment] = field(default_factory=list)  # other leads of a common item (office only)
    linked: bool = False  # the person may open those tasks (the office)

    @property
    def lead(self) -> Assignment | None:
        return self.leads[0] if self.leads else None


def task_partners(user: User, a: Assignment) -> Partners:
    """Who else holds the task's item, in one query. The office sees every other unit; a lead
    unit sees its cooperating units and their tasks' states; a cooperating unit sees its lead
    unit (or units) and the lead tasks' states, not the other cooperating units. A task moved to another
    unit (改派) no longer counts; the one that replaced it does.

    Partners are the office's direct tasks of the item: a sub-task handed down (分解/转办) is part
    of its parent's work, shown with the parent's sub-tasks, never as another unit's task of the
    item; and a sub-task's own page has no partners (a township does not see the other units the
    office gave the item to)."""
    if a.parent_id is not None:
        return Partners()
    office = user.is_superuser or a.letter.office_id in office_ids(user)
    found = (
        Assignment.objects.filter(item_id=a.item_id, parent__isnull=True)
        .exclude(pk=a.pk)
        .exclude(state=AssignmentState.REASSIGNED)
        .select_related("unit")
        .only("id", "role", "state", "deadline", "unit", "unit__name", "unit__short_name")
        .order_by("unit__name", "pk")
    )
    if not office:
        found = found.filter(role=UnitRole.COOPERATING if a.role == UnitRole.LEAD else UnitRole.LEAD)
    rows = list(found)
    leads = [x for x in rows if x.role == UnitRole.LEAD] if a.role == UnitRole.COOPERATING else []
    return Partners(
        leads=leads,
        cooperating=[x for x in rows if x.role == UnitRole.COOPERATING],
        others=[x for x in rows if x.role == UnitRole.LEAD and x not in leads],
        linked=office,
    )


@dataclass(frozen=True)
class HandedDown:
    """What a task handed down (分解/转办), counted: its live sub-tasks (neither reassigned away
    nor withdrawn), how many are still open, written off, and overdue (the reason the task shows
    yellow)."""

    total: int = 0
    open: int = 0
    closed: int = 0
    overdue: int = 0

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class TreePlace:
    """Where the task stands in the unit tree, for its page."""

    parent: Assignment | None  # the task it was handed down from (with its unit), None for a direct task
    parent_linked: bool  # the person may open that task (the unit above, the office), not the unit below
    handed_down: HandedDown  # what it handed down itself


def tree_place(user: User, a: Assignment) -> TreePlace:
    """The task above ``a`` and what ``a`` handed down, whatever the number of sub-tasks: one
    aggregate of the sub-tasks, and for a sub-task whether the person may open its parent
    (known from their roles when they are in its unit or the issuing office, otherwise asked:
    two more queries). The parent and its unit come with ``a`` (``visibility.assignment_get``)."""
    counts = (
        Assignment.objects.filter(parent_id=a.pk)
        .exclude(state__in=DEAD_STATES)
        .aggregate(
            total=Count("pk"),
            open=Count("pk", filter=Q(state__in=OPEN_STATES)),
            closed=Count("pk", filter=Q(state=AssignmentState.CLOSED)),
            overdue=Count("pk", filter=light_filter(Light.RED)),
        )
    )
    parent = a.parent if a.parent_id is not None else None
    linked = parent is not None and _may_open(user, a, parent)
    return TreePlace(parent=parent, parent_linked=linked, handed_down=HandedDown(**counts))


def _may_open(user: User, a: Assignment, parent: Assignment) -> bool:
    units = unit_ids(user)
    # The unit above, or a role in the issuing office (an office is one of one's units then).
    if user.is_superuser or parent.unit_id in units or a.letter.office_id in units:
        return True
    return assignments_visible_to(user).filter(pk=parent.pk).exists()


@dataclass(frozen=True)
class DeadlineNote:
    """Why the task's deadline is no longer the item's own (时限要求): which one holds."""

    how: str  # "extension": its own extension; "lead": moved with the lead's; "": moved before (改派)
    on: dt.date | None  # the day it was moved


# The audit actions that move a task's deadline.
_DEADLINE_MOVES = {"extension.approved": "extension", "assignment.deadline_followed": "lead"}


def deadline_note(a: Assignment, events: list[AuditEvent]) -> DeadlineNote | None:
    """None while the item's deadline holds; else the latest move among the task's ``events``
    (its timeline, already read). A task given to another unit keeps the deadline it had
    reached, without a move of its own: then the day is unknown.

    A sub-task's deadline is the one the unit above gave it (no later than its own): only a move
    after that (an extension) is a note."""
    if a.parent_id is not None:
        for ev in reversed(events):
            if ev.action in _DEADLINE_MOVES:
                return DeadlineNote(how=_DEADLINE_MOVES[ev.action], on=timezone.localdate(ev.at))
        return None
    if a.deadline == a.item.deadline:
        return None
    for ev in reversed(events):
        if ev.action in _DEADLINE_MOVES:
            return DeadlineNote(how=_DEADLINE_MOVES[ev.action], on=timezone.localdate(ev.at))
    return DeadlineNote(how="", on=None)


def task_timeline(a: Assignment) -> list[AuditEvent]:
    """The task's audit rows, oldest first, each with ``said``: what it says on the page. That is
    its label, or for a move to another unit (改派) and a step taken with the lead task, a
    sentence that names what changed."""
    events = list(assignment_timeline(a))
    unit_ids = {ev.data.get(key) for ev in events for key in ("to_unit", "from_unit") if isinstance(ev.data, dict)}
    unit_ids.discard(None)
    names = (
        {u.pk: u.display_name for u in Unit.objects.filter(pk__in=unit_ids).only("name", "short_name")}
        if unit_ids
        else {}
    )
    for ev in events:
        ev.said = _said(ev, names)
    return events


def _said(ev: AuditEvent, names: dict[int, str]) -> str:
    data = ev.data if isinstance(ev.data, dict) else {}
    if ev.action == "assignment.reassigned" and data.get("to_unit") in names:
        return _("Reassigned to %(unit)s") % {"unit": names[data["to_unit"]]}
    if ev.action == "assignment.issued" and data.get("from_unit") in names:
        return _("Reassigned here from %(unit)s") % {"unit": names[data["from_unit"]]}
    if ev.action == "assignment.deadline_followed":
        return _("Deadline moved with the lead unit's extension: %(old)s → %(new)s") % {
            "old": data.get("old_deadline", "—"),
            "new": data.get("new_deadline", "—"),
        }
    if ev.action == "assignment.closed_with_lead":
        return _("Closed with the lead unit's write-off")
    return ev.label
