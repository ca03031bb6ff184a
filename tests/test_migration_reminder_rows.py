"""Migration 0015: a draft reminder that listed one row per overdue unit becomes one item per
overdue item naming those units, with an audit row per merge; a reminder already sent for
signature is left as it was sent."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from supervision.models import Assignment, AuditEvent, Item, ItemUnit, LetterKind
from tests.conftest import issue_letter

BEFORE = ("supervision", "0014_issued_documents_problems_onboarding")


def _old_reminder(apps, letter, office_id, drafter_id, state: str, assignments: list[Assignment]) -> int:
    """A reminder as the code before 0015 wrote it: one item per chased assignment."""
    Letter = apps.get_model("supervision", "Letter")
    OldItem = apps.get_model("supervision", "Item")
    OldItemUnit = apps.get_model("supervision", "ItemUnit")
    reminder = Letter.objects.create(
        kind=LetterKind.REMINDER,
        office_id=office_id,
        prefix_id=letter.prefix_id,
        title="催办",
        drafter_id=drafter_id,
        parent_id=letter.pk,
        state=state,
    )
    for seq, a in enumerate(assignments, start=1):
        item = OldItem.objects.create(
            letter=reminder,
            seq=seq,
            category=a.item.category,
            source=a.item.source,
            description=a.item.description,
            deadline=a.deadline,
            chased_assignment_id=a.pk,
        )
        OldItemUnit.objects.create(item=item, unit_id=a.unit_id, role="lead")
    return reminder.pk


@pytest.mark.django_db(transaction=True)
def test_draft_reminders_merge_with_an_audit_row_and_sent_ones_stay(world):
    letter = issue_letter(world, items=1, units=[world.unit_a, world.unit_b])
    late = list(Assignment.objects.filter(letter=letter).select_related("item").order_by("unit_id"))
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        apps = executor.loader.project_state([BEFORE]).apps
        draft = _old_reminder(apps, letter, world.office.pk, world.clerk.pk, "draft", late)
        sent = _old_reminder(apps, letter, world.office.pk, world.clerk.pk, "pending_signature", late)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("supervision"))

    [item] = Item.objects.filter(letter_id=draft)
    assert item.chased_item_id == late[0].item_id
    assert sorted(ItemUnit.objects.filter(item=item).values_list("unit_id", "role")) == [
        (world.unit_a.pk, "lead"),
        (world.unit_b.pk, "lead"),
    ]
    merged = AuditEvent.objects.get(letter_id=draft, action="item.edited")
    assert merged.data["item"] == item.pk
    # Sent for signature: the director signs what was sent, two rows naming the chased item.
    kept = list(Item.objects.filter(letter_id=sent).order_by("seq").values_list("seq", "chased_item_id"))
    assert kept == [(1, late[0].item_id), (2, late[1].item_id)]
    assert not AuditEvent.objects.filter(letter_id=sent, action="item.edited").exists()
