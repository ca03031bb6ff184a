"""Handing a task down (分解 / 转办) and rolling it back up.

A unit that has claimed a task may break it down (分解) into parts for units directly below it,
each with its own measures and a deadline no later than the task's, or forward it whole (转办)
to one unit below. Each part is a sub-task: the same item and letter, the same state machine,
with the parent's unit acting as the office for it (services/steps.py ``where``). The unit stays
answerable for the task: it reports completion only once every sub-task is written off, and may
then report it with their reports and evidence in one step (``assignment_roll_up``), signed off
by its leader like any completion.

Locks: the parent's row (transitions.assignment_lock) for the whole of a hand-down, so two
break-downs of one task run one after the other and the second sees the first's sub-tasks.

Lock order, wherever a sub-task and its parent are both locked: the sub-task first. Every step
on a sub-task locks its row, then touches the parent's (its sub_task_overdue flag, an UPDATE);
reopening a written-off sub-task (the one step that turns a closed sub-task open again) then
takes the parent's row and asks again, under that lock, whether the parent has reported its
completion (``sub_task_parent_lock``). A hand-down, a roll-up and a completion of the parent
hold only the parent's row while they read its sub-tasks, so a roll-up and a reopening racing
take turns on the parent and the second sees the first, instead of both passing (a completion
standing on a sub-task open again). Only the lead's write-off closing sub-tasks left under its
cooperating tasks (services/cooperation.py; none can be made any more) goes down instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import (
    Assignment,
    AssignmentAncestor,
    AssignmentState,
    Evidence,
    HandDown,
    ProgressReport,
    ReportKind,
    Role,
    Unit,
    UnitRole,
    User,
)
from supervision.selectors import rankings
from supervision.selectors.hand_down import live_sub_tasks

from . import steps
from .audit import audit_event, audit_record_many
from .errors import InvalidInput
from .notify import notify_assignments
from .steps import BREAK_DOWN, FORWARD, ROLL_UP, Step
from .transitions import MAX_REPORT, assignment_lock, message_fields, reason_clean, step_run
from .work import completion_signoff_asked, mark_reported

S = AssignmentState
# The most parts one break-down creates: a county has a few dozen townships, a city a few
# hundred units at most below it.
MAX_PARTS = 200
HANDED_DOWN = "assignment.handed_down"


@dataclass(frozen=True)
class SubTaskPart:
    """One part of a break-down: the unit below, its deadline and its own measures."""

    unit_id: int
    deadline: dt.date
    measures: str = ""


@dataclass(frozen=True)
class _Checked:
    unit: Unit
    deadline: dt.date
    measures: str


@transaction.atomic
def assignment_break_down(
    *, actor: User, assignment: Assignment | int, parts: Sequence[SubTaskPart], comment: str = ""
) -> list[Assignment]:
    """分解: the claimer gives parts of the task to units directly below its unit, each with its
    own measures (required) and deadline. Returns the sub-tasks, in the order of ``parts``."""
    comment = reason_clean(comment, required=False)
    parts = list(parts)
    if not parts:
        raise InvalidInput(_("Name at least one unit to hand a part of the task down to."), field="parts")
    if len(parts) > MAX_PARTS:
        raise InvalidInput(_("At most %(n)d parts can be handed down at once.") % {"n": MAX_PARTS}, field="parts")
    a = assignment_lock(assignment)
    role = steps.require(BREAK_DOWN, actor, a)
    checked = _checked_parts(a, parts, forward=False)
    return _hand_down(a, actor, role, BREAK_DOWN, HandDown.BREAK_DOWN, checked, comment)


@transaction.atomic
def assignment_forward(
    *,
    actor: User,
    assignment: Assignment | int,
    unit_id: int,
    deadline: dt.date | None = None,
    comment: str = "",
) -> Assignment:
    """转办: the claimer hands the whole task (the item's measures) to one unit directly below,
    by default with the task's own deadline. Returns the sub-task."""
    comment = reason_clean(comment, required=False)
    a = assignment_lock(assignment)
    role = steps.require(FORWARD, actor, a)
    part = SubTaskPart(unit_id=unit_id, deadline=deadline or a.deadline)
    checked = _checked_parts(a, [part], forward=True)
    return _hand_down(a, actor, role, FORWARD, HandDown.FORWARD, checked, comment)[0]


def _unit_id(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _checked_parts(a: Assignment, parts: list[SubTaskPart], *, forward: bool) -> list[_Checked]:
    """Every problem with the parts at once, each naming its unit (or its row when the unit is
    unknown), before anything is written. A break-down's are refused on its rows ("parts"); a
    forward has one unit and one deadline, and its refusal names the field of its first problem
    (the unit's before the deadline's). A forward takes the item's measures: none are typed."""
    measures_required = not forward
    ids = [_unit_id(p.unit_id) for p in parts]
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[i for i in ids if i is not None])}
    holding = set(live_sub_tasks(a).values_list("unit_id", flat=True))
    today = clock.today()
    problems: list[tuple[str, str]] = []  # (the field it is about, the message)
    seen: set[int] = set()
    checked: list[_Checked] = []
    for n, (part, pk) in enumerate(zip(parts, ids, strict=True), start=1):
        unit = units.get(pk) if pk is not None else None
        if unit is None:
            if forward:
                problems.append(
                    (
                        "unit",
                        _("Choose a unit directly below %(parent)s to forward this task to.")
                        % {"parent": a.unit.display_name},
                    )
                )
            else:
                problems.append(("unit", _("Row %(n)d: choose a unit.") % {"n": n}))
            continue
        name = {"unit": unit.display_name, "parent": a.unit.display_name}
        if unit.parent_id != a.unit_id:
            problems.append(("unit", _("%(unit)s is not directly below %(parent)s.") % name))
        elif not unit.is_active:
            problems.append(("unit", _("%(unit)s is no longer active.") % name))
        elif unit.pk in seen:
            problems.append(("unit", _("%(unit)s is named more than once.") % name))
        elif unit.pk in holding:
            problems.append(("unit", _("%(unit)s already holds a part of this task.") % name))
        seen.add(unit.pk)
        deadline = part.deadline
        if not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime):
            problems.append(("deadline", _("%(unit)s: give a deadline.") % name))
        elif deadline > a.deadline:
            problems.append(
                (
                    "deadline",
                    _("%(unit)s: the deadline %(date)s is after this task's own deadline (%(limit)s).")
                    % {**name, "date": date_format(deadline), "limit": date_format(a.deadline)},
                )
            )
        elif deadline < today:
            problems.append(
                (
                    "deadline",
                    _("%(unit)s: the deadline %(date)s has already passed.") % {**name, "date": date_format(deadline)},
                )
            )
        measures = (part.measures or "").strip() if measures_required else ""
        if measures_required and not measures:
            problems.append(("measures", _("%(unit)s: write the measures this unit is to take.") % name))
        elif len(measures) > MAX_REPORT:
            problems.append(
                (
                    "measures",
                    _("%(unit)s: the measures are too long, at most %(limit)d characters.")
                    % {**name, "limit": MAX_REPORT},
                )
            )
        checked.append(_Checked(unit, deadline, measures))
    if problems:
        field = problems[0][0] if forward else "parts"
        raise InvalidInput(" ".join(text for _field, text in problems), field=field)
    return checked


