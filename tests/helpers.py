"""Shared test helpers: drive an assignment through the services into any state, and take a
snapshot of everything a transition could touch, to prove a refusal changed nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from supervision import services
from supervision.models import (
    Assignment,
    AuditEvent,
    Evidence,
    ExtensionRequest,
    Item,
    Letter,
    LetterAttachment,
    LetterNumberCounter,
    Notification,
    PeerGroup,
    ProgressReport,
    SignOff,
    Unit,
    UnitKind,
    User,
)

# The factories used to live here: the "x as x" names are kept for the tests that import them from here.
from tests.factories import assignment_in as assignment_in
from tests.factories import browser_for as browser_for
from tests.factories import draft_letter as draft_letter
from tests.factories import issue_letter
from tests.factories import sign_and_issue as sign_and_issue
from tests.factories import signed_in as signed_in
from tests.factories import write_off as write_off

# The nine people of the `world` fixture every transition is tried with.
ACTORS = (
    "clerk",
    "inspector",
    "director",
    "observer",
    "liaison_a",
    "leader_a",
    "liaison_b",
    "leader_b",
    "outsider",
)


@dataclass
class Case:
    """One assignment of unit A, and what the services handed back on the way."""

    world: SimpleNamespace
    assignment: Assignment
    # A unit that holds nothing of the letter: where the office reassigns to.
    spare_unit: Unit
    extension: ExtensionRequest | None = None
    results: list[Any] = field(default_factory=list)

    def refresh(self) -> None:
        self.assignment = Assignment.objects.get(pk=self.assignment.pk)
        if self.extension is not None:
            self.extension = ExtensionRequest.objects.get(pk=self.extension.pk)


def new_case(world: SimpleNamespace) -> Case:
    """A one-item letter issued to units A and B; the case is unit A's assignment.

    B keeps a live assignment of the same letter, so closing or reopening A's never closes or
    reopens the letter: each transition writes exactly its own audit row.
    """
    letter = issue_letter(world, items=1, units=[world.unit_a, world.unit_b])
    spare, _created = Unit.objects.get_or_create(
        name="丁县人民政府", defaults={"short_name": "丁县", "kind": UnitKind.COUNTY, "peer_group": PeerGroup.COUNTY}
    )
    return Case(world=world, assignment=Assignment.objects.get(letter=letter, unit=world.unit_a), spare_unit=spare)


def _ext(case: Case) -> ExtensionRequest:
    assert case.extension is not None, "drive to an extension state first"
    return case.extension


# Every service called with valid input: a refusal can then only come from role or state.
CALLS: dict[str, Callable[[Case, User], Any]] = {
    "claim": lambda c, u: services.assignment_claim(actor=u, assignment=c.assignment.pk, responsible_person="张三"),
    "unclaim": lambda c, u: services.assignment_unclaim(actor=u, assignment=c.assignment.pk, comment="人员调整"),
    "request_return": lambda c, u: services.assignment_request_return(
        actor=u, assignment=c.assignment.pk, reason="该问题不属于本单位职责"
    ),
    "approve_return": lambda c, u: services.assignment_approve_return(
        actor=u, assignment=c.assignment.pk, comment="同意退回"
    ),
    "refuse_return": lambda c, u: services.assignment_refuse_return(
        actor=u, assignment=c.assignment.pk, comment="属于本单位职责"
    ),
    "reassign": lambda c, u: services.assignment_reassign(
        actor=u, assignment=c.assignment.pk, unit=c.spare_unit, comment="改派丁县"
    ),
    "reissue": lambda c, u: services.assignment_reissue(actor=u, assignment=c.assignment.pk, comment="经核实属本单位"),
    "start": lambda c, u: services.assignment_start(actor=u, assignment=c.assignment.pk),
    "report_progress": lambda c, u: services.assignment_report_progress(
        actor=u, assignment=c.assignment.pk, text="已完成排查"
    ),
    "submit_completion": lambda c, u: services.assignment_submit_completion(
        actor=u, assignment=c.assignment.pk, text="已全部完成整改"
    ),
    "approve_completion": lambda c, u: services.assignment_approve_completion(
        actor=u, assignment=c.assignment.pk, comment="同意"
    ),
    "refuse_completion": lambda c, u: services.assignment_refuse_completion(
        actor=u, assignment=c.assignment.pk, comment="材料不全"
    ),
    "verify": lambda c, u: services.assignment_verify(actor=u, assignment=c.assignment.pk, comment="核验通过"),
    "reject": lambda c, u: services.assignment_reject(actor=u, assignment=c.assignment.pk, reason="现场仍有问题"),
    "close": lambda c, u: services.assignment_close(actor=u, assignment=c.assignment.pk, comment="同意销号"),
    "reopen": lambda c, u: services.assignment_reopen(actor=u, assignment=c.assignment.pk, reason="问题反弹"),
    "extension_request": lambda c, u: services.extension_request(
        actor=u,
        assignment=c.assignment.pk,
        requested_deadline=Assignment.objects.get(pk=c.assignment.pk).deadline + dt.timedelta(days=30),
        reason="施工周期长",
    ),
    "extension_sign": lambda c, u: services.extension_sign(actor=u, extension=_ext(c).pk, comment="同意延期"),
    "extension_refuse": lambda c, u: services.extension_refuse(actor=u, extension=_ext(c).pk, comment="不同意"),
    "extension_approve": lambda c, u: services.extension_approve(actor=u, extension=_ext(c).pk, comment="准予延期"),
    "extension_reject": lambda c, u: services.extension_reject(actor=u, extension=_ext(c).pk, comment="不予延期"),
    # Only for driving into "reassigned": another target than the spare unit, so that the spare
    # unit stays free for a reassign attempted from there.
    "reassign_to_c": lambda c, u: services.assignment_reassign(
        actor=u, assignment=c.assignment.pk, unit=c.world.unit_c, comment="改派农业农村局"
    ),
}

_CLAIMED = [("claim", "liaison_a")]
_RETURN = [*_CLAIMED, ("request_return", "liaison_a")]
_WORK = [*_CLAIMED, ("start", "liaison_a")]
_SUBMITTED = [*_WORK, ("submit_completion", "liaison_a")]
_SIGNED = [*_SUBMITTED, ("approve_completion", "leader_a")]
_VERIFIED = [*_SIGNED, ("verify", "inspector")]
_EXT = [*_CLAIMED, ("extension_request", "liaison_a")]
_EXT_SIGNED = [*_EXT, ("extension_sign", "leader_a")]

# How to reach each source state from a fresh issued assignment, by the people who would do it.
PATHS: dict[str, list[tuple[str, str]]] = {
    "issued": [],
    "accepted": _CLAIMED,
    "return_requested": _RETURN,
    "return_unclaimed": [("request_return", "liaison_a")],
    "returned": [*_RETURN, ("approve_return", "leader_a")],
    "reassigned": [*_RETURN, ("approve_return", "leader_a"), ("reassign_to_c", "clerk")],
    "in_progress": _WORK,
    "completion_requested": _SUBMITTED,
    "awaiting_verification": _SIGNED,
    "verified": _VERIFIED,
    "closed": [*_VERIFIED, ("close", "director")],
    "ext_awaiting_signoff": _EXT,
    "ext_awaiting_decision": _EXT_SIGNED,
    "ext_refused": [*_EXT, ("extension_refuse", "leader_a")],
    "ext_approved": [*_EXT_SIGNED, ("extension_approve", "clerk")],
    "ext_rejected": [*_EXT_SIGNED, ("extension_reject", "director")],
}

# The assignment states reached by the paths (the unclaimed return is a return_requested too).
ASSIGNMENT_STATES = (
    "issued",
    "accepted",
    "return_requested",
    "returned",
    "reassigned",
    "in_progress",
    "completion_requested",
    "awaiting_verification",
    "verified",
    "closed",
)
EXTENSION_STATES = ("awaiting_signoff", "awaiting_decision", "refused", "approved", "rejected")


def drive(world: SimpleNamespace, path: str) -> Case:
    """A fresh case driven through the services along PATHS[path]."""
    case = new_case(world)
    for call, who in PATHS[path]:
        result = CALLS[call](case, getattr(world, who))
        if isinstance(result, ExtensionRequest):
            case.extension = result
        case.results.append(result)
    case.refresh()
    return case


def snapshot() -> dict[str, Any]:
    """Everything a transition writes: any difference after a refusal is a leak."""
    return {
        "assignments": list(Assignment.objects.order_by("pk").values()),
        "extensions": list(ExtensionRequest.objects.order_by("pk").values()),
        "letters": list(Letter.objects.order_by("pk").values()),
        "counters": list(LetterNumberCounter.objects.order_by("pk").values()),
        "items": Item.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "reports": ProgressReport.objects.count(),
        "evidence": Evidence.objects.count(),
        "attachments": LetterAttachment.objects.count(),
        "signoffs": SignOff.objects.count(),
    }


def new_audit(since: int) -> list[AuditEvent]:
    """Audit rows written after the row with id ``since`` (ids only grow)."""
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("pk"))


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- pages ------------------------------------------------------------------------------------------


def page_messages(response: Any) -> str:
    """The flash messages a page showed, as one text."""
    return " ".join(str(m) for m in response.context["messages"])
