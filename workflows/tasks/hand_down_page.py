"""What the task page shows of the hierarchy (分解 / 转办): the task above a sub-task, the
sub-tasks below a task with their states, lights and latest reports, and the forms to hand the
task down or roll its sub-tasks up, when the step table offers them.

Every part is read in a constant number of queries whatever the number of sub-tasks
(selectors/hand_down.py); the forms are offered exactly when ``steps.allowed`` lists their step.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from supervision import clock
from supervision.models import Assignment, Unit
from supervision.selectors import hand_down, task_page

from .buttons import Button
from .hand_down_forms import ForwardForm, RollUpForm, part_formset


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def forms_for(a: Assignment, keys: set[str], targets: list[Unit] | None = None, **shown: Any) -> dict[str, Any]:
    """The hand-down forms offered (their step allowed), fresh or as posted (``shown``)."""
    found: dict[str, Any] = {}
    if keys & {"break_down", "forward"}:
        targets = hand_down.hand_down_targets(a) if targets is None else targets
        today = clock.today()
        found["hand_down_targets"] = targets
        if "break_down" in keys:
            found["break_down_form"] = shown.get("break_down") or part_formset(
                targets=targets, deadline=a.deadline, today=today
            )
        if "forward" in keys:
            found["forward_form"] = shown.get("forward") or ForwardForm(
                targets=targets, deadline=a.deadline, today=today
            )
    if "roll_up" in keys:
        found["roll_up_form"] = shown.get("roll_up") or RollUpForm()
    return found


def context(request: HttpRequest, a: Assignment, offered: list[Button], **shown: Any) -> dict[str, Any]:
    keys = {b.key for b in offered}
    tree = task_page.tree_place(request.user, a)
    below = tree.handed_down
    # The rows only for a task that handed something down: a plain task reads none of them.
    rows = hand_down.sub_tasks(a) if below else []
    return {
        "tree": tree,
        "sub_tasks": rows,
        # The panel shows the first line of each latest report, beside its date.
        "sub_task_rows": [(r, first_line(r.report_text)) for r in rows],
        # Every sub-task written off: the liaison who claimed the task is prompted to report its
        # completion with theirs (the roll-up step); everyone else who sees the panel reads it.
        "roll_up_ready": bool(below) and below.closed == below.total,
        "break_down_comment": shown.get("comment", ""),
        **forms_for(a, keys, **shown),
    }
