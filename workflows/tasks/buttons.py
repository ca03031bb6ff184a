"""How the pages offer an assignment's and an extension request's steps: a label, what the form
asks for, whether it asks for confirmation. Which steps are offered is not decided here: it is
the step table's (``supervision.services.steps.allowed``), the same one the services enforce."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supervision.models import Assignment, ExtensionRequest, User
from supervision.services import steps
from supervision.services.cycle_reports import cycle_progress_report


@dataclass(frozen=True)
class Button:
    key: str
    label: str | Promise
    # What the form asks for: "" (a confirmation), "comment" (optional), "reason" (required),
    # "person" (the responsible person), "report" (text + files), "unit" (a unit to reassign
    # to), "deadline" (an extension), "parts" (分解: a unit, measures and deadline per part),
    # "forward" (转办: a unit and an optional deadline), "text" (an optional text).
    needs: str
    # Irreversible or weighty: the page asks for confirmation first.
    confirm: bool = False
    style: str = "primary"  # primary | secondary | danger


def _buttons(*buttons: Button) -> dict[str, Button]:
    return {b.key: b for b in buttons}


ASSIGNMENT = _buttons(
    Button("claim", _("Claim"), "person"),
    Button("unclaim", _("Release claim"), "comment", style="secondary"),
    Button("request_return", _("Return to the office"), "reason", style="danger"),
    Button("approve_return", _("Sign the return"), "comment"),
    Button("refuse_return", _("Refuse the return"), "reason", style="danger"),
    Button("reassign", _("Reassign to another unit"), "unit", confirm=True),
    Button("reissue", _("Keep the unit responsible"), "reason", style="secondary"),
    Button("start", _("Start work"), ""),
    Button("report_progress", _("Report progress"), "report"),
    Button("submit_completion", _("Report completion"), "report", confirm=True),
    Button("approve_completion", _("Sign the completion report"), "comment"),
    Button("refuse_completion", _("Send the report back"), "reason", style="danger"),
    Button("verify", _("Verify"), "comment"),
    Button("reject", _("Reject"), "reason", style="danger"),
    Button("close", _("Write off"), "comment", confirm=True),
    Button("reopen", _("Reopen"), "reason", confirm=True, style="danger"),
    Button("carry_forward", _("Nothing changed: carry the last report forward"), "", style="secondary"),
    Button("request_extension", _("Ask for more time"), "deadline", style="secondary"),
    # 催办: the optional comment is the reminder's text.
    Button("remind", _("Send a reminder"), "comment", style="secondary"),
    # 分解 / 转办 to units below, and the completion that rolls the sub-tasks' reports up: each has
    # a form of its own on the task page (templates/tasks/_hand_down.html, hand_down.py).
    Button("break_down", _("Break down to units below"), "parts"),
    Button("forward", _("Forward to a unit below"), "forward", style="secondary"),
    Button("roll_up", _("Submit completion with the sub-tasks' reports"), "text", confirm=True),
)
# A sub-task's unit answers to the unit above it, not to the office: the steps that name the
# office say so (the parent unit verifies and writes off as the office does for its own tasks).
SUB_TASK_LABELS: dict[str, Promise] = {
    "request_return": _("Return to the unit above"),
    "reassign": _("Reassign to another unit below"),
}
# The report form once this cycle's report is made: a second report amends it (one per cycle).
AMEND_REPORT = Button("report_progress", _("Amend this cycle's report"), "report")

EXTENSION = _buttons(
    Button("sign", _("Sign the request"), "comment"),
    Button("refuse", _("Refuse the request"), "reason", style="danger"),
    Button("approve", _("Approve the new deadline"), "comment", confirm=True),
    Button("reject", _("Reject the request"), "reason", style="danger"),
)


def assignment_buttons(user: User, a: Assignment) -> list[Button]:
    """The buttons of the steps the user may take on the assignment now (``a.letter`` is read)."""
    offered = []
    for step in steps.allowed(user, a):
        button = ASSIGNMENT[step.key]
        if step is steps.REPORT and cycle_progress_report(a.pk) is not None:
            button = AMEND_REPORT
        elif a.parent_id is not None and button.key in SUB_TASK_LABELS:
            button = replace(button, label=SUB_TASK_LABELS[button.key])
        offered.append(button)
    return offered


def extension_buttons(user: User, ext: ExtensionRequest) -> list[Button]:
    """The buttons of the steps the user may take on the request now (its assignment and that
    assignment's letter are read)."""
    return [EXTENSION[step.key] for step in steps.allowed(user, ext)]
