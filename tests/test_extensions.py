"""Extension requests (延期申请): before the deadline, a later date, one at a time; the unit leader
signs, the office decides; the old deadline stays on record."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from supervision import clock, services
from supervision.models import Assignment, AuditEvent, ExtensionRequest, Notification, SignOff
from supervision.services import InvalidInput, InvalidTransition
from tests.helpers import CALLS, assignment_in, drive, snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def _request(world, a: Assignment, days: int = 30, reason: str = "施工周期长") -> ExtensionRequest:
    return services.extension_request(
        actor=world.liaison_a, assignment=a, requested_deadline=a.deadline + dt.timedelta(days=days), reason=reason
    )


def _deadline(a: Assignment) -> dt.date:
    return Assignment.objects.get(pk=a.pk).deadline


def test_request_on_the_deadline_day_is_accepted(world):
    a = assignment_in(world, "in_progress")
    with clock.frozen(_at(a.deadline, hour=23)):
        ext = _request(world, a)
    assert ext.state == "awaiting_signoff"


def test_request_after_the_deadline_is_refused(world):
    a = assignment_in(world, "in_progress")
    before = snapshot()
    with clock.frozen(_at(a.deadline + dt.timedelta(days=1), hour=0)), pytest.raises(InvalidTransition):
        _request(world, a)
    assert snapshot() == before


@pytest.mark.parametrize("days", [0, -1, -30])
def test_new_deadline_must_be_later(world, days: int):
    a = assignment_in(world, "in_progress")
    before = snapshot()
    with pytest.raises(InvalidInput):
        _request(world, a, days=days)
    assert snapshot() == before


def test_extension_is_at_most_a_year(world):
    a = assignment_in(world, "in_progress")
    with pytest.raises(InvalidInput):
        _request(world, a, days=367)
    assert _request(world, a, days=366).requested_deadline == a.deadline + dt.timedelta(days=366)


@pytest.mark.parametrize("reason", ["", "   "])
def test_request_needs_a_reason(world, reason: str):
    a = assignment_in(world, "in_progress")
    before = snapshot()
    with pytest.raises(InvalidInput):
        _request(world, a, reason=reason)
    assert snapshot() == before


@pytest.mark.parametrize("pending", ["awaiting_signoff", "awaiting_decision"])
def test_one_pending_request_at_a_time(world, pending: str):
    case = drive(world, f"ext_{pending}")
    before = snapshot()
    with pytest.raises(InvalidTransition):
        _request(world, case.assignment, days=60)
    assert snapshot() == before


@pytest.mark.parametrize("decided", ["refused", "rejected", "approved"])
def test_a_new_request_after_a_decision(world, decided: str):
    case = drive(world, f"ext_{decided}")
    a = Assignment.objects.get(pk=case.assignment.pk)
    ext = _request(world, a, days=10)
    # The new request starts from the deadline in force, extended or not.
    assert ext.old_deadline == a.deadline
    assert ExtensionRequest.objects.filter(assignment=a).count() == 2


def test_sign_then_approve_moves_the_deadline_and_keeps_the_old_one(world):
    a = assignment_in(world, "in_progress")
    old, new = a.deadline, a.deadline + dt.timedelta(days=45)
    ext = services.extension_request(actor=world.liaison_a, assignment=a, requested_deadline=new, reason="雨季停工")
    assert Notification.objects.filter(recipient=world.leader_a, verb="signoff_needed", assignment=a).exists()

    services.extension_sign(actor=world.leader_a, extension=ext)
    # Signed by the unit leader, the deadline has not moved yet; the office is asked.
    assert _deadline(a) == old
    told = set(Notification.objects.filter(verb="extension_needed", assignment=a).values_list("recipient", flat=True))
    assert told == {world.clerk.pk, world.director.pk}

    services.extension_approve(actor=world.director, extension=ext, comment="准予延期")
    a = Assignment.objects.get(pk=a.pk)
    ext = ExtensionRequest.objects.get(pk=ext.pk)
    assert a.deadline == new
    assert a.state == "in_progress"
    assert (ext.state, ext.old_deadline, ext.requested_deadline) == ("approved", old, new)
    assert (ext.requested_by, ext.signed_by, ext.decided_by, ext.decision_comment) == (
        world.liaison_a,
        world.leader_a,
        world.director,
        "准予延期",
    )
    assert ext.decided_at is not None
    signoff = SignOff.objects.get(assignment=a)
    assert (signoff.kind, signoff.approved, signoff.signed_by) == ("extension", True, world.leader_a)
    # The audit trail tells the whole story, old date included.
    events = list(
        AuditEvent.objects.filter(assignment=a, action__startswith="extension.")
        .order_by("id")
        .values_list("action", "data")
    )
    assert [action for action, _data in events] == ["extension.requested", "extension.signed", "extension.approved"]
    for _action, data in events:
        assert (data["old_deadline"], data["requested_deadline"]) == (old.isoformat(), new.isoformat())
    assert Notification.objects.filter(recipient=world.liaison_a, verb="extension_decided", assignment=a).exists()


def test_approval_bumps_the_version_so_open_pages_are_stale(world):
    case = drive(world, "ext_awaiting_decision")
    version = case.assignment.version
    services.extension_approve(actor=world.clerk, extension=case.extension)
    assert Assignment.objects.get(pk=case.assignment.pk).version == version + 1


def test_leader_refusal_keeps_the_deadline(world):
    case = drive(world, "ext_awaiting_signoff")
    old = case.assignment.deadline
    services.extension_refuse(actor=world.leader_a, extension=case.extension, comment="应按期完成")
    ext = ExtensionRequest.objects.get(pk=case.extension.pk)
    assert (ext.state, ext.signed_by, ext.decided_by) == ("refused", world.leader_a, None)
    assert _deadline(case.assignment) == old
    signoff = SignOff.objects.get(assignment=case.assignment)
    assert (signoff.kind, signoff.approved, signoff.comment) == ("extension", False, "应按期完成")
    assert Notification.objects.filter(recipient=world.liaison_a, verb="extension_decided").exists()


def test_office_rejection_keeps_the_deadline(world):
    case = drive(world, "ext_awaiting_decision")
    old = case.assignment.deadline
    services.extension_reject(actor=world.clerk, extension=case.extension, comment="不符合延期条件")
    ext = ExtensionRequest.objects.get(pk=case.extension.pk)
    assert (ext.state, ext.decided_by, ext.decision_comment) == ("rejected", world.clerk, "不符合延期条件")
    assert _deadline(case.assignment) == old
    told = set(
        Notification.objects.filter(verb="extension_decided", assignment=case.assignment).values_list(
            "recipient", flat=True
        )
    )
    assert told == {world.liaison_a.pk, world.leader_a.pk}


@pytest.mark.parametrize(
    ("call", "path"),
    [("refuse", "ext_awaiting_signoff"), ("reject", "ext_awaiting_decision")],
    ids=["leader", "office"],
)
def test_refusals_need_a_reason(world, call: str, path: str):
    case = drive(world, path)
    actor = world.leader_a if call == "refuse" else world.clerk
    before = snapshot()
    with pytest.raises(InvalidInput):
        getattr(services, f"extension_{call}")(actor=actor, extension=case.extension, comment=" ")
    assert snapshot() == before


@pytest.mark.parametrize("state", ["awaiting_verification", "verified", "closed", "returned"])
def test_no_request_once_the_work_is_with_the_office_or_done(world, state: str):
    a = drive(world, state).assignment
    before = snapshot()
    with pytest.raises(InvalidTransition):
        _request(world, a)
    assert snapshot() == before


def test_an_approved_extension_lets_the_unit_ask_again_before_the_new_deadline(world):
    # After the old deadline has passed, the new one counts.
    case = drive(world, "ext_approved")
    a = Assignment.objects.get(pk=case.assignment.pk)
    old = case.extension.old_deadline
    with clock.frozen(_at(old + dt.timedelta(days=5))):
        ext = _request(world, a, days=10)
    assert ext.old_deadline == a.deadline


@pytest.mark.parametrize("decision", ["sign", "approve"])
def test_a_request_overtaken_by_the_write_off_cannot_be_granted(world, decision: str):
    # The unit asked for time, then finished anyway and the office wrote the item off: a
    # late approval must not move the deadline of a closed assignment.
    a = assignment_in(world, "in_progress")
    ext = _request(world, a)
    if decision == "approve":
        services.extension_sign(actor=world.leader_a, extension=ext)
    for call, who in [
        ("submit_completion", world.liaison_a),
        ("approve_completion", world.leader_a),
        ("verify", world.inspector),
        ("close", world.director),
    ]:
        CALLS[call](SimpleNamespace(assignment=a), who)
    before = snapshot()
    actor = world.leader_a if decision == "sign" else world.clerk
    with pytest.raises(InvalidTransition, match="no longer be extended"):
        getattr(services, f"extension_{decision}")(actor=actor, extension=ext)
    assert snapshot() == before
    # Refusing it is still possible, so the request does not stay pending forever.
    refuse = services.extension_refuse if decision == "sign" else services.extension_reject
    refuser = world.leader_a if decision == "sign" else world.clerk
    assert refuse(actor=refuser, extension=ext, comment="已销号，无需延期").state in ("refused", "rejected")
