"""Assignment.has_sub_tasks: set when a task first hands something down, never unset. A task that
never handed anything down reports its completion without asking about sub-tasks; one that did is
still held back by each open part, whatever became of the others (reassigned, written off)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import services
from supervision.models import Assignment, AssignmentState
from supervision.services import InvalidTransition
from tests.hand_down.conftest import break_down, finish_below

S = AssignmentState


# A read filtered on a given parent: a count or a check of a task's sub-tasks (the lock reads the
# task itself by its id, and its own parent by a join on the parent column, not a value).
_BY_PARENT = re.compile(r'"parent_id" = \d')


def _asks_about_sub_tasks(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT") and _BY_PARENT.search(q["sql"])]


def test_a_task_never_handed_down_submits_completion_without_asking_about_sub_tasks(hierarchy, county_task):
    w = hierarchy
    services.assignment_start(actor=w.liaison_a, assignment=county_task.pk)
    assert not Assignment.objects.get(pk=county_task.pk).has_sub_tasks
    with CaptureQueriesContext(connection) as ctx:
        services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task.pk, text="已完成整改")
    assert _asks_about_sub_tasks(ctx.captured_queries) == []
    assert Assignment.objects.get(pk=county_task.pk).state == S.COMPLETION_REQUESTED


def test_a_task_with_an_open_sub_task_is_still_refused(hierarchy, county_task):
    w = hierarchy
    first, second = break_down(w, county_task, "town_a1", "town_a2")
    assert Assignment.objects.get(pk=county_task.pk).has_sub_tasks
    finish_below(w, first, "town_a1")
    with CaptureQueriesContext(connection) as ctx, pytest.raises(InvalidTransition, match="1 sub-task handed down"):
        services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task.pk, text="已完成整改")
    assert _asks_about_sub_tasks(ctx.captured_queries)
    assert Assignment.objects.get(pk=county_task.pk).state == S.IN_PROGRESS
    # The last part written off, the same task reports its completion (the flag stays set).
    finish_below(w, second, "town_a2")
    services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task.pk, text="已完成整改")
    parent = Assignment.objects.get(pk=county_task.pk)
    assert parent.state == S.COMPLETION_REQUESTED and parent.has_sub_tasks


def test_a_reassigned_sub_task_still_holds_the_parent_back_through_its_replacement(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    services.assignment_request_return(actor=w.liaison_town_a1, assignment=sub.pk, reason="不属本镇")
    services.assignment_approve_return(actor=w.leader_town_a1, assignment=sub.pk)
    services.assignment_reassign(actor=w.liaison_a, assignment=sub.pk, unit=w.town_a2)
    assert Assignment.objects.get(pk=sub.pk).state == S.REASSIGNED
    with pytest.raises(InvalidTransition, match="1 sub-task handed down is still open"):
        services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task.pk, text="已完成整改")
    replacement = Assignment.objects.get(parent=county_task, unit=w.town_a2)
    finish_below(w, replacement, "town_a2")
    # The reassigned one no longer counts: the replacement written off, the task may report.
    services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task.pk, text="已完成整改")
    assert Assignment.objects.get(pk=county_task.pk).state == S.COMPLETION_REQUESTED


def test_forwarding_sets_the_flag_and_only_on_the_task_handed_down(hierarchy, county_task):
    w = hierarchy
    sub = services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=w.town_a1.pk)
    assert Assignment.objects.get(pk=county_task.pk).has_sub_tasks
    assert not Assignment.objects.get(pk=sub.pk).has_sub_tasks
    other = Assignment.objects.get(letter_id=county_task.letter_id, unit=w.unit_b)
    assert not other.has_sub_tasks
    with pytest.raises(InvalidTransition, match="still open"):
        services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task.pk, text="已完成整改")
