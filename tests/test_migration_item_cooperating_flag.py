"""Migration 0020: the items issued with a cooperating unit's task (or naming one on a draft)
before Item.has_cooperating existed get the flag; no other item does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from supervision.models import Item
from tests.factories import draft_letter, sign_and_issue

BEFORE = ("supervision", "0019_sub_task_flag")
AFTER = ("supervision", "0020_item_cooperating_flag")


@pytest.mark.django_db(transaction=True)
def test_items_with_cooperating_units_get_the_flag_and_no_other(world):
    w = world
    issued = draft_letter(
        w, units=[w.unit_a, w.unit_b, w.unit_c], items=[(w.unit_a, [w.unit_b]), (w.unit_a, []), (None, [])]
    )
    sign_and_issue(w, issued)
    draft = draft_letter(w, units=[w.unit_a, w.unit_b], items=[(w.unit_b, [w.unit_a]), (w.unit_b, [])])
    expected = {
        issued.items.get(seq=1).pk,  # issued with B cooperating
        draft.items.get(seq=1).pk,  # names A cooperating, not issued yet
    }

    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])  # the column goes, as before 0020
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    try:
        assert set(Item.objects.filter(has_cooperating=True).values_list("pk", flat=True)) == expected
        assert Item.objects.filter(has_cooperating=False).count() == 3
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("supervision"))
