"""The task sheet (办理单): one assignment, its deadlines and every step taken on it, in the letters'
house style. Most checks read the HTML; one PDF is drawn (weasyprint is slow)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notices import layout
from notices.task_sheet import task_sheet_filename, task_sheet_html, task_sheet_pdf
from supervision import clock, services
from supervision.models import Assignment
from supervision.services import stand_ins
from tests.conftest import make_user
from tests.helpers import drive

from . import pdfs


@pytest.fixture
def worked(world) -> Assignment:
    """Unit A's assignment: claimed, extended by the office, reported on, completed and signed."""
    case = drive(world, "ext_approved")
    a = case.assignment
    services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="已完成排查，" + "整改" * 150)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=a.pk, text="已全部完成整改")
    services.assignment_approve_completion(actor=world.leader_a, assignment=a.pk, comment="情况属实，同意报核")
    return Assignment.objects.select_related("letter", "item", "unit").get(pk=a.pk)


def _chinese(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_the_sheet_is_a_gbt9704_pdf_with_the_whole_file_of_the_task(world, worked):
    pdf = task_sheet_pdf(worked)
    text = pdfs.text(pdf)
    for words in [
        "市巩固衔接领导小组办公室",  # the office's red mark
        f"{worked.letter.number}第1项",
        "督办事项办理单",
        "办理过程",
        "整改进展",
        "—1—",
        "—2—",
    ]:
        assert words in text, words
    cells = [
        cell
        for page in range(1, len(pdfs.page_sizes(pdf)) + 1)
        for table in pdfs.tables(pdf, page)
        for row in table
        for cell in row
    ]
    claimed_at = timezone.localtime(worked.claimed_at)
    for cell in [
        "甲县人民政府（牵头单位）",
        "待核验",
        # Both deadlines, each saying which it is.
        f"{_chinese(worked.item.deadline)}前（原定时限）",
        f"{_chinese(worked.deadline)}前（经批准延期，以此为准）",
        f"liaison_a（{_chinese(claimed_at)}{claimed_at:%H:%M}）",
        "张三",
        # The steps, in Chinese, with who acted where and what they wrote.
        "下发至本单位",
        "clerk（市巩固办，督办员）",
        f"申请延期至{_chinese(worked.deadline)}；施工周期长",
        "准予延期",
        "leader_a（甲县，单位负责人）",
        "情况属实，同意报核",
    ]:
        assert cell in cells, cell
    # The trail quotes a report's beginning; the reports section prints it whole.
    assert "已完成排查，" + "整改" * 27 + "……（全文见整改进展）" in cells
    assert "整改" * 150 in task_sheet_html(worked)
    # A4, the house style's page, its fonts embedded.
    width, height = pdfs.page_sizes(pdf)[0]
    assert round(width / layout.MM) == 210 and round(height / layout.MM) == 297
    assert all(f.embedded for f in pdfs.fonts(pdf))


def test_the_steps_are_in_order_and_say_where_a_task_went(world):
    case = drive(world, "reassigned")
    html = task_sheet_html(case.assignment)
    steps = ["下发至本单位", "已签收", "改派至市农业农村局"]
    assert [html.index(s) for s in steps] == sorted(html.index(s) for s in steps)
    assert "clerk（市巩固办，督办员）" in html


def test_the_file_name_names_the_letter_item_and_unit(world, worked):
    assert task_sheet_filename(worked) == f"督办事项办理单（{worked.letter.number} 第1项 甲县）.pdf"


def test_render_a_task_sheet_from_the_command_line(world, worked, tmp_path):
    out = io.StringIO()
    call_command("render", "task", str(worked.pk), "-o", str(tmp_path / "task.pdf"), stdout=out)
    assert (tmp_path / "task.pdf").read_bytes().startswith(b"%PDF")
    assert "Wrote" in out.getvalue()
    with pytest.raises(CommandError, match="No assignment"):
        call_command("render", "task", "999999", "-o", str(tmp_path / "x.pdf"), stdout=out)
    with pytest.raises(CommandError, match=r"\.pdf"):
        call_command("render", "task", str(worked.pk), "-o", str(tmp_path / "x.xlsx"), stdout=out)


def test_a_stand_in_step_names_whom_it_was_taken_for(world):
    # The liaison is away: the colleague standing in claims the task, and the sheet says so.
    deputy = make_user("liaison_a2", world.unit_a, "leader", full_name="钱代理")
    today = clock.today()
    stand_ins.standin_create(
        actor=world.liaison_a, deputy=deputy, unit=world.unit_a, starts_on=today, ends_on=today + dt.timedelta(days=3)
    )
    case = drive(world, "issued")
    services.assignment_claim(actor=type(deputy).objects.get(pk=deputy.pk), assignment=case.assignment.pk)
    html = task_sheet_html(Assignment.objects.get(pk=case.assignment.pk))
    assert "钱代理（代liaison_a）" in html
