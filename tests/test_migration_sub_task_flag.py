"""Migration 0019: the tasks that handed something down before Assignment.has_sub_tasks existed
get the flag, whatever became of their sub-tasks since; no other task does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from supervision import services
from supervision.models import Assignment, AssignmentState
from tests.factories import build_hierarchy, issue_letter
from tests.hand_down.conftest import break_down

BEFORE = ("supervision", "0018_list_order_indexes")
AFTER = ("supervision", "0019_sub_task_flag")


@pytest.mark.django_db(transaction=True)
def test_tasks_that_handed_down_get_the_flag_and_no_other(world):
    w = build_hierarchy(world)
    letter = issue_letter(w, items=2)
    first, second = Assignment.objects.filter(letter=letter, unit=w.unit_a).order_by("pk")
    broken = services.assignment_claim(actor=w.liaison_a, assignment=first)
    (sub,) = break_down(w, broken, "town_a1")
    # The other task's only part went back up and on to another township: reassigned, it no
    # longer counts, but its replacement does and the task did hand down.
    moved = services.assignment_claim(actor=w.liaison_a, assignment=second)
    (gone,) = break_down(w, moved, "town_a1")
    services.assignment_request_return(actor=w.liaison_town_a1, assignment=gone.pk, reason="不属本镇")
    services.assignment_approve_return(actor=w.leader_town_a1, assignment=gone.pk)
    services.assignment_reassign(actor=w.liaison_a, assignment=gone.pk, unit=w.town_a2)
    assert Assignment.objects.get(pk=gone.pk).state == AssignmentState.REASSIGNED
    parents = {broken.pk, moved.pk}

    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])  # the column goes, as before 0019
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    try:
        assert set(Assignment.objects.filter(has_sub_tasks=True).values_list("pk", flat=True)) == parents
        assert Assignment.objects.filter(has_sub_tasks=False).count() == Assignment.objects.count() - 2
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("supervision"))
