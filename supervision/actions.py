"""Which transitions a user may offer on an assignment right now: the pages show these buttons
and nothing else. The services still decide on submit (the state may have moved meanwhile);
this only reads, from the same step definitions the services enforce.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from supervision import clock
from supervision.models import (
    Assignment,
    AssignmentState,
    ExtensionRequest,
    ExtensionState,
    ProgressReport,
    Role,
    User,
)
from supervision.rankings import report_window
from supervision.services import assignments as steps
from supervision.services import reports
from supervision.services.extensions import EXTENDABLE, signs_own_request
from supervision.services.ranking import REPORTING_STATES
from supervision.services.roles import has_role

S = AssignmentState


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    # What the form asks for: "" (a confirmation), "comment" (optional), "reason" (required),
    # "report" (text + files), "unit" (a unit to reassign to), "deadline" (an extension).
    needs: str
    # Irreversible or weighty: the page asks for confirmation first.
    confirm: bool = False
    style: str = "primary"  # primary | secondary | danger


ACTIONS: dict[str, tuple[steps._Step, Action, bool]] = {
    # key: (the service's step, how the page offers it, whether only the claimer may do it)
    "claim": (steps.CLAIM, Action("claim", _("Claim"), "person"), False),
    "unclaim": (steps.UNCLAIM, Action("unclaim", _("Release claim"), "comment", style="secondary"), False),
    "request_return": (
        steps.REQUEST_RETURN,
        Action("request_return", _("Return to the office"), "reason", style="danger"),
        True,
    ),
    "approve_return": (steps.APPROVE_RETURN, Action("approve_return", _("Sign the return"), "comment"), False),
    "refuse_return": (
        steps.REFUSE_RETURN,
        Action("refuse_return", _("Refuse the return"), "reason", style="danger"),
        False,
    ),
    "reassign": (steps.REASSIGN, Action("reassign", _("Reassign to another unit"), "unit", confirm=True), False),
    "reissue": (
        steps.REISSUE,
        Action("reissue", _("Keep the unit responsible"), "reason", style="secondary"),
        False,
    ),
    "start": (steps.START, Action("start", _("Start work"), ""), True),
    "report_progress": (steps.REPORT, Action("report_progress", _("Report progress"), "report"), True),
    "submit_completion": (
        steps.SUBMIT,
        Action("submit_completion", _("Report completion"), "report", confirm=True),
        True,
    ),
    "approve_completion": (
        steps.APPROVE_COMPLETION,
        Action("approve_completion", _("Sign the completion report"), "comment"),
        False,
    ),
    "refuse_completion": (
        steps.REFUSE_COMPLETION,
        Action("refuse_completion", _("Send the report back"), "reason", style="danger"),
        False,
    ),
    "verify": (steps.VERIFY, Action("verify", _("Verify"), "comment"), False),
    "reject": (steps.REJECT, Action("reject", _("Reject"), "reason", style="danger"), False),
    "close": (steps.CLOSE, Action("close", _("Write off"), "comment", confirm=True), False),
    "reopen": (steps.REOPEN, Action("reopen", _("Reopen"), "reason", confirm=True, style="danger"), False),
    # 最多报一次: nothing changed since the last report, so it is confirmed, not typed again.
    "carry_forward": (
        reports.CARRY_FORWARD,
        Action("carry_forward", _("Nothing changed: carry the last report forward"), "", style="secondary"),
        True,
    ),
}

REQUEST_EXTENSION = Action("request_extension", _("Ask for more time"), "deadline", style="secondary")
# The report form once this cycle's report is made: a second report amends it (one per cycle).
AMEND_REPORT = Action("report_progress", _("Amend this cycle's report"), "report")


def available_actions(user: User, a: Assignment) -> list[Action]:
    """The actions the user could take on the assignment now (``a.letter`` is read)."""
    offered = []
    for step, action, claimer_only in ACTIONS.values():
        where = a.letter.office_id if step.office else a.unit_id
        if has_role(user, where, step.roles) is None:
            continue
        if not getattr(a, step.method).can_proceed():
            continue
        if claimer_only and a.claimed_by_id and a.claimed_by_id != user.pk:
            continue
        if step is steps.CLAIM and a.claimed_by_id:
            continue
        # As the service: a claim is released by its claimer or by a unit leader.
        if step is steps.UNCLAIM and a.claimed_by_id != user.pk and has_role(user, a.unit_id, [Role.LEADER]) is None:
            continue
        # Only when there is an earlier report and none yet in this cycle (one query or two,
        # asked last so that the cheap checks above spare it on most pages).
        if step is reports.CARRY_FORWARD and reports.carry_forward_source(a.pk) is None:
            continue
        # Four eyes: a leader who made the submission themselves is not offered its sign-off.
        if steps.signs_own_submission(step, a, user):
            continue
        if step is steps.REPORT and steps.cycle_progress_report(a.pk) is not None:
            action = AMEND_REPORT
        offered.append(action)
    if _may_request_extension(user, a):
        offered.append(REQUEST_EXTENSION)
    return offered


@dataclass(frozen=True)
class CycleReport:
    """Whether the unit has reported on the assignment in the current report window."""

    made: bool
    cutoff_at: dt.datetime
    last_at: dt.datetime | None  # the latest report in the window
    # This cycle's progress report, which a further report amends (its text fills the form).
    text: str = ""


def cycle_report(a: Assignment) -> CycleReport | None:
    """This cycle's report on an assignment that owes one (issued, accepted, in progress);
    None for the others, whose page has nothing to say about it."""
    if a.state not in REPORTING_STATES:
        return None
    opens_at, cutoff_at = report_window()
    last = (
        ProgressReport.objects.filter(assignment_id=a.pk, created_at__gt=opens_at)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    current = steps.cycle_progress_report(a.pk)
    return CycleReport(
        made=last is not None, cutoff_at=cutoff_at, last_at=last, text=current.text if current is not None else ""
    )


def _may_request_extension(user: User, a: Assignment) -> bool:
    # As the service: any liaison of the unit while unclaimed, then the claimer only.
    if has_role(user, a.unit_id, [Role.LIAISON]) is None or (a.claimed_by_id and a.claimed_by_id != user.pk):
        return False
    if a.state not in EXTENDABLE or clock.today() > a.deadline:
        return False
    pending = (ExtensionState.AWAITING_SIGNOFF, ExtensionState.AWAITING_DECISION)
    return not ExtensionRequest.objects.filter(assignment=a, state__in=pending).exists()


EXTENSION_ACTIONS: dict[str, tuple[str, tuple[str, ...], bool, Action]] = {
    # key: (the request's state it applies to, roles, held in the office?, how the page offers it)
    "sign": (ExtensionState.AWAITING_SIGNOFF, (Role.LEADER,), False, Action("sign", _("Sign the request"), "comment")),
    "refuse": (
        ExtensionState.AWAITING_SIGNOFF,
        (Role.LEADER,),
        False,
        Action("refuse", _("Refuse the request"), "reason", style="danger"),
    ),
    "approve": (
        ExtensionState.AWAITING_DECISION,
        (Role.CLERK, Role.DIRECTOR),
        True,
        Action("approve", _("Approve the new deadline"), "comment", confirm=True),
    ),
    "reject": (
        ExtensionState.AWAITING_DECISION,
        (Role.CLERK, Role.DIRECTOR),
        True,
        Action("reject", _("Reject the request"), "reason", style="danger"),
    ),
}


def extension_actions(user: User, ext: ExtensionRequest, a: Assignment) -> list[Action]:
    offered = []
    for state, roles, office, action in EXTENSION_ACTIONS.values():
        where = a.letter.office_id if office else a.unit_id
        if ext.state != state or has_role(user, where, roles) is None:
            continue
        # Four eyes: the requester does not sign their own request, even holding the leader role.
        if action.key == "sign" and signs_own_request(ext, user):
            continue
        # As the service: no new deadline for work returned, written off or awaiting verification.
        if action.key in ("sign", "approve") and a.state not in EXTENDABLE:
            continue
        offered.append(action)
    return offered
