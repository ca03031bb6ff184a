"""整改时限 cells as offices write them, read on a sheet: the long 阶段性成效并长期坚持 form, 长期坚持
and 立行立改 with no date (accepted, and the preview says which date was used), Excel dates,
serial numbers and full-width digits; a deadline that is none stays an error."""

from __future__ import annotations

import datetime as dt

from notices.deadlines import IMMEDIATE_DAYS
from supervision.models import DeadlineKind
from tests.imports.sheets import TODAY, xls

HEAD = ["问题类别", "问题描述", "整改措施", "责任单位", "整改时限"]


def _sheet(*deadlines) -> list[list]:
    return [HEAD] + [["共性问题", f"问题{n}", "措施", "艺术科", d] for n, d in enumerate(deadlines, start=1)]


def test_deadlines_as_written(parse):
    sheet = parse(
        _sheet(
            "8月15日前取得阶段性成效并长期坚持",
            "８月１５日前取得阶段性成效，\n并长期坚持",
            "9月底前",
            "年底前",
            "2023年12月31日",
            dt.datetime(2023, 10, 1),
        )
    )
    assert sheet.errors == []
    assert [(i.deadline, i.deadline_kind) for i in sheet.items] == [
        (dt.date(2023, 8, 15), DeadlineKind.PHASE_THEN_ONGOING),
        (dt.date(2023, 8, 15), DeadlineKind.PHASE_THEN_ONGOING),
        (dt.date(2023, 9, 30), DeadlineKind.BY_DATE),
        (dt.date(2023, 12, 31), DeadlineKind.BY_DATE),
        (dt.date(2023, 12, 31), DeadlineKind.BY_DATE),
        (dt.date(2023, 10, 1), DeadlineKind.BY_DATE),
    ]
    assert all(i.warnings == [] for i in sheet.items)
    assert sheet.items[5].deadline_written == "2023-10-01"


def test_long_term_and_at_once_are_accepted_with_a_warning(parse):
    ongoing, at_once = parse(_sheet("长期坚持", "立行立改")).items
    assert (ongoing.deadline, ongoing.deadline_kind) == (dt.date(2023, 12, 31), DeadlineKind.PHASE_THEN_ONGOING)
    assert ongoing.warnings == [
        "“长期坚持” without a date: the first results are measured on Dec. 31, 2023, the end of the year."
    ]
    assert (at_once.deadline, at_once.deadline_kind) == (
        TODAY + dt.timedelta(days=IMMEDIATE_DAYS),
        DeadlineKind.IMMEDIATE,
    )
    assert at_once.warnings == ["立行立改: to be fixed at once; checked on July 5, 2023, 15 days after the import."]
    assert (ongoing.deadline_written, at_once.deadline_written) == ("长期坚持", "立行立改")


def test_a_serial_number_is_a_date_that_lost_its_format(parse):
    [item] = parse(_sheet(45153)).items
    assert item.deadline == dt.date(2023, 8, 15)
    assert item.warnings == ["The number 45153 was read as an Excel date: Aug. 15, 2023."]


def test_dates_in_an_xls_file(parse):
    sheet = parse(xls(_sheet(dt.date(2023, 8, 15), "9月底前")))
    assert sheet.errors == []
    assert [i.deadline for i in sheet.items] == [dt.date(2023, 8, 15), dt.date(2023, 9, 30)]


def test_what_is_no_deadline_is_an_error_with_its_row_and_column(parse):
    sheet = parse(_sheet("尽快", "2月30日前", None))
    assert sheet.items == []
    assert [str(e) for e in sheet.errors] == [
        "Row 2, 整改时限: Write the deadline as a date, e.g. 2023年8月15日前, 8月底前, 长期坚持 or 立行立改.",
        "Row 3, 整改时限: 2023-2-30 is not a date.",
        "Row 4, 整改时限: Missing: this column is required.",
    ]
