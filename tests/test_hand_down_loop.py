"""The whole hand-down loop through the services, as the people of a county and its townships
would go through it: the county breaks the office's task down to two townships, each claims and
reports with a file, their leaders sign, the county verifies and writes them off, rolls their
reports up into its own completion, its leader signs, the office verifies and writes it off.

The same loop through the pages is tests/browser/test_hand_down_walkthrough.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision import clock, services
from supervision.models import Assignment, AssignmentState, AuditEvent, Evidence, LetterState, ProgressReport
from tests.factories import issue_letter

S = AssignmentState


def _file(name: str, body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + body, "application/pdf")


@pytest.fixture
def county_task(hierarchy) -> Assignment:
    """甲县's task on a one-item letter sent to 甲县 alone, claimed by its liaison."""
    w = hierarchy
    letter = issue_letter(w, items=1, units=[w.unit_a])
    task = Assignment.objects.get(letter=letter)
    return services.assignment_claim(actor=w.liaison_a, assignment=task, responsible_person="县乡村振兴局")


def test_a_county_task_broken_down_to_two_townships_and_written_off(hierarchy, county_task):
    w = hierarchy
    deadline = county_task.deadline - dt.timedelta(days=5)
    towns = [(w.town_a1, w.liaison_town_a1, w.leader_town_a1), (w.town_a2, w.liaison_town_a2, w.leader_town_a2)]
    parts = [
        services.SubTaskPart(unit_id=town.pk, deadline=deadline, measures=f"{town.short_name}负责本辖区行政村的整改")
        for town, _liaison, _leader in towns
    ]
    subs = services.assignment_break_down(actor=w.liaison_a, assignment=county_task, parts=parts, comment="按属地分解")

    county_task = Assignment.objects.get(pk=county_task.pk)
    assert county_task.state == S.IN_PROGRESS  # handing down is starting the work
    assert sorted(s.unit_id for s in subs) == sorted(t.pk for t, _l, _d in towns)
    for sub in subs:
        assert (sub.parent_id, sub.depth, sub.handed_down_as) == (county_task.pk, 1, "breakdown")
        assert (sub.item_id, sub.letter_id, sub.deadline, sub.state) == (
            county_task.item_id,
            county_task.letter_id,
            deadline,
            S.ISSUED,
        )
        assert list(sub.ancestors.values_list("unit_id", "distance")) == [(w.unit_a.pk, 1)]
    # The parent cannot report itself done while its townships are at work.
    with pytest.raises(services.DomainError):
        services.assignment_submit_completion(actor=w.liaison_a, assignment=county_task, text="已完成")

    by_unit = {s.unit_id: s for s in subs}
    for town, liaison, leader in towns:
        sub = by_unit[town.pk]
        services.assignment_claim(actor=liaison, assignment=sub, responsible_person=f"{town.short_name}副镇长")
        services.assignment_report_progress(
            actor=liaison, assignment=sub, text="已完成入户摸排", files=[_file("摸排台账.pdf", town.name.encode())]
        )
        services.assignment_submit_completion(
            actor=liaison,
            assignment=sub,
            text=f"{town.short_name}已整改到位",
            files=[_file("验收记录.pdf", town.name.encode() + b" done")],
        )
        services.assignment_approve_completion(actor=leader, assignment=sub, comment="同意")
        # The county acts as the office for its townships: its liaison verifies, its leader writes off.
        services.assignment_verify(actor=w.liaison_a, assignment=sub, comment="抽查到位")
        services.assignment_close(actor=w.leader_a, assignment=sub, comment="同意销号")
        sub = Assignment.objects.get(pk=sub.pk)
        assert sub.state == S.CLOSED

    services.assignment_roll_up(actor=w.liaison_a, assignment=county_task, text="两镇均已整改到位")
    county_task = Assignment.objects.get(pk=county_task.pk)
    assert county_task.state == S.COMPLETION_REQUESTED
    report = ProgressReport.objects.filter(assignment=county_task).order_by("-pk").first()
    assert "东镇已整改到位" in report.text and "西乡已整改到位" in report.text
    copied = Evidence.objects.filter(report=report)
    # Every file the townships sent with their reports, as theirs.
    assert copied.count() == 4 and all(e.copied_from_id for e in copied)
    originals = Evidence.objects.filter(pk__in=[e.copied_from_id for e in copied])
    assert {e.report.assignment_id for e in originals} == {s.pk for s in subs}

    services.assignment_approve_completion(actor=w.leader_a, assignment=county_task, comment="同意，报市里核验")
    services.assignment_verify(actor=w.inspector, assignment=county_task, comment="核验到位")
    services.assignment_close(actor=w.director, assignment=county_task, comment="同意销号")
    county_task = Assignment.objects.get(pk=county_task.pk)
    assert county_task.state == S.CLOSED
    assert county_task.letter.state == LetterState.CLOSED  # its last task written off
    rolled = AuditEvent.objects.filter(assignment=county_task, action="assignment.completion_submitted")
    assert rolled.count() == 1 and rolled.get().actor_id == w.liaison_a.pk
    assert AuditEvent.objects.filter(assignment=county_task, action="assignment.broken_down").count() == 1


def test_a_township_past_its_deadline_turns_the_county_task_yellow(hierarchy, county_task):
    w = hierarchy
    soon = clock.today() + dt.timedelta(days=2)
    (late,) = services.assignment_break_down(
        actor=w.liaison_a,
        assignment=county_task,
        parts=[services.SubTaskPart(unit_id=w.town_a1.pk, deadline=soon, measures="逐村排查")],
    )
    with clock.frozen(clock.now() + dt.timedelta(days=4)):
        services.tick_run(now=clock.now())
    late = Assignment.objects.get(pk=late.pk)
    county_task = Assignment.objects.get(pk=county_task.pk)
    assert late.state == S.ISSUED and late.deadline < clock.today() + dt.timedelta(days=4)
    assert county_task.sub_task_overdue
