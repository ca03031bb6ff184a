"""Writing one task's life (``timeline.Life``) as rows: the assignment, the units above a sub-task,
its progress and completion reports (a few with evidence), the leader's sign-offs and one audit row
per step. The columns the row keeps for the lists are derived here as the engine keeps them: the
overdue mark (``overdue_since``), the missed report of the last closed cycle (``report_missed``,
as tick computes it) and the yellow light of a parent whose sub-task is overdue.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings

from supervision import cycle_calendar
from supervision.models import (
    OPEN_STATES,
    Assignment,
    AssignmentAncestor,
    Evidence,
    ProgressReport,
    SignOff,
)
from supervision.services.ranking import REPORTING_STATES

from .evidence import Files
from .letters import AUDIT_FIELDS, AUDIT_MODEL
from .sink import Sink
from .timeline import Life

OPEN = frozenset(OPEN_STATES)
OWES_REPORT = frozenset(REPORTING_STATES)
# Share of reports that carry a file (evidence is the exception: the 2024 rules on burdens).
EVIDENCE_SHARE = 0.015
RESPONSIBLE = ("分管副县长", "乡村振兴局局长", "综合股股长", "项目办主任", "分管副镇长")


@dataclass(frozen=True)
class Task:
    """Where a life goes: the row's identity and place in the tree."""

    id: int
    item_id: int
    letter_id: int
    unit_id: int
    deadline: dt.date
    parent_id: int | None = None
    depth: int = 0
    handed_down_as: str = ""
    measures: str = ""
    ancestors: tuple[tuple[int, int], ...] = ()  # (unit id, distance)


class Rows:
    def __init__(
        self, sink: Sink, *, first_report: int, now: dt.datetime, last_closed, files: Files, rng: random.Random
    ):
        self.rng, self.files, self.now = rng, files, now
        self.today = cycle_calendar.local_date(now)
        self.next_report = first_report
        # tick's rule for a missed report (services.cycles.assignment_lights_refresh).
        grace = dt.timedelta(days=int(settings.CYCLE_REPORT_GRACE_DAYS))
        self.missed_window = (last_closed.opens_at, last_closed.cutoff_at - grace) if last_closed else None
        self.assignments = sink.open(
            Assignment,
            [
                "id", "item_id", "letter_id", "unit_id", "role", "state", "claimed_by_id", "claimed_at",
                "responsible_person", "deadline", "return_reason", "last_rejection_reason", "rejection_count",
                "issued_at", "completed_at", "verified_at", "closed_at", "updated_at", "version", "report_missed",
                "overdue_since", "parent_id", "depth", "handed_down_as", "sub_task_overdue", "measures",
                "has_sub_tasks",
            ],
        )  # fmt: skip
        self.ancestors = sink.open(AssignmentAncestor, ["assignment_id", "unit_id", "distance"])
        self.reports = sink.open(
            ProgressReport, ["id", "assignment_id", "kind", "text", "author_id", "created_at", "cycle_seq"]
        )
        self.evidence = sink.open(
            Evidence,
            ["report_id", "file", "original_name", "content_type", "size", "sha256", "uploaded_by_id", "uploaded_at"],
        )
        self.signoffs = sink.open(
            SignOff, ["assignment_id", "kind", "approved", "comment", "signed_by_id", "signed_at"]
        )
        self.audit = sink.open(AUDIT_MODEL, AUDIT_FIELDS)
        self.count = 0
        self.states: dict[str, int] = {}

    def write(
        self,
        task: Task,
        life: Life,
        *,
        liaison: int,
        leader: int,
        seq_at,
        sub_task_overdue: bool = False,
        has_sub_tasks: bool = False,
    ) -> None:
        state = life.state
        open_ = state in OPEN
        overdue_since = task.deadline + dt.timedelta(days=1) if open_ and task.deadline < self.today else None
        issued_at = life.events[0][0]
        self.assignments.add(
            task.id, task.item_id, task.letter_id, task.unit_id, "lead", state,
            liaison if life.claimed_at else None, life.claimed_at,
            self.rng.choice(RESPONSIBLE) if life.claimed_at else "", task.deadline, "",
            _last_rejection(life) if life.rejections else "", life.rejections, issued_at, life.completed_at,
            life.verified_at, life.closed_at, life.last_at, life.version, self._missed(state, issued_at, life),
            overdue_since, task.parent_id, task.depth, task.handed_down_as, sub_task_overdue, task.measures,
            has_sub_tasks,
        )  # fmt: skip
        for unit_id, distance in task.ancestors:
            self.ancestors.add(task.id, unit_id, distance)
        for at, kind, text, seq in life.reports:
            report_id = self.next_report
            self.next_report += 1
            self.reports.add(report_id, task.id, kind, text, liaison, at, seq if seq is not None else seq_at(at))
            if self.rng.random() < EVIDENCE_SHARE:
                self.evidence.add(report_id, *self.files.pick(self.rng), liaison, at)
        for at in life.signoffs:
            self.signoffs.add(task.id, "completion", True, "同意报送。", leader, at)
        add = self.audit.add
        for at, actor, action, frm, to, comment, data in life.events:
            add(at, actor.user, actor.role, actor.unit, action, task.letter_id, task.id, frm, to, comment, data)
        self.count += 1
        self.states[state] = self.states.get(state, 0) + 1

    def is_overdue(self, life: Life, deadline: dt.date) -> bool:
        return life.state in OPEN and deadline < self.today

    def _missed(self, state: str, issued_at: dt.datetime, life: Life) -> bool:
        if self.missed_window is None or state not in OWES_REPORT:
            return False
        opens, due_by = self.missed_window
        return issued_at <= due_by and not any(r[0] > opens for r in life.reports)


def _last_rejection(life: Life) -> str:
    for e in reversed(life.events):
        if e[2] == "assignment.rejected":
            return e[5]
    return ""