def _hand_down(
    a: Assignment, actor: User, role: str, step: Step, how: str, parts: list[_Checked], comment: str
) -> list[Assignment]:
    """Create the sub-tasks of the locked task ``a``, with the units above each, the audit rows
    and the word to the units below; start ``a`` if it was only claimed. A fixed number of
    statements whatever the number of parts."""
    now = clock.now()
    from_state = a.state
    if a.state == S.ACCEPTED:
        a.start()
    a.version += 1
    # From now on the checks that count its sub-tasks ask (Assignment.has_sub_tasks).
    a.has_sub_tasks = True
    a.save(update_fields=["state", "version", "updated_at", "has_sub_tasks"])
    children = Assignment.objects.bulk_create(
        [
            Assignment(
                item_id=a.item_id,
                letter_id=a.letter_id,
                unit_id=p.unit.pk,
                role=UnitRole.LEAD,
                deadline=p.deadline,
                issued_at=now,
                parent_id=a.pk,
                depth=a.depth + 1,
                handed_down_as=how,
                measures=p.measures,
            )
            for p in parts
        ]
    )
    for child, p in zip(children, parts, strict=True):
        # What the messages and the caller read, without a query.
        child.unit, child.letter, child.item, child.parent = p.unit, a.letter, a.item, a
    # Each sub-task sees the unit that handed it down at distance 1, and the units above that
    # one's task one further away than they are from it.
    above = [(a.unit_id, 1)] + [
        (unit_id, distance + 1)
        for unit_id, distance in AssignmentAncestor.objects.filter(assignment_id=a.pk).values_list(
            "unit_id", "distance"
        )
    ]
    AssignmentAncestor.objects.bulk_create(
        [AssignmentAncestor(assignment=c, unit_id=u, distance=d) for c in children for u, d in above]
    )
    unit_id = steps.where(step, a)
    audit_record_many(
        [
            audit_event(
                actor=actor,
                role=role,
                unit_id=unit_id,
                action=step.action,
                assignment=a,
                from_state=from_state,
                to_state=a.state,
                comment=comment,
                data={
                    "parts": [
                        {
                            "assignment": c.pk,
                            "unit": c.unit_id,
                            "deadline": c.deadline.isoformat(),
                            "measures": c.measures,
                        }
                        for c in children
                    ]
                },
                at=now,
            ),
            *(
                audit_event(
                    actor=actor,
                    role=role,
                    unit_id=unit_id,
                    action=HANDED_DOWN,
                    assignment=c,
                    to_state=c.state,
                    comment=comment,
                    data={"parent": a.pk, "from_unit": a.unit_id, "as": how, "deadline": c.deadline.isoformat()},
                    at=now,
                )
                for c in children
            ),
        ]
    )
    notify_assignments(
        assignments=children,
        roles=[Role.LIAISON, Role.LEADER],
        verb="assignment_handed_down",
        text=_("%(from)s handed down a task of %(number)s to your unit, due %(date)s: %(item)s"),
        fields=lambda c: {**message_fields(c), "from": a.unit.display_name, "date": date_format(c.deadline)},
    )
    return children


