"""A cooperating unit's task (配合单位) is never handed down: its part follows its lead and is
closed with the lead's write-off, which would leave a township's sub-task open under it. The
buttons are not offered, the services refuse; and a sub-task handed down before that rule (old
data) closes with its parent when the lead is written off, audited, instead of staying open
under a closed task and a closed letter."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from supervision import services
from supervision.models import Assignment, AssignmentState, AuditEvent, Letter, LetterState, UnitRole
from supervision.services import InvalidTransition, SubTaskPart, steps
from tests.factories import draft_letter, sign_and_issue, write_off
from tests.hand_down.conftest import SOON

S = AssignmentState


@pytest.fixture
def coop(hierarchy) -> SimpleNamespace:
    """One item led by county A (甲县) with county B (乙县) cooperating; B's liaison has claimed
    B's task."""
    w = hierarchy
    letter = draft_letter(w, units=[w.unit_a, w.unit_b], items=[(w.unit_a, [w.unit_b])])
    sign_and_issue(w, letter)
    lead = Assignment.objects.get(letter=letter, unit=w.unit_a)
    b = Assignment.objects.get(letter=letter, unit=w.unit_b)
    assert b.role == UnitRole.COOPERATING
    services.assignment_claim(actor=w.liaison_b, assignment=b.pk)
    return SimpleNamespace(letter=letter, lead=lead, b=b)


def _offered(user, a: Assignment) -> set[str]:
    a = Assignment.objects.select_related("letter", "unit", "item", "parent").get(pk=a.pk)
    return {s.key for s in steps.allowed(user, a)}


def test_a_cooperating_task_is_neither_broken_down_nor_forwarded(hierarchy, coop):
    w = hierarchy
    assert not {"break_down", "forward"} & _offered(w.liaison_b, coop.b)
    with pytest.raises(InvalidTransition, match="cooperating unit's part follows its lead"):
        services.assignment_forward(actor=w.liaison_b, assignment=coop.b.pk, unit_id=w.town_b1.pk)
    with pytest.raises(InvalidTransition, match="cooperating unit's part follows its lead"):
        services.assignment_break_down(
            actor=w.liaison_b, assignment=coop.b.pk, parts=[SubTaskPart(w.town_b1.pk, SOON, "配合排查")]
        )
    assert not Assignment.objects.filter(parent=coop.b).exists()
    # The lead's own task is still handed down as before.
    services.assignment_claim(actor=w.liaison_a, assignment=coop.lead.pk)
    assert {"break_down", "forward"} <= _offered(w.liaison_a, coop.lead)
    services.assignment_forward(actor=w.liaison_a, assignment=coop.lead.pk, unit_id=w.town_a1.pk)


def test_a_sub_task_of_a_cooperating_task_closes_with_the_lead(hierarchy, coop):
    """Old data: B's task was forwarded to 南镇 before cooperating tasks were kept whole. The
    lead's write-off closes B's task, 南镇's sub-task with it, and the letter is done."""
    w = hierarchy
    Assignment.objects.filter(pk=coop.b.pk).update(role=UnitRole.LEAD)  # as if handed down earlier
    sub = services.assignment_forward(actor=w.liaison_b, assignment=coop.b.pk, unit_id=w.town_b1.pk)
    Assignment.objects.filter(pk=coop.b.pk).update(role=UnitRole.COOPERATING)

    write_off(w, coop.lead, w.liaison_a, w.leader_a)

    assert Assignment.objects.get(pk=coop.b.pk).state == S.CLOSED
    sub = Assignment.objects.get(pk=sub.pk)
    assert sub.state == S.CLOSED and sub.closed_at is not None
    event = AuditEvent.objects.get(assignment=sub, action="assignment.closed_with_lead")
    assert event.actor == w.director and (event.from_state, event.to_state) == (S.ISSUED, S.CLOSED)
    assert event.data["parent"] == coop.b.pk
    assert Letter.objects.get(pk=coop.letter.pk).state == LetterState.CLOSED
