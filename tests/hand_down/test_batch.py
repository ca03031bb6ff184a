"""Batch actions down the tree: the unit above verifies and writes off its sub-tasks in one go,
as the office does its own tasks; a township with nobody below is not offered them."""

from __future__ import annotations

from supervision import services
from supervision.selectors import batches as rows_of
from supervision.services import batches, steps
from tests.hand_down.conftest import break_down


def _submitted(w, subs, codes) -> None:
    for sub, code in zip(subs, codes, strict=True):
        liaison, leader = getattr(w, f"liaison_{code}"), getattr(w, f"leader_{code}")
        services.assignment_claim(actor=liaison, assignment=sub.pk)
        services.assignment_start(actor=liaison, assignment=sub.pk)
        services.assignment_submit_completion(actor=liaison, assignment=sub.pk, text="已完成")
        services.assignment_approve_completion(actor=leader, assignment=sub.pk)


def test_the_county_verifies_and_writes_off_its_sub_tasks_in_a_batch(hierarchy, county_task):
    w = hierarchy
    subs = break_down(w, county_task, "town_a1", "town_a2")
    _submitted(w, subs, ["town_a1", "town_a2"])
    offered = {b.step.key for b in batches.batch_steps_for(w.liaison_a, "assignment")}
    assert "verify" in offered
    rows = rows_of.assignments_chosen(w.liaison_a, [s.pk for s in subs])
    assert batches.preview(actor=w.liaison_a, step=steps.VERIFY, objects=rows) == [None, None]
    done = batches.assignments_batch(actor=w.liaison_a, step=steps.VERIFY, ids=[s.pk for s in subs])
    assert sorted(done.done) == sorted(s.pk for s in subs) and not done.refused
    closed = batches.assignments_batch(actor=w.leader_a, step=steps.CLOSE, ids=[s.pk for s in subs])
    assert sorted(closed.done) == sorted(s.pk for s in subs)


def test_a_batch_preview_reads_no_parent_per_row(hierarchy, county_task, django_assert_max_num_queries):
    w = hierarchy
    subs = break_down(w, county_task, "town_a1", "town_a2")
    _submitted(w, subs, ["town_a1", "town_a2"])
    with django_assert_max_num_queries(6):
        rows = rows_of.assignments_chosen(w.liaison_a, [s.pk for s in subs])
        batches.preview(actor=w.liaison_a, step=steps.VERIFY, objects=rows)


def test_a_unit_with_nobody_below_is_not_offered_the_office_s_batch_steps(hierarchy):
    offered = {b.step.key for b in batches.batch_steps_for(hierarchy.liaison_town_a2, "assignment")}
    assert "verify" not in offered and "close" not in offered
