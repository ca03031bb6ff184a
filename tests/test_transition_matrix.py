"""Who may do what, from where: every transition service × every person of the world.

The tables below are the spec. Each SPEC row names a transition, the state it is tried from
(a path in tests.helpers.PATHS, driven through the services), where it must lead and the only
people allowed to do it; AUDIT_ACTION names the one audit row it writes. Everyone else must
get NotAllowed and leave no trace. Unit roles are unit A's: the case is always an assignment
of unit A, so B's people stand for "another unit". VALID_FROM lists the states each transition
applies from: from any other it is refused as InvalidTransition, again leaving no trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from supervision import services
from supervision.models import (
    Assignment,
    AuditEvent,
    ExtensionRequest,
    Letter,
    Membership,
    Notification,
    ProgressReport,
    SignOff,
)
from supervision.services import AlreadyClaimed, DomainError, InvalidInput, InvalidTransition, NotAllowed
from supervision.services.reminders import assignment_remind
from supervision.services.roles import forget_roles
from tests.conftest import issue_letter, make_user
from tests.helpers import (
    ACTORS,
    ASSIGNMENT_STATES,
    CALLS,
    EXTENSION_STATES,
    PATHS,
    Case,
    drive,
    last_audit_id,
    new_audit,
    new_case,
    snapshot,
    write_off,
)
from workflows.tasks import buttons

LIAISON = frozenset({"liaison_a"})  # the claimer once claimed; any liaison of A before
LEADER = frozenset({"leader_a"})
CLAIMER_OR_LEADER = frozenset({"liaison_a", "leader_a"})
CLERK = frozenset({"clerk"})
INSPECTOR = frozenset({"inspector"})
DIRECTOR = frozenset({"director"})
INSPECTOR_OR_DIRECTOR = frozenset({"inspector", "director"})
CLERK_OR_DIRECTOR = frozenset({"clerk", "director"})


@dataclass(frozen=True)
class Rule:
    source: str  # key of tests.helpers.PATHS: how the assignment got here
    target: str  # assignment state after (for extension rows: the request's state after)
    allowed: frozenset[str]


# Row names are "<call>" or "<call>/<variant>"; the call is a key of tests.helpers.CALLS.
# fmt: off
SPEC: dict[str, Rule] = {
    "claim":                    Rule("issued",                "accepted",              LIAISON),
    "unclaim":                  Rule("accepted",              "issued",                CLAIMER_OR_LEADER),
    "request_return":           Rule("accepted",              "return_requested",      LIAISON),
    "request_return/unclaimed": Rule("issued",                "return_requested",      LIAISON),
    "approve_return":           Rule("return_requested",      "returned",              LEADER),
    "refuse_return":            Rule("return_requested",      "accepted",              LEADER),
    "refuse_return/unclaimed":  Rule("return_unclaimed",      "issued",                LEADER),
    "reassign":                 Rule("returned",              "reassigned",            CLERK),
    "reissue":                  Rule("returned",              "issued",                CLERK),
    "start":                    Rule("accepted",              "in_progress",           LIAISON),
    "report_progress/first":    Rule("accepted",              "in_progress",           LIAISON),
    "report_progress":          Rule("in_progress",           "in_progress",           LIAISON),
    "submit_completion":        Rule("in_progress",           "completion_requested",  LIAISON),
    "approve_completion":       Rule("completion_requested",  "awaiting_verification", LEADER),
    "refuse_completion":        Rule("completion_requested",  "in_progress",           LEADER),
    "verify":                   Rule("awaiting_verification", "verified",              INSPECTOR),
    "reject":                   Rule("awaiting_verification", "in_progress",           INSPECTOR),
    "close":                    Rule("verified",              "closed",                DIRECTOR),
    "reopen":                   Rule("closed",                "in_progress",           INSPECTOR_OR_DIRECTOR),
    "extension_request":        Rule("accepted",              "awaiting_signoff",      LIAISON),
    "extension_sign":           Rule("ext_awaiting_signoff",  "awaiting_decision",     LEADER),
    "extension_refuse":         Rule("ext_awaiting_signoff",  "refused",               LEADER),
    "extension_approve":        Rule("ext_awaiting_decision", "approved",              CLERK_OR_DIRECTOR),
    "extension_reject":         Rule("ext_awaiting_decision", "rejected",              CLERK_OR_DIRECTOR),
}

# The one audit row each call writes for the assignment (extension rows: the request's decision).
AUDIT_ACTION: dict[str, str] = {
    "claim":              "assignment.claimed",
    "unclaim":            "assignment.unclaimed",
    "request_return":     "assignment.return_requested",
    "approve_return":     "assignment.returned",
    "refuse_return":      "assignment.return_refused",
    "reassign":           "assignment.reassigned",
    "reissue":            "assignment.reissued",
    "start":              "assignment.started",
    "report_progress":    "assignment.reported",
    "submit_completion":  "assignment.completion_submitted",
    "approve_completion": "assignment.completion_signed",
    "refuse_completion":  "assignment.completion_refused",
    "verify":             "assignment.verified",
    "reject":             "assignment.rejected",
    "close":              "assignment.closed",
    "reopen":             "assignment.reopened",
    "extension_request":  "extension.requested",
    "extension_sign":     "extension.signed",
    "extension_refuse":   "extension.refused",
    "extension_approve":  "extension.approved",
    "extension_reject":   "extension.rejected",
}
# Audit rows written for other objects in the same transaction: reassign issues a new assignment.
ALSO_WRITES: dict[str, tuple[str, ...]] = {"reassign": ("assignment.issued",)}

# The assignment states each transition applies from; from any other it must be refused.
VALID_FROM: dict[str, frozenset[str]] = {
    "claim":              frozenset({"issued"}),
    "unclaim":            frozenset({"accepted"}),
    "request_return":     frozenset({"issued", "accepted"}),
    "approve_return":     frozenset({"return_requested"}),
    "refuse_return":      frozenset({"return_requested"}),
    "reassign":           frozenset({"returned"}),
    "reissue":            frozenset({"returned"}),
    "start":              frozenset({"accepted"}),
    "report_progress":    frozenset({"accepted", "in_progress"}),
    "submit_completion":  frozenset({"in_progress"}),
    "approve_completion": frozenset({"completion_requested"}),
    "refuse_completion":  frozenset({"completion_requested"}),
    "verify":             frozenset({"awaiting_verification"}),
    "reject":             frozenset({"awaiting_verification"}),
    "close":              frozenset({"verified"}),
    "reopen":             frozenset({"closed"}),
    # Work still open and not yet with the office for verification.
    "extension_request":  frozenset({"issued", "return_requested", "accepted", "in_progress", "completion_requested"}),
}
# The extension request's states each decision applies from.
EXTENSION_VALID_FROM: dict[str, frozenset[str]] = {
    "extension_sign":    frozenset({"awaiting_signoff"}),
    "extension_refuse":  frozenset({"awaiting_signoff"}),
    "extension_approve": frozenset({"awaiting_decision"}),
    "extension_reject":  frozenset({"awaiting_decision"}),
}
# fmt: on


def call_of(name: str) -> str:
    return name.split("/")[0]


# Who acts from a wrong state: everyone who would be allowed from the right one.
ALLOWED_BY_CALL: dict[str, frozenset[str]] = {}
for _name, _rule in SPEC.items():
    ALLOWED_BY_CALL[call_of(_name)] = ALLOWED_BY_CALL.get(call_of(_name), frozenset()) | _rule.allowed

MATRIX = [(name, actor) for name in SPEC for actor in ACTORS]
WRONG_STATES = [
    (call, state, actor)
    for call, valid in VALID_FROM.items()
    for state in ASSIGNMENT_STATES
    if state not in valid
    for actor in sorted(ALLOWED_BY_CALL[call])
]
WRONG_EXTENSION_STATES = [
    (call, state, actor)
    for call, valid in EXTENSION_VALID_FROM.items()
    for state in EXTENSION_STATES
    if state not in valid
    for actor in sorted(ALLOWED_BY_CALL[call])
]


def _home(user) -> tuple[str, int]:
    """The one role (and its unit) a person of the world holds."""
    m = Membership.objects.get(user=user)
    return m.role, m.unit_id


def test_the_spec_tables_agree():
    # The tables describe one machine: every call has an audit action and a wrong-state row, and
    # every row's source state is one the wrong-state table calls valid.
    calls = {call_of(name) for name in SPEC}
    assert calls == set(AUDIT_ACTION) == set(VALID_FROM) | set(EXTENSION_VALID_FROM) == set(CALLS) - {"reassign_to_c"}
    assert len(MATRIX) >= 150
    for name, rule in SPEC.items():
        call = call_of(name)
        if call in VALID_FROM:
            reached = "return_requested" if rule.source == "return_unclaimed" else rule.source
            assert reached in VALID_FROM[call], name
        else:
            assert rule.source.removeprefix("ext_") in EXTENSION_VALID_FROM[call], name


@pytest.mark.parametrize(("name", "actor"), MATRIX, ids=[f"{n}-{a}" for n, a in MATRIX])
def test_transition_matrix(world, name: str, actor: str):
    rule, call = SPEC[name], call_of(name)
    case = drive(world, rule.source)
    user = getattr(world, actor)
    is_extension = call.startswith("extension_")
    state_before = case.assignment.state
    deadline_before = case.assignment.deadline
    version_before = case.assignment.version

    if actor not in rule.allowed:
        before = snapshot()
        with pytest.raises(NotAllowed):
            CALLS[call](case, user)
        assert snapshot() == before
        return

    since = last_audit_id()
    result = CALLS[call](case, user)
    case.refresh()
    if is_extension:
        # FSM state is protected: read the row again instead of refresh_from_db().
        ext = ExtensionRequest.objects.get(pk=(result if call == "extension_request" else case.extension).pk)
        assert ext.state == rule.target
        # Only an office approval moves the deadline; nothing else of the assignment changes.
        assert case.assignment.state == state_before
        if call != "extension_approve":
            assert case.assignment.deadline == deadline_before
    else:
        assert case.assignment.state == rule.target
    # Every change to the assignment row bumps its version, so an open page knows it is stale.
    moved = not is_extension or call == "extension_approve"
    assert case.assignment.version == version_before + (1 if moved else 0)

    events = new_audit(since)
    mine = [e for e in events if e.assignment_id == case.assignment.pk]
    assert len(mine) == 1, [e.action for e in events]
    event = mine[0]
    role, unit_id = _home(user)
    assert (event.action, event.actor_id, event.actor_role, event.actor_unit_id) == (
        AUDIT_ACTION[call],
        user.pk,
        role,
        unit_id,
    )
    if is_extension:
        # The assignment does not move; the request's own move is in the data.
        assert (event.from_state, event.to_state) == (state_before, state_before)
        assert event.data["extension"] == ext.pk
        if call != "extension_request":
            assert event.data["extension_to"] == rule.target
    else:
        assert (event.from_state, event.to_state) == (state_before, rule.target)
    assert sorted(e.action for e in events if e is not event) == sorted(ALSO_WRITES.get(call, ()))


@pytest.mark.parametrize(
    ("call", "state", "actor"), WRONG_STATES, ids=[f"{c}-from-{s}-{a}" for c, s, a in WRONG_STATES]
)
def test_assignment_transition_from_a_wrong_state_changes_nothing(world, call: str, state: str, actor: str):
    # A second claim is refused as AlreadyClaimed, a kind of InvalidTransition.
    case = drive(world, state)
    assert case.assignment.state == state
    before = snapshot()
    with pytest.raises(InvalidTransition):
        CALLS[call](case, getattr(world, actor))
    assert snapshot() == before


@pytest.mark.parametrize(
    ("call", "state", "actor"),
    WRONG_EXTENSION_STATES,
    ids=[f"{c}-from-{s}-{a}" for c, s, a in WRONG_EXTENSION_STATES],
)
def test_extension_decision_from_a_wrong_state_changes_nothing(world, call: str, state: str, actor: str):
    case = drive(world, f"ext_{state}")
    assert case.extension.state == state
    before = snapshot()
    with pytest.raises(InvalidTransition):
        CALLS[call](case, getattr(world, actor))
    assert snapshot() == before


def test_second_claim_is_already_claimed(world):
    case = drive(world, "accepted")
    colleague = make_user("liaison_a2", world.unit_a, "liaison")
    before = snapshot()
    with pytest.raises(AlreadyClaimed):
        CALLS["claim"](case, colleague)
    with pytest.raises(AlreadyClaimed):
        CALLS["claim"](case, world.liaison_a)
    assert snapshot() == before
    assert Assignment.objects.get(pk=case.assignment.pk).claimed_by == world.liaison_a


@pytest.mark.parametrize(
    ("call", "source"),
    [
        ("report_progress", "accepted"),
        ("report_progress", "in_progress"),
        ("start", "accepted"),
        ("submit_completion", "in_progress"),
        ("request_return", "accepted"),
        ("unclaim", "accepted"),
        ("extension_request", "accepted"),
    ],
)
def test_a_colleague_cannot_act_on_anothers_claim(world, call: str, source: str):
    # Two liaisons of the same unit: the one who claimed does the work; the other is refused.
    colleague = make_user("liaison_a2", world.unit_a, "liaison")
    case = drive(world, source)
    before = snapshot()
    with pytest.raises(NotAllowed):
        CALLS[call](case, colleague)
    assert snapshot() == before


def test_any_liaison_of_the_unit_may_claim_an_unclaimed_assignment(world):
    colleague = make_user("liaison_a2", world.unit_a, "liaison")
    case = drive(world, "issued")
    CALLS["claim"](case, colleague)
    case.refresh()
    assert case.assignment.claimed_by == colleague
    # ...and from then on the work is theirs, not the first liaison's.
    with pytest.raises(NotAllowed):
        CALLS["start"](case, world.liaison_a)


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_reject_requires_a_reason(world, reason: str):
    case = drive(world, "awaiting_verification")
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.assignment_reject(actor=world.inspector, assignment=case.assignment, reason=reason)
    assert snapshot() == before


def test_reject_records_reason_and_count_and_tells_the_unit(world):
    case = drive(world, "awaiting_verification")
    CALLS["reject"](case, world.inspector)
    case.refresh()
    a = case.assignment
    assert (a.state, a.last_rejection_reason, a.rejection_count, a.completed_at) == (
        "in_progress",
        "现场仍有问题",
        1,
        None,
    )
    told = set(
        Notification.objects.filter(assignment=a, verb="verification_rejected").values_list("recipient", flat=True)
    )
    assert told == {world.liaison_a.pk, world.leader_a.pk}


def test_reassign_creates_a_new_issued_assignment_for_the_target_unit(world):
    case = drive(world, "returned")
    new = CALLS["reassign"](case, world.clerk)
    old = Assignment.objects.get(pk=case.assignment.pk)
    assert old.state == "reassigned"
    new = Assignment.objects.get(pk=new.pk)
    assert (new.state, new.unit, new.item_id, new.letter_id, new.role, new.deadline, new.reassigned_from_id) == (
        "issued",
        case.spare_unit,
        old.item_id,
        old.letter_id,
        old.role,
        old.deadline,
        old.pk,
    )
    assert new.claimed_by is None
    issued = AuditEvent.objects.get(assignment=new)
    assert (issued.action, issued.to_state, issued.data["reassigned_from"]) == ("assignment.issued", "issued", old.pk)
    # The new unit can claim it; the old unit no longer can act on it.
    liaison_d = make_user("liaison_d", case.spare_unit, "liaison")
    services.assignment_claim(actor=liaison_d, assignment=new)
    with pytest.raises(NotAllowed):
        services.assignment_start(actor=world.liaison_a, assignment=new)


@pytest.mark.parametrize("target", ["same_unit", "unit_b_holds_it", "office"])
def test_reassign_to_an_unfit_unit_is_refused(world, target: str):
    case = drive(world, "returned")
    unit = {"same_unit": world.unit_a, "unit_b_holds_it": world.unit_b, "office": world.office}[target]
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.assignment_reassign(actor=world.clerk, assignment=case.assignment, unit=unit)
    assert snapshot() == before


def test_reissue_puts_it_back_in_the_units_queue(world):
    case = drive(world, "returned")
    CALLS["reissue"](case, world.clerk)
    case.refresh()
    assert (case.assignment.state, case.assignment.claimed_by) == ("issued", None)
    # The settled dispute no longer shows as a pending return reason.
    assert case.assignment.return_reason == ""
    # Any liaison of the unit can claim it again.
    CALLS["claim"](case, world.liaison_a)


def test_leader_decisions_leave_a_signoff(world):
    case = drive(world, "completion_requested")
    CALLS["refuse_completion"](case, world.leader_a)
    s = SignOff.objects.get(assignment=case.assignment)
    assert (s.kind, s.approved, s.signed_by, s.comment) == ("completion", False, world.leader_a, "材料不全")


def test_reports_are_kept_with_their_author(world):
    case = drive(world, "accepted")
    CALLS["report_progress"](case, world.liaison_a)
    # A second progress report in the same cycle amends the first: one progress report a cycle.
    services.assignment_report_progress(actor=world.liaison_a, assignment=case.assignment.pk, text="整改过半")
    CALLS["submit_completion"](case, world.liaison_a)
    kinds = list(
        ProgressReport.objects.filter(assignment=case.assignment).order_by("id").values_list("kind", "author", "text")
    )
    pk = world.liaison_a.pk
    assert kinds == [("progress", pk, "整改过半"), ("completion", pk, "已全部完成整改")]


def test_unit_leader_may_release_a_claim(world):
    case = drive(world, "accepted")
    CALLS["unclaim"](case, world.leader_a)
    case.refresh()
    assert (case.assignment.state, case.assignment.claimed_by) == ("issued", None)


def test_a_second_role_in_the_unit_counts(world):
    # A user holding roles in two units acts in each with that unit's role only.
    Membership.objects.create(user=world.liaison_b, unit=world.unit_a, role="leader")
    forget_roles(world.liaison_b)
    case = drive(world, "return_requested")
    CALLS["approve_return"](case, world.liaison_b)
    case.refresh()
    assert case.assignment.state == "returned"
    event = AuditEvent.objects.filter(assignment=case.assignment).latest("id")
    assert (event.actor_role, event.actor_unit_id) == ("leader", world.unit_a.pk)


def test_inactive_user_is_refused(world):
    case = drive(world, "issued")
    world.liaison_a.is_active = False
    world.liaison_a.save()
    user = type(world.liaison_a).objects.get(pk=world.liaison_a.pk)
    before = snapshot()
    with pytest.raises(NotAllowed):
        CALLS["claim"](case, user)
    assert snapshot() == before


def test_unknown_assignment_is_refused_without_saying_more(world):
    with pytest.raises(NotAllowed):
        services.assignment_claim(actor=world.liaison_a, assignment=10**9)


def test_paths_reach_their_states(world):
    # Guard against a helper that silently stops short: each named path ends where it says.
    for path in PATHS:
        if path.startswith("ext_"):
            continue
        case = drive(world, path)
        expected = "return_requested" if path == "return_unclaimed" else path
        assert case.assignment.state == expected, path


def test_reopen_of_an_assignment_of_a_closed_letter_reopens_the_letter(world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    write_off(world, a, world.liaison_a, world.leader_a)
    assert Letter.objects.get(pk=letter.pk).state == "closed"

    since = last_audit_id()
    services.assignment_reopen(actor=world.inspector, assignment=a, reason="回头看发现问题反弹")
    a = Assignment.objects.get(pk=a.pk)
    letter = Letter.objects.get(pk=letter.pk)
    assert (a.state, a.closed_at, a.verified_at, a.claimed_by) == ("in_progress", None, None, world.liaison_a)
    assert (letter.state, letter.closed_at) == ("issued", None)
    actions = [(e.action, e.from_state, e.to_state) for e in new_audit(since)]
    assert actions == [("assignment.reopened", "closed", "in_progress"), ("letter.reopened", "closed", "issued")]
    told = set(
        Notification.objects.filter(assignment=a, verb="assignment_reopened").values_list("recipient", flat=True)
    )
    assert told == {world.liaison_a.pk, world.leader_a.pk}
    # The unit works on it again and the letter closes again with it.
    services.assignment_submit_completion(actor=world.liaison_a, assignment=a, text="再次整改完成")
    services.assignment_approve_completion(actor=world.leader_a, assignment=a)
    services.assignment_verify(actor=world.inspector, assignment=a)
    services.assignment_close(actor=world.director, assignment=a)
    assert Letter.objects.get(pk=letter.pk).state == "closed"


# --- the buttons offered agree with what the services allow -----------------------------------------

# The page's action keys and the calls that carry them out (the assignment's and the extension's).
BUTTON_CALLS: dict[str, str] = {key: key for key in buttons.ASSIGNMENT if key in CALLS}
BUTTON_CALLS["request_extension"] = "extension_request"
EXTENSION_BUTTON_CALLS = {key: f"extension_{key}" for key in buttons.EXTENSION}
OTHER_CALLS = {
    "carry_forward": lambda c, u: services.assignment_carry_forward(actor=u, assignment=c.assignment.pk),
    "remind": lambda c, u: assignment_remind(actor=u, assignment=c.assignment.pk),
}
# "dual" is the unit's liaison and one of its leaders at once; liaison_a is another liaison.
AGREEMENT_ACTORS = (*ACTORS, "dual")


def _with_dual(world) -> None:
    world.dual = make_user("dual_a", world.unit_a, "liaison", "leader")


def _drive_by(world, path: str, submitter: str) -> Case:
    """PATHS[path], with the liaison's steps done by ``submitter``; sign-offs stay with leader_a."""
    case = new_case(world)
    for call, who in PATHS[path]:
        actor = getattr(world, submitter if who == "liaison_a" else who)
        result = CALLS[call](case, actor)
        if isinstance(result, ExtensionRequest):
            case.extension = result
    case.refresh()
    return case


