"""Stand-ins (授权代理) and one-person units: a user names a colleague of the same unit to act for
them between two dates; while it runs the colleague takes the user's steps there, each recorded
as "X for Y"; four eyes still hold, except in a unit the office marked as a one-person unit,
where each waived sign-off says so in its audit row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supervision import clock, services
from supervision.models import Assignment, AuditEvent, Notification, StandIn, Unit
from supervision.selectors.queues import QUEUES, queue_counts
from supervision.selectors.visibility import assignment_timeline, assignments_visible_to
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from supervision.services.roles import forget_roles
from supervision.services.stand_ins import standin_create, standin_end
from supervision.services.units import unit_one_person_set
from tests.conftest import issue_letter, make_user
from tests.helpers import drive, snapshot

TODAY = clock.today


def _name(principal, deputy, unit, *, days: int = 5, starts: int = 0) -> StandIn:
    s = standin_create(
        actor=principal,
        deputy=deputy,
        unit=unit,
        starts_on=TODAY() + dt.timedelta(days=starts),
        ends_on=TODAY() + dt.timedelta(days=starts + days),
    )
    forget_roles(deputy)
    return s


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _at(day: dt.date):
    """clock.frozen at noon of ``day`` in the office's time zone."""
    return clock.frozen(timezone.make_aware(dt.datetime.combine(day, dt.time(12))))


def _last(assignment: Assignment) -> AuditEvent:
    return AuditEvent.objects.filter(assignment=assignment).latest("id")


@pytest.fixture
def deputy(world):
    """A second liaison of unit A: the colleague liaison_a names while on leave."""
    return make_user("deputy_a", world.unit_a, "liaison", full_name="王代理")


# --- naming and ending ------------------------------------------------------------------------------


def test_naming_a_stand_in_is_audited_and_both_are_told(world, deputy):
    s = _name(world.liaison_a, deputy, world.unit_a)
    assert (s.principal, s.deputy, s.unit, s.created_by, s.ended_at) == (
        world.liaison_a,
        deputy,
        world.unit_a,
        world.liaison_a,
        None,
    )
    event = AuditEvent.objects.get(action="stand_in.created")
    assert (event.actor, event.actor_role, event.actor_unit, event.data["deputy"]) == (
        world.liaison_a,
        "liaison",
        world.unit_a,
        deputy.pk,
    )
    told = dict(Notification.objects.filter(verb="stand_in").values_list("recipient", "text"))
    assert set(told) == {world.liaison_a.pk, deputy.pk}
    assert "named you as their stand-in" in told[deputy.pk]


@pytest.mark.parametrize(
    "case",
    ["other_unit", "oneself", "outsider", "starts_yesterday", "ends_before_start", "too_long", "inactive"],
)
def test_a_stand_in_that_cannot_be_is_refused_and_changes_nothing(world, deputy, case):
    today = TODAY()
    kw = {"deputy": deputy, "unit": world.unit_a, "starts_on": today, "ends_on": today + dt.timedelta(days=3)}
    if case == "other_unit":
        kw["deputy"] = world.liaison_b
    elif case == "oneself":
        kw["deputy"] = world.liaison_a
    elif case == "outsider":
        kw["deputy"] = world.outsider
    elif case == "starts_yesterday":
        kw["starts_on"] = today - dt.timedelta(days=1)
    elif case == "ends_before_start":
        kw["ends_on"] = today - dt.timedelta(days=1)
    elif case == "too_long":
        kw["ends_on"] = today + dt.timedelta(days=400)
    elif case == "inactive":
        deputy.is_active = False
        deputy.save()
    before = snapshot()
    with pytest.raises(InvalidInput):
        standin_create(actor=world.liaison_a, **kw)
    assert snapshot() == before
    assert not StandIn.objects.exists()


def test_only_a_member_names_a_stand_in_for_a_unit(world, deputy):
    # Unit B is not liaison_a's: nobody can be named there on their behalf.
    with pytest.raises(NotAllowed):
        _name(world.liaison_a, world.liaison_b, world.unit_b)
    # A deputy holds no role of their own in B through a stand-in in A, so names nobody there.
    _name(world.liaison_a, deputy, world.unit_a)
    with pytest.raises(NotAllowed):
        _name(deputy, world.liaison_b, world.unit_b)
    assert StandIn.objects.count() == 1


