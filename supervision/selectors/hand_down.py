"""Reads of tasks handed down (分解/转办): who answers for a sub-task, which units a task may be
handed down to, its sub-tasks as the parent's page lists them, and whether it may be rolled up.

The step table (services/steps.py) and the hand-down services read here, so a button and the
service behind it ask the same question. Nothing here imports the services package: the step
table imports this module while that package is still being built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from supervision.models import (
    Assignment,
    AssignmentState,
    Evidence,
    ProgressReport,
    Role,
    Unit,
)
from supervision.models.assignments import DEAD_STATES

S = AssignmentState

# The parent unit acts as the office for its sub-tasks: each office role is played there by the
# unit role doing that part of the work (its liaison issues and reassigns, its members verify,
# its leader writes off).
OFFICE_ROLES_IN_UNIT: dict[str, tuple[str, ...]] = {
    Role.CLERK: (Role.LIAISON,),
    Role.INSPECTOR: (Role.LIAISON, Role.LEADER),
    Role.DIRECTOR: (Role.LEADER,),
}
# A sub-task's share of the work is done once it is closed; reassigned or withdrawn it no longer
# counts at all (its replacement does).
NOT_OPEN_BELOW = (S.CLOSED, *DEAD_STATES)


def unit_roles_for(office_roles: Iterable[str]) -> tuple[str, ...]:
    """The unit roles that play ``office_roles`` for a sub-task, in the same order of preference,
    each once."""
    found: list[str] = []
    for role in office_roles:
        for mapped in OFFICE_ROLES_IN_UNIT.get(role, ()):
            if mapped not in found:
                found.append(mapped)
    return tuple(found)


def answerable_unit(a: Assignment) -> int:
    """The unit that acts as the office for the assignment: the unit that handed a sub-task down
    (its parent's unit), the issuing office for a task the office issued itself. Reads the parent
    unless it came with the row (transitions.assignment_lock selects it)."""
    if a.parent_id is None:
        return a.letter.office_id
    return a.parent.unit_id


def parent_deadline(a: Assignment) -> dt.date | None:
    """A sub-task's parent's current deadline (None for a task the office issued)."""
    return a.parent.deadline if a.parent_id is not None else None


def live_sub_tasks(a: Assignment | int) -> QuerySet[Assignment]:
    """The sub-tasks that count: handed down and neither reassigned away nor withdrawn."""
    pk = a.pk if isinstance(a, Assignment) else a
    return Assignment.objects.filter(parent_id=pk).exclude(state__in=DEAD_STATES)


def open_sub_task_count(a: Assignment | int) -> int:
    """Live sub-tasks not yet written off (the parent cannot report completion while any is)."""
    pk = a.pk if isinstance(a, Assignment) else a
    return Assignment.objects.filter(parent_id=pk).exclude(state__in=NOT_OPEN_BELOW).count()


def roll_up_ready(a: Assignment) -> bool:
    """Whether the task has live sub-tasks and every one of them is written off: its completion
    may then be reported with theirs (one query)."""
    counts = live_sub_tasks(a).aggregate(live=Count("pk"), closed=Count("pk", filter=Q(state=S.CLOSED)))
    return counts["live"] > 0 and counts["live"] == counts["closed"]


def within_depth(a: Assignment) -> bool:
    """Whether a sub-task of ``a`` would still be within HIERARCHY_LEVELS (the office is a level,
    so a task at depth d spans d + 2 levels and its sub-task d + 3)."""
    return a.depth + 3 <= int(settings.HIERARCHY_LEVELS)


def _units_below(unit_id: int) -> QuerySet[Unit]:
    return Unit.objects.filter(parent_id=unit_id, is_active=True).order_by("sort_order", "name", "pk")


def hand_down_targets(a: Assignment) -> list[Unit]:
    """The units directly below the task's unit that may receive a sub-task of it now: active,
    and not already holding a live one. Empty when the depth limit is reached."""
    if not within_depth(a):
        return []
    holding = live_sub_tasks(a).values("unit_id")
    return list(_units_below(a.unit_id).exclude(pk__in=holding))


def may_hand_down(a: Assignment) -> bool:
    """Within the depth limit, and an active unit directly below the task's unit (one query)."""
    return within_depth(a) and _units_below(a.unit_id).exists()


def sub_task_reassign_targets(a: Assignment) -> list[Unit]:
    """Where a returned sub-task may be reassigned (改派): another active unit directly below the
    unit that handed it down, not already holding a live sub-task of the same parent."""
    if a.parent_id is None:
        return []
    holding = live_sub_tasks(a.parent_id).values("unit_id")
    return list(_units_below(answerable_unit(a)).exclude(pk__in=holding).exclude(pk=a.unit_id))


# --- the parent's page: its sub-tasks ------------------------------------------------------------


@dataclass(frozen=True)
class SubTaskRow:
    """One sub-task as the parent's page lists it."""

    pk: int
    unit_id: int
    unit_name: str
    state: str
    state_label: str
    light: str
    deadline: dt.date
    measures: str  # its own measures; "" when it was forwarded whole (the item's)
    handed_down_as: str
    claimed_by: str
    report_text: str  # the latest report's (progress or completion), "" before any
    report_at: dt.datetime | None
    report_kind: str
    evidence_count: int


def sub_tasks(a: Assignment | int) -> list[SubTaskRow]:
    """The task's live sub-tasks (written off ones included), in the units' order (then as handed down), each with
    its light and latest report: three queries whatever their number."""
    from supervision.selectors.search import light_expression  # imports the services package

    pk = a.pk if isinstance(a, Assignment) else a
    latest = ProgressReport.objects.filter(assignment_id=OuterRef("pk")).order_by("-created_at", "-id").values("pk")
    rows = list(
        live_sub_tasks(pk)
        .select_related("unit", "claimed_by")
        .annotate(light=light_expression(), latest_report=Subquery(latest[:1]))
        .order_by("unit__sort_order", "pk")
    )
    if not rows:
        return []
    reports = {
        r.pk: r
        for r in ProgressReport.objects.filter(pk__in=[x.latest_report for x in rows if x.latest_report]).only(
            "pk", "text", "created_at", "kind"
        )
    }
    files = dict(
        Evidence.objects.filter(report__assignment_id__in=[x.pk for x in rows])
        .values("report__assignment_id")
        .annotate(n=Count("pk"))
        .values_list("report__assignment_id", "n")
    )
    return [_row(x, reports.get(x.latest_report), files.get(x.pk, 0)) for x in rows]


def _row(x: Assignment, report: ProgressReport | None, files: int) -> SubTaskRow:
    return SubTaskRow(
        pk=x.pk,
        unit_id=x.unit_id,
        unit_name=x.unit.display_name,
        state=x.state,
        state_label=str(x.get_state_display()),
        light=x.light,
        deadline=x.deadline,
        measures=x.measures,
        handed_down_as=x.handed_down_as,
        claimed_by=x.claimed_by.display_name if x.claimed_by_id else "",
        report_text=report.text if report is not None else "",
        report_at=report.created_at if report is not None else None,
        report_kind=report.kind if report is not None else "",
        evidence_count=files,
    )
