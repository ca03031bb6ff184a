"""Withdrawing a letter is one bulk transition of its assignments: each row is judged by the state
machine, one audit row per assignment, and a single refusal refuses the whole withdrawal."""

from __future__ import annotations

import pytest

from supervision import services
from supervision.models import Assignment, AuditEvent, Letter
from supervision.services import InvalidTransition
from tests.helpers import draft_letter, sign_and_issue, snapshot


def _letter(pk: int) -> Letter:
    return Letter.objects.get(pk=pk)


def test_withdrawal_audits_each_assignment_from_issued_to_withdrawn(world):
    letter = sign_and_issue(world, draft_letter(world))
    versions = dict(letter.assignments.values_list("pk", "version"))
    since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    services.letter_withdraw(actor=world.clerk, letter=letter, reason="发文对象有误")
    rows = AuditEvent.objects.filter(pk__gt=since, action="assignment.withdrawn")
    # One row per assignment, none twice, each saying where it went from and to, and who did it.
    assert sorted(rows.values_list("assignment_id", flat=True)) == sorted(versions)
    for row in rows:
        assert (row.from_state, row.to_state) == ("issued", "withdrawn")
        assert (row.actor_id, row.actor_role, row.actor_unit_id) == (world.clerk.pk, "clerk", letter.office_id)
        assert row.letter_id == letter.pk
    # Each assignment's version moved once, with its one audit row.
    after = dict(Assignment.objects.filter(letter=letter).values_list("pk", "version"))
    assert after == {pk: v + 1 for pk, v in versions.items()}


def test_the_state_machine_decides_the_withdrawal_of_every_assignment(world, monkeypatch):
    letter = sign_and_issue(world, draft_letter(world))
    # A rule the state machine holds for one assignment only (as a guard added to
    # Assignment.withdraw would): that one row refuses, so the whole withdrawal is refused.
    (withdraw,) = Assignment.withdraw.get_transitions()
    monkeypatch.setattr(withdraw, "conditions", [lambda a: a.unit_id != world.unit_b.pk])
    before = snapshot()
    with pytest.raises(InvalidTransition, match="1 of its assignments"):
        services.letter_withdraw(actor=world.clerk, letter=letter, reason="发文对象有误")
    assert snapshot() == before
    assert _letter(letter.pk).state == "issued"


def test_a_returned_item_refuses_the_whole_withdrawal(world):
    letter = sign_and_issue(world, draft_letter(world, units=[world.unit_a, world.unit_b]))
    services.assignment_request_return(
        actor=world.liaison_a, assignment=letter.assignments.get(unit=world.unit_a), reason="不属于本县"
    )
    before = snapshot()
    with pytest.raises(InvalidTransition, match="already claimed or returned"):
        services.letter_withdraw(actor=world.clerk, letter=letter, reason="发文对象有误")
    # Nothing moved: not the letter, not the other unit's untouched assignment, no audit row.
    assert snapshot() == before