def test_one_stand_in_at_a_time(world, deputy):
    _name(world.liaison_a, deputy, world.unit_a, days=5)
    with pytest.raises(InvalidInput, match="already stands in for you"):
        _name(world.liaison_a, world.leader_a, world.unit_a, days=2, starts=3)
    # After it, another may follow.
    _name(world.liaison_a, world.leader_a, world.unit_a, days=2, starts=6)


def test_the_principal_or_a_leader_ends_it_early_and_both_are_told(world, deputy):
    s = _name(world.liaison_a, deputy, world.unit_a)
    for stranger in (deputy, world.liaison_b, world.leader_b, world.director, world.outsider):
        with pytest.raises(NotAllowed):
            standin_end(actor=stranger, stand_in=s.pk)
    Notification.objects.all().delete()
    standin_end(actor=world.leader_a, stand_in=s.pk)
    s.refresh_from_db()
    assert (s.ended_by, s.ended_at is not None) == (world.leader_a, True)
    event = AuditEvent.objects.get(action="stand_in.ended")
    assert (event.actor, event.actor_role, event.data["stand_in"]) == (world.leader_a, "leader", s.pk)
    assert set(Notification.objects.values_list("recipient", flat=True)) == {world.liaison_a.pk, deputy.pk}
    with pytest.raises(InvalidTransition):
        standin_end(actor=world.liaison_a, stand_in=s.pk)
    with pytest.raises(NotAllowed):
        standin_end(actor=world.liaison_a, stand_in=10**9)


def test_in_the_office_its_director_ends_a_stand_in(world):
    clerk2 = make_user("clerk2", world.office, "clerk")
    s = _name(world.clerk, clerk2, world.office)
    with pytest.raises(NotAllowed):
        standin_end(actor=world.inspector, stand_in=s)
    standin_end(actor=world.director, stand_in=s)
    assert StandIn.objects.get(pk=s.pk).ended_by == world.director


# --- acting ------------------------------------------------------------------------------------------


def test_the_stand_in_does_the_principals_claimed_work_recorded_as_for_them(world, deputy):
    case = drive(world, "accepted")  # claimed by liaison_a
    a = case.assignment
    with pytest.raises(NotAllowed, match="who claimed this assignment"):
        services.assignment_start(actor=deputy, assignment=a.pk)
    _name(world.liaison_a, deputy, world.unit_a)
    services.assignment_start(actor=_fresh(deputy), assignment=a.pk)
    event = _last(a)
    assert (event.action, event.actor, event.on_behalf_of, event.actor_role, event.actor_unit) == (
        "assignment.started",
        deputy,
        world.liaison_a,
        "liaison",
        world.unit_a,
    )
    timeline = list(assignment_timeline(a))
    assert timeline[-1].actor_label == "王代理 (for liaison_a)"
    # The principal's own steps stay theirs, on their own account.
    services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="已完成排查")
    assert _last(a).on_behalf_of is None
    # The claim stays the principal's.
    assert Assignment.objects.get(pk=a.pk).claimed_by == world.liaison_a


def test_a_stand_in_holds_the_principals_roles_in_that_unit_only(world):
    # The leader of A, on leave, names A's liaison: the liaison signs as the leader, for them.
    case = drive(world, "return_requested")  # requested by liaison_a
    other = drive(world, "completion_requested")
    liaison2 = make_user("liaison_a2", world.unit_a, "liaison", full_name="李联络")
    _name(world.leader_a, liaison2, world.unit_a)
    services.assignment_approve_completion(actor=_fresh(liaison2), assignment=other.assignment.pk)
    event = _last(other.assignment)
    assert (event.action, event.actor, event.actor_role, event.on_behalf_of) == (
        "assignment.completion_signed",
        liaison2,
        "leader",
        world.leader_a,
    )
    # Nothing in another unit, and nothing of the office.
    b_assignment = Assignment.objects.get(letter=case.assignment.letter, unit=world.unit_b)
    with pytest.raises(NotAllowed):
        services.assignment_claim(actor=_fresh(liaison2), assignment=b_assignment.pk)
    with pytest.raises(NotAllowed):
        services.assignment_reissue(actor=_fresh(liaison2), assignment=case.assignment.pk, comment="属本单位")