def sub_task_parent_lock(a: Assignment) -> None:
    """For a step on a sub-task that its parent's state decides (reopening it: refused once the
    parent reported its completion with it written off): lock the parent's row, after the
    sub-task's own (the order every step on a sub-task keeps). Nothing for a task the office
    issued itself. Inside the step's transaction."""
    if a.parent_id is not None:
        list(Assignment.objects.select_for_update(no_key=True).filter(pk=a.parent_id).values_list("pk"))


# --- rolling up ---------------------------------------------------------------------------------


@transaction.atomic
def assignment_roll_up(*, actor: User, assignment: Assignment | int, text: str = "") -> Assignment:
    """Report the task's completion with its sub-tasks' work: once every live sub-task is written
    off, one completion report whose text is the claimer's own (optional) followed by each
    sub-unit's completion report, and whose evidence is the sub-tasks' evidence (the same stored
    files, ``copied_from`` the sub-unit's). The unit leader signs it off as any completion."""
    own = reason_clean(text, required=False, label=_("The completion report"), limit=MAX_REPORT)
    now = clock.now()
    found: dict[str, list] = {}
    data: dict = {}

    def check(a: Assignment) -> None:
        subs = list(live_sub_tasks(a).select_related("unit").order_by("unit__sort_order", "pk"))
        ids = [s.pk for s in subs]
        latest: dict[int, str] = {}
        reports = ProgressReport.objects.filter(assignment_id__in=ids, kind=ReportKind.COMPLETION)
        for assignment_id, body in reports.order_by("-created_at", "-id").values_list("assignment_id", "text"):
            latest.setdefault(assignment_id, body)
        order = {pk: n for n, pk in enumerate(ids)}
        files = sorted(
            Evidence.objects.filter(report__assignment_id__in=ids).select_related("report"),
            key=lambda e: (order[e.report.assignment_id], e.uploaded_at, e.pk),
        )
        paragraphs = [own] if own else []
        paragraphs += [
            _("%(unit)s: %(text)s") % {"unit": s.unit.display_name, "text": latest.get(s.pk, "").strip() or "—"}
            for s in subs
        ]
        found.update(paragraphs=paragraphs, files=files)
        data.update(rolled_up=ids, files=len(files))

    def apply(a: Assignment, role: str) -> list[str]:
        a.completed_at = now
        return ["completed_at", *mark_reported(a, role)]

    a, _role = step_run(
        ROLL_UP, actor=actor, assignment=assignment, comment=own[:200], check=check, apply=apply, data=data
    )
    report = ProgressReport.objects.create(
        assignment=a,
        kind=ReportKind.COMPLETION,
        text="\n\n".join(found["paragraphs"]),
        author=actor,
        created_at=now,
        cycle_seq=rankings.report_span(now).seq,
    )
    Evidence.objects.bulk_create(
        [
            Evidence(
                report=report,
                file=e.file.name,  # content-addressed: the stored file is shared, never copied
                original_name=e.original_name,
                content_type=e.content_type,
                size=e.size,
                sha256=e.sha256,
                uploaded_by=actor,
                uploaded_at=now,
                copied_from=e,
            )
            for e in found["files"]
        ]
    )
    completion_signoff_asked(a, actor=actor)
    return a
