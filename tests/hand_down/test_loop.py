"""The whole loop: county A breaks its task down to its townships, each claims, reports with
evidence, completes and has its leader sign; A verifies and writes each off, rolls up, its
leader signs; the office verifies and writes A's task off."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision import services
from supervision.models import (
    Assignment,
    AssignmentState,
    AuditEvent,
    Evidence,
    Letter,
    ProgressReport,
    ReportKind,
    Unit,
    UnitKind,
)
from supervision.selectors.hand_down import roll_up_ready
from supervision.services import InvalidTransition, NotAllowed, steps
from tests.factories import make_user
from tests.hand_down.conftest import break_down

S = AssignmentState


def _photo(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, f"%PDF-1.4 {name}".encode(), content_type="application/pdf")


def test_county_three_townships_roll_up_and_the_office_writes_it_off(hierarchy, county_task):
    w = hierarchy
    third = Unit.objects.create(
        name="甲县北镇人民政府", short_name="北镇", kind=UnitKind.TOWNSHIP, peer_group="township", parent=w.unit_a
    )
    w.town_a3, w.liaison_town_a3 = third, make_user("liaison_town_a3", third, "liaison")
    w.leader_town_a3 = make_user("leader_town_a3", third, "leader")
    codes = ("town_a1", "town_a2", "town_a3")
    subs = break_down(w, county_task, *codes)
    for sub, code in zip(subs, codes, strict=True):
        liaison, leader = getattr(w, f"liaison_{code}"), getattr(w, f"leader_{code}")
        services.assignment_claim(actor=liaison, assignment=sub.pk)
        services.assignment_report_progress(
            actor=liaison, assignment=sub.pk, text=f"{code}已排查", files=[_photo(f"{code}-1.pdf")]
        )
        # Completion cannot be reported by the county while a township's part is open.
        with pytest.raises(InvalidTransition, match="still open"):
            services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task.pk, text="已完成")
        services.assignment_submit_completion(
            actor=liaison, assignment=sub.pk, text=f"{code}整改完成", files=[_photo(f"{code}-2.pdf")]
        )
        services.assignment_approve_completion(actor=leader, assignment=sub.pk)
        # The county verifies and writes off its townships' work, not the office.
        with pytest.raises(NotAllowed):
            services.assignment_verify(actor=w.inspector, assignment=sub.pk)
        services.assignment_verify(actor=w.liaison_a, assignment=sub.pk, comment="现场核验通过")
        with pytest.raises(NotAllowed):
            services.assignment_close(actor=w.director, assignment=sub.pk)
        services.assignment_close(actor=w.leader_a, assignment=sub.pk)
    parent = Assignment.objects.select_related("letter").get(pk=county_task.pk)
    assert roll_up_ready(parent)
    assert steps.ROLL_UP in steps.allowed(w.liaison_a, parent)
    # Written off below, but the letter waits for the office's own tasks.
    assert Letter.objects.get(pk=parent.letter_id).state == "issued"

    a = services.assignment_roll_up(actor=w.liaison_a, assignment=parent.pk, text="全县三个乡镇均已完成整改。")
    assert a.state == S.COMPLETION_REQUESTED and a.completed_at is not None
    report = ProgressReport.objects.get(assignment=a, kind=ReportKind.COMPLETION)
    paragraphs = report.text.split("\n\n")
    assert paragraphs[0] == "全县三个乡镇均已完成整改。"
    assert paragraphs[1:] == ["东镇: town_a1整改完成", "西乡: town_a2整改完成", "北镇: town_a3整改完成"]
    copied = list(Evidence.objects.filter(report=report).select_related("copied_from"))
    assert len(copied) == 6
    for e in copied:
        origin = e.copied_from
        assert (e.file.name, e.sha256, e.original_name) == (origin.file.name, origin.sha256, origin.original_name)
    assert len(Evidence.objects.values("file").distinct()) == 6  # the same stored files, none copied
    submitted = AuditEvent.objects.get(assignment=a, action="assignment.completion_submitted")
    assert submitted.data["rolled_up"] == [s.pk for s in subs] and submitted.data["files"] == 6

    # Four eyes as for any completion: the county's leader signs it, then the office.
    services.assignment_approve_completion(actor=w.leader_a, assignment=a.pk)
    services.assignment_verify(actor=w.inspector, assignment=a.pk)
    services.assignment_close(actor=w.director, assignment=a.pk)
    assert Assignment.objects.get(pk=a.pk).state == S.CLOSED


def test_roll_up_needs_every_sub_task_written_off(hierarchy, county_task):
    w = hierarchy
    first, _second = break_down(w, county_task, "town_a1", "town_a2")
    from tests.hand_down.conftest import finish_below

    finish_below(w, first, "town_a1")
    with pytest.raises(InvalidTransition, match="1 sub-task handed down is still open"):
        services.assignment_roll_up(actor=w.liaison_a, assignment=county_task.pk)
    assert Assignment.objects.get(pk=county_task.pk).state == S.IN_PROGRESS


def test_roll_up_without_sub_tasks_is_refused(hierarchy, county_task):
    w = hierarchy
    services.assignment_start(actor=w.liaison_a, assignment=county_task.pk)
    with pytest.raises(InvalidTransition, match="no sub-tasks"):
        services.assignment_roll_up(actor=w.liaison_a, assignment=county_task.pk)


def test_a_written_off_sub_task_is_not_reopened_under_a_reported_parent(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    from tests.hand_down.conftest import finish_below

    finish_below(w, sub, "town_a1")
    # Before the parent reports, the county may reopen its township's part (回头看).
    services.assignment_reopen(actor=w.leader_a, assignment=sub.pk, reason="问题反弹")
    finish_below_again = Assignment.objects.get(pk=sub.pk)
    assert finish_below_again.state == S.IN_PROGRESS
    services.assignment_submit_completion(actor=w.liaison_town_a1, assignment=sub.pk, text="再次完成")
    services.assignment_approve_completion(actor=w.leader_town_a1, assignment=sub.pk)
    services.assignment_verify(actor=w.leader_a, assignment=sub.pk)
    services.assignment_close(actor=w.leader_a, assignment=sub.pk)
    services.assignment_roll_up(actor=w.liaison_a, assignment=county_task.pk)
    with pytest.raises(InvalidTransition, match="reopen the parent task first"):
        services.assignment_reopen(actor=w.leader_a, assignment=sub.pk, reason="问题反弹")
