"""The step table: every transition of an assignment, an extension request, a letter and a notice,
declared once.

A step says which transition method it runs (or, for a step that is not a state change of its
own, the states it applies from), the audit action it writes, the roles that may take it and
where those roles must be held, and the conditions on the person beyond the role (the claimer
only, never the drafter, never whoever made the submission being signed off) and on the object
beyond its state (its guard, from step_guards). The letters' and notices' steps are declared in
document_steps.py, the Step type in step_types.py; all of them are in TABLE here.

Reading a step against a person and an object (the acting role, four eyes, ``refusal``,
``require``, ``allowed``) is in step_checks.py; its names are importable from here as well. The
services raise what ``refusal`` returns, under their row lock, and the pages offer exactly the
steps it has nothing against (``allowed``). A test walks the table to hold the two together.

Checks on what a person types (a reason, a date, a target unit) stay in the services: the
buttons are offered whatever the form will hold, and a bad form is refused as InvalidInput.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy

from supervision.models import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    ExtensionRequest,
    Letter,
    Notice,
    Role,
)

from .document_steps import (
    LETTER_CLOSE,
    LETTER_EDIT,
    LETTER_ISSUE,
    LETTER_REOPEN,
    LETTER_RETURN,
    LETTER_SEND,
    LETTER_SIGN,
    LETTER_WITHDRAW,
    NOTICE_EDIT,
    NOTICE_PUBLISH,
    NOTICE_RETURN,
    NOTICE_SEND,
    NOTICE_SIGN,
)
from .step_guards import (
    EXTENDABLE,
    HANDING_DOWN,
    REMINDABLE,
    can_carry_forward,
    deadline_still_moot,
    extension_grantable,
    may_ask_more_time,
    may_break_down,
    may_forward,
    no_open_sub_tasks,
    overdue_or_stalled,
    roll_up_ready,
    sub_task_reopenable,
)
from .step_types import Step

# --- the table -------------------------------------------------------------------------------------

LIAISON, LEADER, CLERK, INSPECTOR, DIRECTOR = Role.LIAISON, Role.LEADER, Role.CLERK, Role.INSPECTOR, Role.DIRECTOR


def _a(key: str, action: str, roles: tuple[str, ...], *, office: bool, method: str | None = None, **kw: Any) -> Step:
    return Step("assignment", key, action, roles, office, method=key if method is None else method, **kw)


# Assignments: 签收, 退回, 办理, 审签, 核验, 销号, 回头看.
CLAIM = _a("claim", "assignment.claimed", (LIAISON,), office=False, unclaimed=True)
UNCLAIM = _a("unclaim", "assignment.unclaimed", (LIAISON, LEADER), office=False, claimer_or_leader=True)
REQUEST_RETURN = _a("request_return", "assignment.return_requested", (LIAISON,), office=False, claimer_only=True)
APPROVE_RETURN = _a(
    "approve_return", "assignment.returned", (LEADER,), office=False, signs_off="assignment.return_requested"
)
REFUSE_RETURN = _a("refuse_return", "assignment.return_refused", (LEADER,), office=False)
REASSIGN = _a("reassign", "assignment.reassigned", (CLERK,), office=True)
REISSUE = _a("reissue", "assignment.reissued", (CLERK,), office=True)
START = _a("start", "assignment.started", (LIAISON,), office=False, claimer_only=True)
REPORT = _a("report_progress", "assignment.reported", (LIAISON,), office=False, claimer_only=True)
# Not while a part handed down is still open: the unit answers for its sub-tasks' work too.
SUBMIT = _a(
    "submit_completion",
    "assignment.completion_submitted",
    (LIAISON,),
    office=False,
    claimer_only=True,
    guard=no_open_sub_tasks,
)
APPROVE_COMPLETION = _a(
    "approve_completion",
    "assignment.completion_signed",
    (LEADER,),
    office=False,
    signs_off="assignment.completion_submitted",
)
REFUSE_COMPLETION = _a("refuse_completion", "assignment.completion_refused", (LEADER,), office=False)
VERIFY = _a("verify", "assignment.verified", (INSPECTOR,), office=True)
REJECT = _a("reject", "assignment.rejected", (INSPECTOR,), office=True)
CLOSE = _a("close", "assignment.closed", (DIRECTOR,), office=True)
# A sub-task stays written off once its parent reported the work complete with it.
REOPEN = _a("reopen", "assignment.reopened", (INSPECTOR, DIRECTOR), office=True, guard=sub_task_reopenable)
# 最多报一次: nothing changed since the last report, so it is confirmed, not typed again.
CARRY_FORWARD = _a(
    "carry_forward",
    "assignment.report_carried",
    (LIAISON,),
    office=False,
    method="report_progress",
    claimer_only=True,
    guard=can_carry_forward,
)
# 延期申请 is asked on the assignment; the request then has its own steps below.
REQUEST_EXTENSION = _a(
    "request_extension",
    "extension.requested",
    (LIAISON,),
    office=False,
    method="",
    states=EXTENDABLE,
    claimer_only=True,
    guard=may_ask_more_time,
)
# Every assignment of a letter being withdrawn, one bulk transition (letter_lifecycle.assignments_withdraw).
WITHDRAW = _a("withdraw", "assignment.withdrawn", (CLERK, DIRECTOR), office=True, unclaimed=True, automatic=True)

_E_STATE = gettext_lazy("This extension request is already “%(state)s”.")


def _e(key: str, action: str, roles: tuple[str, ...], *, office: bool, **kw: Any) -> Step:
    return Step("extension", key, action, roles, office, method=key, wrong_state=_E_STATE, **kw)


EXTENSION_SIGN = _e("sign", "extension.signed", (LEADER,), office=False, not_requester=True, guard=deadline_still_moot)
EXTENSION_REFUSE = _e("refuse", "extension.refused", (LEADER,), office=False)
EXTENSION_APPROVE = _e("approve", "extension.approved", (CLERK, DIRECTOR), office=True, guard=extension_grantable)
EXTENSION_REJECT = _e("reject", "extension.rejected", (CLERK, DIRECTOR), office=True)

# --- cooperating units in step with their lead (配合单位随牵头单位) -----------------------------------
# Taken by the system when the office acts on an item's lead task (services/cooperation.py): an
# approved extension of the lead moves its cooperating tasks' deadlines, and its write-off (销号)
# closes those still open. Reopening the lead (回头看) has no counterpart: the cooperating tasks
# stay closed, and the office reopens any that rebounded on its own.
FOLLOW_LEAD_DEADLINE = _a(
    "follow_lead_deadline",
    "assignment.deadline_followed",
    (CLERK, DIRECTOR),
    office=True,
    method="",
    # Every cooperating task not yet done, a returned one too: 改派 hands its deadline on.
    states=(*OPEN_STATES, AssignmentState.RETURNED),
    automatic=True,
)
CLOSE_WITH_LEAD = _a("close_with_lead", "assignment.closed_with_lead", (DIRECTOR,), office=True, automatic=True)

# --- reminders by hand (催办) ------------------------------------------------------------------------
# The issuing office chases an overdue or stalled assignment (red light, or no report in the
# current cycle) with a short text; the unit's liaison and leader are told. Not a state change;
# at most once a day per assignment (the guard). The services are in services/reminders.py.
REMIND = _a(
    "remind",
    "assignment.reminded",
    (CLERK, INSPECTOR, DIRECTOR),
    office=True,
    method="",
    states=REMINDABLE,
    guard=overdue_or_stalled,
)

# --- handing down (分解 / 转办) and rolling up --------------------------------------------------------
# The claimer hands the task, in parts or whole, to units directly below its unit
# (services/hand_down.py); the parent's unit then acts as the office for those sub-tasks (where()
# below). Once every sub-task is written off, the claimer reports the parent's completion with
# their reports in one step, signed off by the unit leader as any completion.
BREAK_DOWN = _a(
    "break_down",
    "assignment.broken_down",
    (LIAISON,),
    office=False,
    method="",
    states=HANDING_DOWN,
    claimer_only=True,
    guard=may_break_down,
)
FORWARD = _a(
    "forward",
    "assignment.forwarded",
    (LIAISON,),
    office=False,
    method="",
    states=HANDING_DOWN,
    claimer_only=True,
    guard=may_forward,
)
ROLL_UP = _a(
    "roll_up",
    "assignment.completion_submitted",
    (LIAISON,),
    office=False,
    method="submit_completion",
    claimer_only=True,
    guard=roll_up_ready,
)

TABLE: tuple[Step, ...] = (
    CLAIM,
    UNCLAIM,
    REQUEST_RETURN,
    APPROVE_RETURN,
    REFUSE_RETURN,
    REASSIGN,
    REISSUE,
    START,
    REPORT,
    SUBMIT,
    APPROVE_COMPLETION,
    REFUSE_COMPLETION,
    VERIFY,
    REJECT,
    CLOSE,
    REOPEN,
    CARRY_FORWARD,
    REQUEST_EXTENSION,
    WITHDRAW,
    EXTENSION_SIGN,
    EXTENSION_REFUSE,
    EXTENSION_APPROVE,
    EXTENSION_REJECT,
    LETTER_EDIT,
    LETTER_SIGN,
    LETTER_ISSUE,
    LETTER_WITHDRAW,
    LETTER_CLOSE,
    LETTER_REOPEN,
    NOTICE_EDIT,
    NOTICE_SIGN,
    NOTICE_PUBLISH,
    # document routing
    LETTER_SEND,
    LETTER_RETURN,
    NOTICE_SEND,
    NOTICE_RETURN,
    # cooperating units in step with their lead
    FOLLOW_LEAD_DEADLINE,
    CLOSE_WITH_LEAD,
    # reminders by hand
    REMIND,
    # handing down and rolling up
    BREAK_DOWN,
    FORWARD,
    ROLL_UP,
)
SUBJECTS: dict[type[Model], str] = {
    Assignment: "assignment",
    ExtensionRequest: "extension",
    Letter: "letter",
    Notice: "notice",
}


def steps_of(subject: str) -> tuple[Step, ...]:
    return tuple(s for s in TABLE if s.subject == subject)


def step(subject: str, key: str) -> Step | None:
    """The step the pages post as ``key`` on a subject, or None (automatic steps are not posted)."""
    for s in TABLE:
        if s.subject == subject and s.key == key and not s.automatic:
            return s
    return None


# --- reading a step against a person and an object: step_checks.py ---------------------------------
# Imported last, re-exported: step_checks reads TABLE, SUBJECTS and REQUEST_EXTENSION above.
from .step_checks import (  # noqa: E402, F401
    Submission,
    acting_role,
    allowed,
    person_refusal,
    refusal,
    require,
    roles_of,
    submission,
    submitter_ids,
    where,
)
