"""check_integrity over a tree handed down and rolled up: the audit trail and every task's version
agree (a sub-task is born issued, as a letter's tasks are; each transition after bumps once)."""

from __future__ import annotations

from supervision import integrity, services
from tests.hand_down.conftest import break_down, finish_below


def test_a_tree_handed_down_forwarded_and_rolled_up_passes_every_check(hierarchy, county_task):
    w = hierarchy
    first = break_down(w, county_task, "town_a1")
    # Broken down again while in progress: another part.
    second = break_down(w, county_task, "town_a2")
    # The township forwards its part to the village below it.
    services.assignment_claim(actor=w.liaison_town_a1, assignment=first[0].pk)
    services.assignment_forward(actor=w.liaison_town_a1, assignment=first[0].pk, unit_id=w.village_a1.pk)
    assert list(integrity.check_all(files=False)) == []
    finish_below(w, second[0], "town_a2")
    assert list(integrity.check_all(files=False)) == []
