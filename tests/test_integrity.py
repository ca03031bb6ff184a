"""``manage.py check_integrity``: a world worked through the services passes; each kind of damage
an auditor looks for, made behind the services' back, is reported and fails the command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from supervision import clock, services
from supervision.models import Assignment, AuditEvent, Evidence, Item, Letter, LetterNumberCounter
from tests.conftest import issue_letter
from tests.factories import draft_letter, sign_and_issue
from tests.helpers import write_off
from tests.web_hand_down.scene import broken_down, claimed_task


def run() -> tuple[bool, str]:
    """(passed, output) of the command."""
    out = StringIO()
    try:
        call_command("check_integrity", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


@pytest.fixture
def busy(world):
    """Two letters worked through most transitions, with evidence, an extension and a reassignment."""
    first = issue_letter(world, items=2, units=[world.unit_a, world.unit_b])
    a1, a2 = Assignment.objects.filter(letter=first, unit=world.unit_a).order_by("item__seq")
    b1, _b2 = Assignment.objects.filter(letter=first, unit=world.unit_b).order_by("item__seq")
    write_off(world, a1, world.liaison_a, world.leader_a)
    services.assignment_claim(actor=world.liaison_a, assignment=a2.pk)
    services.assignment_report_progress(
        actor=world.liaison_a,
        assignment=a2.pk,
        text="已完成排查",
        files=[SimpleUploadedFile("现场.pdf", b"%PDF-1.4 evidence", "application/pdf")],
    )
    services.assignment_report_progress(actor=world.liaison_a, assignment=a2.pk, text="已完成排查，正在整改")
    ext = services.extension_request(
        actor=world.liaison_a, assignment=a2.pk, requested_deadline=a2.deadline + dt.timedelta(days=20), reason="工期"
    )
    services.extension_sign(actor=world.leader_a, extension=ext.pk)
    services.extension_approve(actor=world.director, extension=ext.pk)
    services.assignment_request_return(actor=world.liaison_b, assignment=b1.pk, reason="不属于本单位")
    services.assignment_approve_return(actor=world.leader_b, assignment=b1.pk)
    services.assignment_reassign(actor=world.clerk, assignment=b1.pk, unit=world.unit_c, comment="改派")
    second = issue_letter(world, items=1, units=[world.unit_c])
    services.letter_withdraw(actor=world.clerk, letter=second, reason="误发")
    return {"letter": first, "closed": a1, "working": a2, "second": second}


def test_a_world_worked_through_the_services_passes(busy):
    passed, out = run()
    assert passed, out
    assert "Integrity OK" in out


def test_a_state_changed_without_an_audit_row_is_reported(busy):
    a = busy["working"]
    Assignment.objects.filter(pk=a.pk).update(state="verified")
    passed, out = run()
    assert not passed
    assert f"[audit_current] assignment {a.pk} is verified but its last audit row" in out


def test_a_change_recorded_twice_is_reported(busy, world):
    a = busy["working"]
    last = AuditEvent.objects.filter(assignment=a).exclude(to_state="").latest("id")
    # The same transition's audit row once more: the chain and the count both notice.
    AuditEvent.objects.create(
        at=clock.now(),
        actor=world.liaison_a,
        action="assignment.reported",
        assignment=a,
        letter_id=a.letter_id,
        from_state=last.to_state,
        to_state=last.to_state,
    )
    passed, out = run()
    assert not passed
    assert f"[audit_count] assignment {a.pk} changed" in out


def test_a_change_without_its_audit_row_is_reported(busy):
    a = busy["working"]
    # A transition that bumped the version but left no trace.
    Assignment.objects.filter(pk=a.pk).update(state="completion_requested", version=a.version + 5)
    passed, out = run()
    assert not passed
    assert "[audit_count]" in out and "[audit_current]" in out


def test_a_broken_chain_is_reported(busy, world):
    a = busy["working"]
    AuditEvent.objects.create(
        at=clock.now(),
        action="assignment.verified",
        assignment=a,
        from_state="awaiting_verification",
        to_state="verified",
    )
    passed, out = run()
    assert not passed
    assert "starts from awaiting_verification but the previous row ended in in_progress" in out


def test_a_gap_in_the_letter_numbers_is_reported(busy):
    letter = busy["second"]
    number = letter.number.replace(f"〕{letter.serial}号", "〕5号")
    Letter.objects.filter(pk=letter.pk).update(serial=5, number=number)
    passed, out = run()
    assert not passed
    assert "[letter_numbers]" in out and "a gap in the numbers" in out
    assert "[letter_counter]" in out and "the counter stands at 2, the highest number is 5" in out


def test_a_counter_behind_its_numbers_is_reported(busy):
    LetterNumberCounter.objects.update(last_number=1)
    passed, out = run()
    assert not passed
    assert "the counter stands at 1, the highest number is 2" in out


def test_a_misprinted_number_is_reported(busy):
    Letter.objects.filter(pk=busy["letter"].pk).update(number="测巩办督〔2024〕01号")
    passed, out = run()
    assert not passed
    assert "[letter_number_text]" in out


def test_a_draft_with_assignments_is_reported(busy):
    Letter.objects.filter(pk=busy["letter"].pk).update(state="draft")
    passed, out = run()
    assert not passed
    assert f"[draft_assignments] letter {busy['letter'].pk} is draft" in out


def test_a_closed_letter_with_open_assignments_is_reported(busy):
    Letter.objects.filter(pk=busy["letter"].pk).update(state="closed")
    passed, out = run()
    assert not passed
    assert f"[closed_letter] letter {busy['letter'].pk} is closed but" in out


def test_missing_and_damaged_files_are_reported(busy):
    evidence = Evidence.objects.get()
    name = evidence.file.name
    with default_storage.open(name, "rb") as f:
        good = f.read()
    # Damaged: same size, other bytes.
    default_storage.delete(name)
    default_storage.save(name, SimpleUploadedFile("x", bytes(len(good))))
    passed, out = run()
    assert not passed and f"[file_hash] evidence {evidence.pk}" in out
    # Wrong size on record.
    Evidence.objects.filter(pk=evidence.pk).update(size=evidence.size + 1)
    passed, out = run()
    assert not passed and f"[file_size] evidence {evidence.pk}" in out
    # Gone.
    default_storage.delete(name)
    passed, out = run()
    assert not passed and f"[file_missing] evidence {evidence.pk}" in out


def test_a_task_or_item_whose_flag_hides_its_sub_tasks_or_cooperating_units_is_reported(hierarchy):
    # The transitions read these flags instead of counting rows: one left off would let a
    # completion past open sub-tasks, or a write-off leave cooperating tasks open.
    w = hierarchy
    parent = claimed_task(w)
    broken_down(w, parent, [w.town_a1, w.town_a2])
    letter = draft_letter(w, units=[w.unit_a, w.unit_b], items=[(w.unit_a, [w.unit_b])])
    sign_and_issue(w, letter)
    item = Assignment.objects.get(letter=letter, unit=w.unit_a).item
    assert run()[0]
    Assignment.objects.filter(pk=parent.pk).update(has_sub_tasks=False)
    Item.objects.filter(pk=item.pk).update(has_cooperating=False)
    passed, out = run()
    assert not passed
    assert f"[sub_task_flag] assignment {parent.pk} has sub-tasks" in out
    assert f"[cooperating_flag] item {item.pk} has a cooperating unit's task" in out