def test_a_stand_in_runs_only_between_its_dates(world, deputy):
    case = drive(world, "accepted")
    a = case.assignment
    s = _name(world.liaison_a, deputy, world.unit_a, starts=2, days=3)
    with pytest.raises(NotAllowed):  # not yet
        services.assignment_start(actor=_fresh(deputy), assignment=a.pk)
    with _at(s.starts_on):
        services.assignment_start(actor=_fresh(deputy), assignment=a.pk)
    with _at(s.ends_on):  # the last day counts
        services.assignment_report_progress(actor=_fresh(deputy), assignment=a.pk, text="整改过半")
    with _at(s.ends_on + dt.timedelta(days=1)), pytest.raises(NotAllowed):  # leave ended by itself
        services.assignment_submit_completion(actor=_fresh(deputy), assignment=a.pk, text="已完成")


def test_a_stand_in_ended_early_stops_at_once(world, deputy):
    case = drive(world, "accepted")
    s = _name(world.liaison_a, deputy, world.unit_a)
    standin_end(actor=world.liaison_a, stand_in=s)
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.assignment_start(actor=_fresh(deputy), assignment=case.assignment.pk)
    assert snapshot() == before


def test_the_stand_in_sees_the_principals_queue(world):
    # A's leader stands in for A's liaison: the liaison's claimed work shows in "claimed by me".
    case = drive(world, "accepted")
    leader = _fresh(world.leader_a)
    assert "mine" not in queue_counts(leader)
    _name(world.liaison_a, world.leader_a, world.unit_a)
    leader = _fresh(world.leader_a)
    assert queue_counts(leader)["mine"] == 1
    assert list(QUEUES["mine"].assignments(leader)) == [case.assignment]
    assert assignments_visible_to(leader).filter(pk=case.assignment.pk).exists()


# --- four eyes ---------------------------------------------------------------------------------------


def test_a_stand_in_may_not_sign_what_they_submitted_for_the_principal(world):
    # A's leader stands in for A's liaison, reports completion for them, and may not sign it.
    case = drive(world, "in_progress")
    _name(world.liaison_a, world.leader_a, world.unit_a)
    leader = _fresh(world.leader_a)
    services.assignment_submit_completion(actor=leader, assignment=case.assignment.pk, text="已全部完成")
    before = snapshot()
    with pytest.raises(NotAllowed) as refused:
        services.assignment_approve_completion(actor=leader, assignment=case.assignment.pk)
    assert str(refused.value) == (
        "You submitted this yourself as Liaison, so you may not sign it off as Unit leader: "
        "another Unit leader of the unit must do it."
    )
    assert snapshot() == before


def test_a_stand_in_may_not_sign_what_their_principal_submitted(world):
    dual = make_user("dual_a", world.unit_a, "liaison", "leader", full_name="赵双岗")
    case = drive(world, "issued")
    services.assignment_claim(actor=dual, assignment=case.assignment.pk)
    services.assignment_start(actor=dual, assignment=case.assignment.pk)
    services.assignment_submit_completion(actor=dual, assignment=case.assignment.pk, text="已全部完成")
    deputy = make_user("deputy_a", world.unit_a, "liaison")
    _name(dual, deputy, world.unit_a)
    with pytest.raises(NotAllowed, match="赵双岗, for whom you stand in, submitted this as Liaison"):
        services.assignment_approve_completion(actor=_fresh(deputy), assignment=case.assignment.pk)
    services.assignment_approve_completion(actor=world.leader_a, assignment=case.assignment.pk)


def test_the_principal_may_not_sign_what_their_stand_in_submitted_for_them(world):
    dual = make_user("dual_a", world.unit_a, "liaison", "leader")
    deputy = make_user("deputy_a", world.unit_a, "liaison", full_name="王代理")
    case = drive(world, "issued")
    services.assignment_claim(actor=dual, assignment=case.assignment.pk)
    s = _name(dual, deputy, world.unit_a)
    services.assignment_start(actor=_fresh(deputy), assignment=case.assignment.pk)
    ext = services.extension_request(
        actor=_fresh(deputy),
        assignment=case.assignment.pk,
        requested_deadline=case.assignment.deadline + dt.timedelta(days=30),
        reason="施工周期长",
    )
    services.assignment_submit_completion(actor=_fresh(deputy), assignment=case.assignment.pk, text="已完成")
    standin_end(actor=dual, stand_in=s)
    with pytest.raises(NotAllowed, match="王代理 submitted this for you as Liaison"):
        services.assignment_approve_completion(actor=_fresh(dual), assignment=case.assignment.pk)
    with pytest.raises(NotAllowed, match="王代理 submitted this for you as Liaison"):
        services.extension_sign(actor=_fresh(dual), extension=ext.pk)
    # Another leader signs both.
    services.extension_sign(actor=world.leader_a, extension=ext.pk)
    services.assignment_approve_completion(actor=world.leader_a, assignment=case.assignment.pk)


