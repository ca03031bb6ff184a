"""Cooperating units in step with their lead (配合单位随牵头单位).

An item names one lead unit (or several, each on its own ground) and any number of cooperating
units; each holds its own task. The cooperating tasks follow the lead task: when the office
approves an extension of the lead, their deadlines move with it, and when the office writes the
lead off (销号), those still open close with it (with several leads: with the last of them).
Both are automatic steps of the table (steps.FOLLOW_LEAD_DEADLINE, steps.CLOSE_WITH_LEAD),
taken inside the office's own transaction on the lead, by the same person in the same role: each
cooperating task is checked against its step, changed, audited and its unit told.

Reopening the lead (回头看) does not reopen them: a cooperating task closed with its lead stays
closed until the office reopens that task itself.

A cooperating task is never handed down (step_guards: its part follows its lead). Should one
hold sub-tasks all the same (handed down before that rule), they close with it, by the same
step and audited each, so that no part is left open under a closed task and a closed letter.

Locks: the lead task first (its own step took it), then its cooperating tasks in id order, then
their sub-tasks a level at a time, each level in id order: parent before child, the one path that
goes down (services/hand_down.py: every step on a sub-task goes up); it only finds sub-tasks made
before cooperating tasks stopped being handed down.
"""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Assignment, AssignmentState, AuditEvent, ExtensionRequest, Role, UnitRole, User
from supervision.models.assignments import DEAD_STATES

from . import steps
from .audit import audit_event, audit_record_many
from .errors import InvalidTransition
from .notify import notify_unit
from .steps import CLOSE_WITH_LEAD, FOLLOW_LEAD_DEADLINE, Step
from .transitions import message_fields


def _cooperating_locked(lead: Assignment, step: Step, actor: User) -> list[tuple[Assignment, str]]:
    """The lead task's cooperating tasks that ``step`` applies to now, locked in id order, each
    with the role it is taken in. None when ``lead`` is not a lead task: a common item's tasks
    are all leads and cooperate with nobody. The step table decides which states it applies from;
    any other refusal (a role not held) refuses the whole office action."""
    if lead.role != UnitRole.LEAD or lead.parent_id is not None:
        # A sub-task leads nobody: the item's cooperating units work beside the office's own
        # lead task, whatever that task's unit handed down.
        return []
    if not lead.item.has_cooperating:
        # Issued with no cooperating unit (most items): nothing to lock, known without a query.
        return []
    found = (
        Assignment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("unit")
        .filter(item_id=lead.item_id, role=UnitRole.COOPERATING, parent__isnull=True)
        .order_by("pk")
    )
    taken = []
    for c in found:
        # The same letter and item as the lead: the step's checks and the messages read them.
        c.letter, c.item = lead.letter, lead.item
        refused = steps.refusal(step, actor, c)
        if refused is None:
            taken.append((c, steps.require(step, actor, c)))  # the acting role (roles are cached)
        elif not isinstance(refused, InvalidTransition):
            raise refused
    return taken


def _other_leads_open(lead: Assignment) -> bool:
    """Whether another lead task of the item is still to be written off (neither closed nor
    replaced by another unit's or withdrawn). Asked with the cooperating tasks locked: two leads
    written off at once take those locks in turn, so the second sees the first closed."""
    return (
        Assignment.objects.filter(item_id=lead.item_id, role=UnitRole.LEAD, parent__isnull=True)
        .exclude(pk=lead.pk)
        .exclude(state__in=(AssignmentState.CLOSED, *DEAD_STATES))
        .exists()
    )


def assignments_follow_lead_deadline(*, actor: User, lead: Assignment, extension: ExtensionRequest) -> list[Assignment]:
    """The lead's deadline was just extended: move its cooperating tasks' deadlines with it.
    A cooperating task already given a later deadline keeps it: following never shortens one.
    Call under the lead's lock, inside the approval's transaction. Returns the tasks moved."""
    new = lead.deadline
    following = [(c, role) for c, role in _cooperating_locked(lead, FOLLOW_LEAD_DEADLINE, actor) if c.deadline < new]
    if not following:
        return []
    now = clock.now()
    events = []
    for c, role in following:
        old = c.deadline
        c.deadline, c.version, c.updated_at = new, c.version + 1, now  # bulk_update skips auto_now
        events.append(
            audit_event(
                actor=actor,
                role=role,
                unit_id=steps.where(FOLLOW_LEAD_DEADLINE, c),
                action=FOLLOW_LEAD_DEADLINE.action,
                assignment=c,
                from_state=c.state,
                to_state=c.state,
                data={
                    "old_deadline": old.isoformat(),
                    "new_deadline": new.isoformat(),
                    "lead": lead.pk,
                    "extension": extension.pk,
                },
                at=now,
            )
        )
    moved = [c for c, _role in following]
    Assignment.objects.bulk_update(moved, ["deadline", "version", "updated_at"])
    audit_record_many(events)
    for c in moved:
        notify_unit(
            unit_id=c.unit_id,
            roles=[Role.LIAISON, Role.LEADER],
            verb="deadline_followed",
            assignment=c,
            text=_("The lead unit's deadline was extended, and yours moves with it to %(date)s: %(item)s")
            % {"date": date_format(new), **message_fields(c)},
        )
    return moved