def _allowed(case: Case, user, calls: dict[str, str]) -> set[str]:
    """The keys whose service call succeeds for ``user`` now (each tried and rolled back)."""
    allowed = set()
    for key, call in calls.items():
        fn = OTHER_CALLS.get(call) or CALLS[call]
        try:
            with transaction.atomic():
                fn(case, user)
                allowed.add(key)
                raise _RollBack
        except (DomainError, _RollBack):
            pass
        case.refresh()
    return allowed


class _RollBack(Exception):
    pass


# The dual-role member's own work matters where a sign-off of it is pending or it is theirs to do.
DUAL_PATHS = ("accepted", "return_requested", "in_progress", "completion_requested", "ext_awaiting_signoff")
AGREEMENT = [(path, "liaison_a") for path in PATHS] + [(path, "dual") for path in DUAL_PATHS]


@pytest.mark.parametrize(("path", "submitter"), AGREEMENT, ids=[f"{p}-by-{s}" for p, s in AGREEMENT])
def test_buttons_offered_are_exactly_what_the_services_allow(world, path: str, submitter: str):
    # For every person, the dual-role member included, in every state: a button is shown if and
    # only if pressing it would be accepted. A leader is never offered to sign their own work.
    _with_dual(world)
    case = _drive_by(world, path, submitter)
    calls = {**BUTTON_CALLS, "carry_forward": "carry_forward", "remind": "remind"}
    for name in AGREEMENT_ACTORS:
        user = getattr(world, name)
        a = Assignment.objects.select_related("letter").get(pk=case.assignment.pk)
        offered = {x.key for x in buttons.assignment_buttons(user, a)}
        assert offered == _allowed(case, user, calls), (path, submitter, name)
        if case.extension is not None:
            ext = ExtensionRequest.objects.get(pk=case.extension.pk)
            offered = {x.key for x in buttons.extension_buttons(user, ext)}
            assert offered == _allowed(case, user, EXTENSION_BUTTON_CALLS), (path, submitter, name, "extension")
    if submitter == "dual" and path in ("return_requested", "completion_requested", "ext_awaiting_signoff"):
        # The sign-off the dual-role member would otherwise have been offered is not.
        a = Assignment.objects.select_related("letter").get(pk=case.assignment.pk)
        keys = {x.key for x in buttons.assignment_buttons(world.dual, a)}
        if case.extension is not None:
            keys |= {x.key for x in buttons.extension_buttons(world.dual, case.extension)}
        assert not keys & {"approve_return", "approve_completion", "sign"}
