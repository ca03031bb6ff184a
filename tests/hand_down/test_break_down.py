"""分解 and 转办 through the services: what a hand-down creates, and each refusal leaving nothing
behind."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision import clock, services
from supervision.models import (
    Assignment,
    AssignmentAncestor,
    AssignmentState,
    AuditEvent,
    Notification,
    Unit,
    UnitKind,
)
from supervision.services import InvalidInput, InvalidTransition, NotAllowed, SubTaskPart
from supervision.services.hand_down import MAX_PARTS
from tests.hand_down.conftest import SOON, break_down
from tests.helpers import snapshot

S = AssignmentState


def _snapshot() -> dict:
    return {**snapshot(), "ancestors": AssignmentAncestor.objects.count()}


def test_break_down_creates_a_sub_task_per_unit_below(hierarchy, county_task):
    w = hierarchy
    first, second = break_down(w, county_task, "town_a1", "town_a2")
    parent = Assignment.objects.get(pk=county_task.pk)
    # The parent is under way once handed down.
    assert parent.state == S.IN_PROGRESS and parent.version == county_task.version + 1
    for sub, unit in ((first, w.town_a1), (second, w.town_a2)):
        sub = Assignment.objects.get(pk=sub.pk)
        assert (sub.parent_id, sub.unit_id, sub.depth, sub.state) == (parent.pk, unit.pk, 1, S.ISSUED)
        assert (sub.letter_id, sub.item_id, sub.role, sub.handed_down_as) == (
            parent.letter_id,
            parent.item_id,
            "lead",
            "breakdown",
        )
        assert sub.deadline == SOON and sub.measures.endswith("排查整改本辖区问题") and sub.claimed_by_id is None
        assert list(AssignmentAncestor.objects.filter(assignment=sub).values_list("unit_id", "distance")) == [
            (w.unit_a.pk, 1)
        ]
    # One row on the parent naming the parts, one on each sub-task.
    row = AuditEvent.objects.get(assignment=parent, action="assignment.broken_down")
    assert (row.actor_id, row.actor_role, row.actor_unit_id) == (w.liaison_a.pk, "liaison", w.unit_a.pk)
    assert (row.from_state, row.to_state) == (S.ACCEPTED, S.IN_PROGRESS)
    assert [p["unit"] for p in row.data["parts"]] == [w.town_a1.pk, w.town_a2.pk]
    assert AuditEvent.objects.filter(action="assignment.handed_down", assignment__parent=parent).count() == 2
    # The townships' liaisons and leaders are told, each of their own sub-task.
    told = Notification.objects.filter(verb="assignment_handed_down")
    assert {(n.recipient_id, n.assignment_id) for n in told} == {
        (w.liaison_town_a1.pk, first.pk),
        (w.leader_town_a1.pk, first.pk),
        (w.liaison_town_a2.pk, second.pk),
        (w.leader_town_a2.pk, second.pk),
    }
    assert "甲县" in told[0].text


def test_a_township_breaks_its_part_down_to_a_village_with_both_units_above(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    services.assignment_claim(actor=w.liaison_town_a1, assignment=sub.pk)
    (village,) = services.assignment_break_down(
        actor=w.liaison_town_a1, assignment=sub.pk, parts=[SubTaskPart(w.village_a1.pk, SOON, "入户核查")]
    )
    assert village.depth == 2
    assert sorted(AssignmentAncestor.objects.filter(assignment=village).values_list("unit_id", "distance")) == sorted(
        [(w.town_a1.pk, 1), (w.unit_a.pk, 2)]
    )


def test_forward_hands_the_whole_task_down_with_its_deadline(hierarchy, county_task):
    w = hierarchy
    sub = services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=w.town_a2.pk)
    sub = Assignment.objects.get(pk=sub.pk)
    assert (sub.handed_down_as, sub.measures, sub.deadline) == ("forward", "", county_task.deadline)
    assert sub.own_measures == county_task.item.measures
    assert AuditEvent.objects.filter(assignment=county_task, action="assignment.forwarded").count() == 1
    # Forwarded whole: neither broken down nor forwarded again.
    for call in (
        lambda: break_down(w, county_task, "town_a1"),
        lambda: services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=w.town_a1.pk),
    ):
        before = _snapshot()
        with pytest.raises(InvalidTransition):
            call()
        assert _snapshot() == before


def test_a_task_broken_down_takes_more_parts_but_is_not_forwarded(hierarchy, county_task):
    w = hierarchy
    break_down(w, county_task, "town_a1")
    break_down(w, county_task, "town_a2")
    with pytest.raises(InvalidTransition, match="forwarded whole"):
        services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=w.town_a2.pk)
    assert Assignment.objects.filter(parent=county_task).count() == 2


def _part(unit: Unit, deadline: dt.date = SOON, measures: str = "入户排查") -> SubTaskPart:
    return SubTaskPart(unit.pk, deadline, measures)


@pytest.mark.parametrize(
    ("name", "parts", "message"),
    [
        ("none", lambda w: [], "at least one unit"),
        ("not below", lambda w: [_part(w.town_b1)], "南镇 is not directly below 甲县"),
        ("two levels below", lambda w: [_part(w.village_a1)], "is not directly below"),
        ("no such unit", lambda w: [SubTaskPart(999999, SOON, "x")], "Row 1: choose a unit"),
        ("twice", lambda w: [_part(w.town_a1), _part(w.town_a1)], "东镇 is named more than once"),
        (
            "after the parent",
            lambda w: [_part(w.town_a1, deadline=dt.date.today() + dt.timedelta(days=400))],
            "after this task's own deadline",
        ),
        ("past", lambda w: [_part(w.town_a1, deadline=dt.date.today() - dt.timedelta(days=1))], "already passed"),
        ("no measures", lambda w: [_part(w.town_a1, measures="  ")], "write the measures"),
        ("no deadline", lambda w: [SubTaskPart(w.town_a1.pk, None, "x")], "give a deadline"),  # type: ignore[arg-type]
        ("too many", lambda w: [_part(w.town_a1)] * (MAX_PARTS + 1), "At most 200 parts"),
    ],
)
def test_bad_parts_are_refused_naming_the_unit_and_change_nothing(hierarchy, county_task, name, parts, message):
    w = hierarchy
    before = _snapshot()
    with pytest.raises(InvalidInput, match=message):
        services.assignment_break_down(actor=w.liaison_a, assignment=county_task.pk, parts=parts(w))
    assert _snapshot() == before


def test_every_problem_is_named_at_once(hierarchy, county_task):
    w = hierarchy
    Unit.objects.filter(pk=w.town_a2.pk).update(is_active=False)
    with pytest.raises(InvalidInput) as refused:
        services.assignment_break_down(
            actor=w.liaison_a, assignment=county_task.pk, parts=[_part(w.town_a1, measures=""), _part(w.town_a2)]
        )
    assert "东镇" in str(refused.value) and "西乡 is no longer active" in str(refused.value)


def test_a_unit_already_holding_a_part_is_refused(hierarchy, county_task):
    w = hierarchy
    break_down(w, county_task, "town_a1")
    before = _snapshot()
    with pytest.raises(InvalidInput, match="already holds a part"):
        break_down(w, county_task, "town_a1")
    assert _snapshot() == before


@pytest.mark.parametrize("who", ["leader_a", "liaison_town_a1", "liaison_b", "clerk", "director"])
def test_only_the_claimer_hands_down(hierarchy, county_task, who):
    before = _snapshot()
    with pytest.raises(NotAllowed):
        services.assignment_break_down(
            actor=getattr(hierarchy, who), assignment=county_task.pk, parts=[_part(hierarchy.town_a1)]
        )
    assert _snapshot() == before


def test_an_unclaimed_or_completed_task_is_not_handed_down(hierarchy, county_task):
    w = hierarchy
    services.assignment_start(actor=w.liaison_a, assignment=county_task.pk)
    services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task.pk, text="已完成")
    before = _snapshot()
    with pytest.raises(InvalidTransition, match="Completion awaiting leader sign-off"):
        break_down(w, county_task, "town_a1")
    assert _snapshot() == before
    other = Assignment.objects.get(letter=county_task.letter, unit=w.unit_b)
    with pytest.raises(InvalidTransition, match="Issued"):
        services.assignment_forward(actor=w.liaison_b, assignment=other.pk, unit_id=w.town_b1.pk)


def test_a_unit_with_nobody_below_cannot_hand_down(hierarchy):
    w = hierarchy
    from tests.factories import issue_letter

    letter = issue_letter(w, items=1, units=[w.unit_c])
    task = services.assignment_claim(actor=w.liaison_c, assignment=Assignment.objects.get(letter=letter))
    with pytest.raises(InvalidTransition, match="no active unit below"):
        services.assignment_forward(actor=w.liaison_c, assignment=task.pk, unit_id=w.town_a1.pk)


def test_depth_limit(hierarchy, county_task, settings):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    services.assignment_claim(actor=w.liaison_town_a1, assignment=sub.pk)
    # Three levels (office, county, township): the township's part goes no further.
    settings.HIERARCHY_LEVELS = 3
    before = _snapshot()
    with pytest.raises(InvalidTransition, match="lowest level"):
        services.assignment_forward(actor=w.liaison_town_a1, assignment=sub.pk, unit_id=w.village_a1.pk)
    assert _snapshot() == before
    # Four (the default): down to the village, and no further even with a unit below it.
    settings.HIERARCHY_LEVELS = 4
    village = services.assignment_forward(actor=w.liaison_town_a1, assignment=sub.pk, unit_id=w.village_a1.pk)
    hamlet = Unit.objects.create(name="东村一组", kind=UnitKind.TOWNSHIP, peer_group="township", parent=w.village_a1)
    services.assignment_claim(actor=w.liaison_village_a1, assignment=village.pk)
    with pytest.raises(InvalidTransition, match="lowest level"):
        services.assignment_forward(actor=w.liaison_village_a1, assignment=village.pk, unit_id=hamlet.pk)


def test_fifty_parts_in_a_fixed_number_of_statements(hierarchy, county_task, django_assert_max_num_queries):
    w = hierarchy
    units = Unit.objects.bulk_create(
        [Unit(name=f"甲县第{n}镇", kind=UnitKind.TOWNSHIP, peer_group="township", parent=w.unit_a) for n in range(50)]
    )
    parts = [SubTaskPart(u.pk, SOON, "排查") for u in units]
    started = clock.now()
    with django_assert_max_num_queries(25):
        subs = services.assignment_break_down(actor=w.liaison_a, assignment=county_task.pk, parts=parts)
    assert len(subs) == 50 and (clock.now() - started).total_seconds() < 2
    assert AuditEvent.objects.filter(action="assignment.handed_down").count() == 50
