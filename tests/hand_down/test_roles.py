"""Who acts on a sub-task: the unit that handed it down plays the office (its liaison issues,
reassigns and verifies, its leader verifies and writes off, either decides an extension); the
sub-unit does its own steps; the office's people only read; a sibling township nothing.

Each state is reached once through the services, then every step is tried by every person and
rolled back, and compared with the steps the pages offer (steps.allowed): the buttons and the
services agree on sub-tasks too."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import transaction

from supervision import services
from supervision.models import Assignment, ExtensionRequest
from supervision.services import DomainError, steps
from supervision.services.reminders import assignment_remind
from tests.hand_down.conftest import SOON, break_down

PEOPLE = (
    "liaison_a",
    "leader_a",
    "clerk",
    "inspector",
    "director",
    "observer",
    "liaison_town_a1",
    "leader_town_a1",
    "liaison_town_a2",
    "leader_town_a2",
    "liaison_b",
)
PARENT_LIAISON, PARENT_LEADER = "liaison_a", "leader_a"
BOTH = {PARENT_LIAISON, PARENT_LEADER}

# Each step tried on a sub-task of township A1 (valid input: a refusal comes from role or state).
CALLS = {
    "claim": lambda w, s, u: services.assignment_claim(actor=u, assignment=s.pk),
    "approve_completion": lambda w, s, u: services.assignment_approve_completion(actor=u, assignment=s.pk),
    "verify": lambda w, s, u: services.assignment_verify(actor=u, assignment=s.pk),
    "reject": lambda w, s, u: services.assignment_reject(actor=u, assignment=s.pk, reason="现场仍有问题"),
    "close": lambda w, s, u: services.assignment_close(actor=u, assignment=s.pk),
    "reopen": lambda w, s, u: services.assignment_reopen(actor=u, assignment=s.pk, reason="问题反弹"),
    "reassign": lambda w, s, u: services.assignment_reassign(actor=u, assignment=s.pk, unit=w.town_a2),
    "reissue": lambda w, s, u: services.assignment_reissue(actor=u, assignment=s.pk, comment="属本镇职责"),
    "remind": lambda w, s, u: assignment_remind(actor=u, assignment=s.pk),
}
EXTENSION_CALLS = {
    "approve": lambda ext, u: services.extension_approve(actor=u, extension=ext.pk),
    "reject": lambda ext, u: services.extension_reject(actor=u, extension=ext.pk, comment="不予延期"),
}
# state -> {step: who may take it}
EXPECTED = {
    "issued": {"claim": {"liaison_town_a1"}, "remind": BOTH},
    "awaiting_verification": {"verify": BOTH, "reject": BOTH},
    "verified": {"close": {PARENT_LEADER}},
    "closed": {"reopen": BOTH},
    "returned": {"reassign": {PARENT_LIAISON}, "reissue": {PARENT_LIAISON}},
    "completion_requested": {"approve_completion": {"leader_town_a1"}},
}


def _sub_in(w: SimpleNamespace, county_task: Assignment, state: str) -> Assignment:
    # The sibling township holds its own part, so that reassigning to it is refused for holding
    # one; reassign then goes to a third unit made free below.
    (sub,) = break_down(w, county_task, "town_a1")
    liaison, leader = w.liaison_town_a1, w.leader_town_a1
    if state == "returned":
        services.assignment_request_return(actor=liaison, assignment=sub.pk, reason="不属本镇")
        services.assignment_approve_return(actor=leader, assignment=sub.pk)
    elif state != "issued":
        services.assignment_claim(actor=liaison, assignment=sub.pk)
        services.assignment_start(actor=liaison, assignment=sub.pk)
        services.assignment_submit_completion(actor=liaison, assignment=sub.pk, text="完成")
        if state != "completion_requested":
            services.assignment_approve_completion(actor=leader, assignment=sub.pk)
        if state in ("verified", "closed"):
            services.assignment_verify(actor=w.liaison_a, assignment=sub.pk)
        if state == "closed":
            services.assignment_close(actor=w.leader_a, assignment=sub.pk)
    return Assignment.objects.get(pk=sub.pk)


class _RollBack(Exception):
    pass


def _accepted(call, *args) -> bool:
    try:
        with transaction.atomic():
            call(*args)
            raise _RollBack
    except _RollBack:
        return True
    except DomainError:
        return False


@pytest.mark.parametrize("state", list(EXPECTED))
def test_the_parent_unit_plays_the_office_for_its_sub_tasks(hierarchy, county_task, state):
    w = hierarchy
    sub = _sub_in(w, county_task, state)
    assert sub.state == state
    for key, call in CALLS.items():
        allowed = EXPECTED[state].get(key, set())
        for name in PEOPLE:
            user = getattr(w, name)
            fresh = Assignment.objects.select_related("letter").get(pk=sub.pk)
            offered = steps.step("assignment", key) in steps.allowed(user, fresh)
            accepted = _accepted(call, w, fresh, user)
            assert accepted == (name in allowed), (state, key, name)
            assert offered == accepted, (state, key, name)


def test_extensions_of_a_sub_task_are_decided_by_the_parent_unit(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    services.assignment_claim(actor=w.liaison_town_a1, assignment=sub.pk)
    ext = services.extension_request(
        actor=w.liaison_town_a1, assignment=sub.pk, requested_deadline=SOON + dt.timedelta(days=5), reason="工期长"
    )
    services.extension_sign(actor=w.leader_town_a1, extension=ext.pk)
    for key, call in EXTENSION_CALLS.items():
        for name in PEOPLE:
            fresh = ExtensionRequest.objects.select_related("assignment__letter").get(pk=ext.pk)
            accepted = _accepted(call, fresh, getattr(w, name))
            assert accepted == (name in BOTH), (key, name)
            assert (steps.step("extension", key) in steps.allowed(getattr(w, name), fresh)) == accepted


def test_reassign_stays_below_the_unit_that_handed_it_down(hierarchy, county_task):
    w = hierarchy
    sub = _sub_in(w, county_task, "returned")
    from supervision.selectors.hand_down import sub_task_reassign_targets
    from supervision.services import InvalidInput

    assert [u.pk for u in sub_task_reassign_targets(sub)] == [w.town_a2.pk]
    for elsewhere in (w.town_b1, w.unit_c, w.village_a1):
        with pytest.raises(InvalidInput, match="directly below 甲县"):
            services.assignment_reassign(actor=w.liaison_a, assignment=sub.pk, unit=elsewhere)
    new = services.assignment_reassign(actor=w.liaison_a, assignment=sub.pk, unit=w.town_a2)
    new = Assignment.objects.get(pk=new.pk)
    assert (new.parent_id, new.depth, new.measures, new.deadline) == (county_task.pk, 1, sub.measures, sub.deadline)
    assert list(new.ancestors.values_list("unit_id", "distance")) == [(w.unit_a.pk, 1)]
    # The township that returned it no longer holds it: it could be given back to it later.
    assert [u.pk for u in sub_task_reassign_targets(new)] == [w.town_a1.pk]