def test_extension_requests_keep_four_eyes_for_a_stand_in(world):
    case = drive(world, "accepted")  # claimed by liaison_a
    _name(world.liaison_a, world.leader_a, world.unit_a)
    leader = _fresh(world.leader_a)
    ext = services.extension_request(
        actor=leader,
        assignment=case.assignment.pk,
        requested_deadline=case.assignment.deadline + dt.timedelta(days=30),
        reason="施工周期长",
    )
    assert _last(case.assignment).on_behalf_of == world.liaison_a
    with pytest.raises(NotAllowed, match="You submitted this yourself as Liaison"):
        services.extension_sign(actor=leader, extension=ext.pk)


# --- one-person units ---------------------------------------------------------------------------------


def test_the_office_marks_a_one_person_unit_audited(world):
    for refused in (world.inspector, world.observer, world.leader_a, world.outsider):
        with pytest.raises(NotAllowed):
            unit_one_person_set(actor=refused, unit=world.unit_a, one_person=True)
    with pytest.raises(InvalidInput):
        unit_one_person_set(actor=world.director, unit=world.office, one_person=True)
    unit_one_person_set(actor=world.director, unit=world.unit_a, one_person=True, reason="编制仅一人")
    assert Unit.objects.get(pk=world.unit_a.pk).one_person
    event = AuditEvent.objects.get(action="unit.one_person_set")
    assert (event.actor, event.actor_role, event.actor_unit, event.comment, event.data["unit"]) == (
        world.director,
        "director",
        world.office,
        "编制仅一人",
        world.unit_a.pk,
    )
    unit_one_person_set(actor=world.clerk, unit=world.unit_a, one_person=False)
    assert not Unit.objects.get(pk=world.unit_a.pk).one_person
    assert AuditEvent.objects.filter(action="unit.one_person_cleared", actor=world.clerk).count() == 1


def test_in_a_one_person_unit_the_sign_off_of_ones_own_submission_is_waived_and_recorded(world):
    solo = make_user("solo", world.unit_c, "liaison", "leader")
    a = Assignment.objects.get(letter=issue_letter(world, items=1, units=[world.unit_c]))
    services.assignment_claim(actor=solo, assignment=a.pk)
    services.assignment_start(actor=solo, assignment=a.pk)
    services.assignment_submit_completion(actor=solo, assignment=a.pk, text="已全部完成")
    with pytest.raises(NotAllowed):
        services.assignment_approve_completion(actor=solo, assignment=a.pk)
    unit_one_person_set(actor=world.director, unit=world.unit_c, one_person=True, reason="编制仅一人")
    services.assignment_approve_completion(actor=_fresh(solo), assignment=a.pk)
    event = _last(a)
    assert (event.action, event.actor, event.data.get("four_eyes_waived")) == (
        "assignment.completion_signed",
        solo,
        True,
    )
    # A sign-off by someone else in the same unit waives nothing and says nothing.
    b_case = drive(world, "completion_requested")
    services.assignment_approve_completion(actor=world.leader_a, assignment=b_case.assignment.pk)
    assert "four_eyes_waived" not in _last(b_case.assignment).data


def test_a_stand_in_is_told_of_the_work_they_stand_in_for(world):
    # A liaison on leave names a colleague: the unit's notifications for the liaison's role reach
    # the colleague too (once), and stop when the stand-in ends.
    deputy = make_user("deputy_a", world.unit_a, "leader", full_name="孙代理")
    today = clock.today()
    s = standin_create(actor=world.liaison_a, deputy=deputy, unit=world.unit_a, starts_on=today, ends_on=today)
    issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.filter(unit=world.unit_a).latest("pk")
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    services.assignment_request_return(actor=world.liaison_a, assignment=a.pk, reason="非本单位职责")
    services.assignment_refuse_return(actor=world.leader_a, assignment=a.pk, comment="属本单位职责")
    # The refusal goes to the unit's liaisons: the deputy, standing in for one, is told once.
    assert Notification.objects.filter(recipient=deputy, verb="signoff_refused").count() == 1
    standin_end(actor=world.liaison_a, stand_in=s)
    services.assignment_request_return(actor=world.liaison_a, assignment=a.pk, reason="确非本单位职责")
    services.assignment_refuse_return(actor=world.leader_a, assignment=a.pk, comment="仍属本单位职责")
    assert Notification.objects.filter(recipient=deputy, verb="signoff_refused").count() == 1