def assignments_close_with_lead(*, actor: User, lead: Assignment) -> list[Assignment]:
    """The lead was just written off: close its cooperating tasks still open (or verified and
    waiting for their own write-off). A returned one waits for the office's decision instead.
    Call under the lead's lock, inside the write-off's transaction, before the letter is
    checked for closing. Returns the tasks closed."""
    taken = _cooperating_locked(lead, CLOSE_WITH_LEAD, actor)
    if not taken:
        return []
    if _other_leads_open(lead):
        # An item may have several leads (各县（市、区）: each on its own ground): the
        # cooperating units help every one of them, so their tasks close with the last.
        return []
    now = clock.now()
    events = []
    for c, role in taken:
        events.append(_close_with_lead(c, lead=lead, actor=actor, role=role, judged_by=c, now=now))
    closing = [c for c, _role in taken]
    below = _sub_tasks_close(taken, lead, actor, now, events)
    Assignment.objects.bulk_update([*closing, *below], ["state", "closed_at", "version", "updated_at"])
    if below:
        # Nothing is open below them any more: no late part keeps them yellow.
        Assignment.objects.filter(pk__in=[c.pk for c in [*closing, *below]], sub_task_overdue=True).update(
            sub_task_overdue=False
        )
    audit_record_many(events)
    for c in [*closing, *below]:
        notify_unit(
            unit_id=c.unit_id,
            roles=[Role.LIAISON, Role.LEADER],
            verb="assignment_closed",
            assignment=c,
            text=_("Closed with the lead unit's write-off: %(item)s") % message_fields(c),
        )
    return closing


def _close_with_lead(
    c: Assignment,
    *,
    lead: Assignment,
    actor: User,
    role: str,
    judged_by: Assignment,
    now: dt.datetime,
    **data: int,
) -> AuditEvent:
    """Close ``c`` in memory with the lead's write-off; its audit event (the unit the role is
    judged in is ``judged_by``'s: the cooperating task's, for a sub-task below it)."""
    from_state = c.state
    c.close_with_lead()
    c.closed_at, c.version, c.updated_at = now, c.version + 1, now
    return audit_event(
        actor=actor,
        role=role,
        unit_id=steps.where(CLOSE_WITH_LEAD, judged_by),
        action=CLOSE_WITH_LEAD.action,
        assignment=c,
        from_state=from_state,
        to_state=c.state,
        data={"lead": lead.pk, "lead_unit": lead.unit_id, **data},
        at=now,
    )


def _sub_tasks_close(
    taken: list[tuple[Assignment, str]], lead: Assignment, actor: User, now: dt.datetime, events: list[AuditEvent]
) -> list[Assignment]:
    """Close (in memory, with their audit events appended to ``events``) the live sub-tasks at
    every level below the cooperating tasks being closed, locked a level at a time in id order.
    Taken in the role the cooperating task above was closed in, where that role is held: the
    office closes them, not the units that handed them down. A returned one is left for its
    decision, as a returned cooperating task is. Returns the sub-tasks closed."""
    top = {c.pk: (c, role) for c, role in taken}
    closed: list[Assignment] = []
    level = list(top)
    while level:
        found = list(
            Assignment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("unit")
            .filter(parent_id__in=level)
            .exclude(state__in=(AssignmentState.CLOSED, *DEAD_STATES))
            .order_by("pk")
        )
        for sub in found:
            c, role = top[sub.parent_id]
            top[sub.pk] = (c, role)
            sub.letter, sub.item = lead.letter, lead.item
            if not sub.close_with_lead.can_proceed():
                continue
            closed.append(sub)
            events.append(
                _close_with_lead(sub, lead=lead, actor=actor, role=role, judged_by=c, now=now, parent=sub.parent_id)
            )
        level = [sub.pk for sub in found]
    return closed
