"""Bulk progress reporting through Excel: the sheet a liaison downloads holds exactly what they
may report on; an upload reports every filled-in row or none, with every error at once."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from notices.progress_sheet import (
    COLUMNS,
    HEADER_ROW,
    progress_sheet_report,
    reportable,
    write_progress_sheet,
)
from supervision import clock, services
from supervision.models import Assignment, AssignmentState, AuditEvent, ProgressReport
from supervision.services import InvalidTransition
from supervision.services.transitions import MAX_REPORT
from tests.helpers import issue_letter, snapshot

HEADINGS = [c.heading for c in COLUMNS]
ID, PROGRESS = HEADINGS.index("任务编号"), HEADINGS.index("本期进展")


@pytest.fixture
def mine(world) -> list[Assignment]:
    """Unit A holds three assignments of one letter; the liaison has claimed the first two."""
    letter = issue_letter(world, items=3, units=[world.unit_a, world.unit_b])
    found = list(Assignment.objects.filter(letter=letter, unit=world.unit_a).order_by("item__seq"))
    for a in found[:2]:
        services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    return found


def _download(user) -> io.BytesIO:
    out = io.BytesIO()
    write_progress_sheet(out, reportable(user), unit_label="甲县", day=clock.today())
    out.seek(0)
    return out


def _filled(sheet: io.BytesIO, progress: dict[int, str]) -> io.BytesIO:
    """The downloaded sheet with ``progress`` (row number → text) typed into it, as Excel saves it."""
    wb = load_workbook(sheet)
    ws = wb.active
    for row, said in progress.items():
        ws.cell(row=row, column=PROGRESS + 1, value=said)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _sheet(rows: list[tuple]) -> io.BytesIO:
    """A hand-made sheet: (task id, progress) per row under the headings."""
    wb = Workbook()
    ws = wb.active
    ws.append(HEADINGS)
    for pk, said in rows:
        cells = [""] * len(HEADINGS)
        cells[ID], cells[PROGRESS] = pk, said
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_the_sheet_holds_what_the_liaison_may_report_on(world, mine, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        rows = reportable(world.liaison_a)
    # Claimed by the liaison: the first two. The third waits to be claimed; unit B's are not theirs.
    assert [a.pk for a in rows] == [mine[0].pk, mine[1].pk]
    assert reportable(world.leader_a) == [] and reportable(world.clerk) == []
    services.assignment_report_progress(actor=world.liaison_a, assignment=mine[0].pk, text="已完成排查")

    ws = load_workbook(_download(world.liaison_a)).active
    assert [c.value for c in ws[HEADER_ROW]] == HEADINGS
    first, second = ws[HEADER_ROW + 1], ws[HEADER_ROW + 2]
    assert first[ID].value == mine[0].pk and second[ID].value == mine[1].pk
    assert first[HEADINGS.index("问题描述")].value == mine[0].item.description
    assert "已完成排查" in first[HEADINGS.index("上次报送")].value
    assert "本期已报" in first[HEADINGS.index("上次报送")].value
    assert second[HEADINGS.index("上次报送")].value == "尚未报送"
    assert first[PROGRESS].value is None
    # The id is hidden and locked; only the progress cells take typing.
    assert ws.column_dimensions["A"].hidden
    assert ws.protection.sheet
    assert first[ID].protection.locked and not first[PROGRESS].protection.locked
    assert ws.max_row == HEADER_ROW + 2


def test_an_upload_reports_the_filled_rows_and_skips_the_empty_ones(world, mine):
    upload = progress_sheet_report(
        actor=world.liaison_a,
        workbook_file=_filled(_download(world.liaison_a), {HEADER_ROW + 2: "  已完成第二项排查  "}),
    )
    assert upload.ok and upload.reported == 1 and upload.amended == 0
    assert upload.summary() == "Progress reported on 1 assignment."
    report = ProgressReport.objects.get()
    assert (report.assignment_id, report.text, report.author) == (mine[1].pk, "已完成第二项排查", world.liaison_a)
    assert Assignment.objects.get(pk=mine[1].pk).state == AssignmentState.IN_PROGRESS
    assert Assignment.objects.get(pk=mine[0].pk).state == AssignmentState.ACCEPTED
    assert AuditEvent.objects.filter(assignment=mine[1].pk, action="assignment.reported").count() == 1


def test_a_row_for_a_task_reported_this_cycle_amends_that_report(world, mine):
    services.assignment_report_progress(actor=world.liaison_a, assignment=mine[0].pk, text="已完成排查")
    upload = progress_sheet_report(
        actor=world.liaison_a,
        workbook_file=_filled(
            _download(world.liaison_a), {HEADER_ROW + 1: "已完成排查和施工", HEADER_ROW + 2: "已开工"}
        ),
    )
    assert upload.ok and (upload.reported, upload.amended) == (2, 1)
    assert "1 of them replaced this cycle's earlier report." in upload.summary()
    # One report per task per cycle: the first one's text replaced, not a second report.
    assert list(ProgressReport.objects.filter(assignment=mine[0].pk).values_list("text", flat=True)) == [
        "已完成排查和施工"
    ]
    assert AuditEvent.objects.filter(assignment=mine[0].pk, action="assignment.report_amended").count() == 1


def test_every_error_comes_back_at_once_and_nothing_is_reported(world, mine):
    other_unit = Assignment.objects.filter(unit=world.unit_b).first()
    before = snapshot()
    upload = progress_sheet_report(
        actor=world.liaison_a,
        workbook_file=_sheet(
            [
                (mine[0].pk, "已完成排查"),  # row 2: fine on its own
                (mine[2].pk, "已完成排查"),  # row 3: not claimed yet, so not reportable
                (other_unit.pk, "已完成排查"),  # row 4: another unit's
                ("", "已完成排查"),  # row 5: the id was deleted
                (mine[1].pk, "甲" * (MAX_REPORT + 1)),  # row 6: too long
                (mine[0].pk, "再报一次"),  # row 7: the same task as row 2
                (mine[1].pk, ""),  # row 8: empty, skipped
            ]
        ),
    )
    assert [(e.row, e.column) for e in upload.errors] == [
        (3, "本期进展"),
        (4, "任务编号"),
        (5, "任务编号"),
        (6, "本期进展"),
        (7, "本期进展"),
    ]
    messages = [str(e) for e in upload.errors]
    assert "Issued" in messages[0]
    assert "does not name an assignment of yours" in messages[1]
    assert f"at most {MAX_REPORT}" in messages[3]
    assert "The same assignment as row 2." in messages[4]
    assert messages[0].startswith("Row 3, 本期进展: ")
    assert snapshot() == before


def test_a_refusal_while_saving_undoes_the_rows_before_it(world, mine, monkeypatch):
    real = services.assignment_report_progress
    calls = []

    def second_refused(**kwargs):
        calls.append(kwargs["assignment"])
        if len(calls) == 2:
            # The assignment moved on between the check and the save.
            raise InvalidTransition("This cannot be done while the assignment is “Closed”.")
        return real(**kwargs)

    monkeypatch.setattr(services, "assignment_report_progress", second_refused)
    before = snapshot()
    upload = progress_sheet_report(
        actor=world.liaison_a,
        workbook_file=_filled(_download(world.liaison_a), {HEADER_ROW + 1: "第一项", HEADER_ROW + 2: "第二项"}),
    )
    assert [(e.row, e.column) for e in upload.errors] == [(HEADER_ROW + 2, "本期进展")]
    assert calls == [mine[0].pk, mine[1].pk]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"not a workbook", "not an Excel workbook"),
        (None, "This is not the progress sheet"),
    ],
)
def test_a_file_that_is_not_the_sheet_is_refused_as_a_whole(world, mine, content, says):
    if content is None:
        wb = Workbook()
        wb.active.append(["序号", "问题描述", "整改时限"])
        file = io.BytesIO()
        wb.save(file)
        file.seek(0)
    else:
        file = io.BytesIO(content)
    upload = progress_sheet_report(actor=world.liaison_a, workbook_file=file)
    assert len(upload.errors) == 1 and upload.errors[0].row == 0
    assert says in str(upload.errors[0])
    assert not ProgressReport.objects.exists()


def test_a_sheet_with_nothing_filled_in_says_so(world, mine):
    upload = progress_sheet_report(actor=world.liaison_a, workbook_file=_download(world.liaison_a))
    assert [str(e) for e in upload.errors] == [
        "No progress is filled in: write it in the column “本期进展” and upload the sheet again."
    ]
