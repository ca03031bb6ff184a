"""An .xls stores only the cells written, so a file of a few kilobytes can claim cells at A1 and
IV65536: it is read ragged (each row as long as its last cell), within bounds of memory, and a
sheet holding too many cells is refused with a message. Sheets looked at and passed over while
choosing the one to read are let go."""

from __future__ import annotations

import io
import tracemalloc

import pytest
import xlwt

from notices import workbook
from notices.contacts import parse_directory
from tests.imports.sheets import MEASURES_1, PHASE, PROBLEM_1, Book, Sheet, xls
from tests.onboarding.sheets import UNIT_HEADINGS, demo_rows

HEAD = ["问题类别", "问题描述", "整改措施", "责任单位", "整改时限"]
(M1, U1), *_rest = MEASURES_1


def _sparse(*cells: tuple[int, int, str]) -> io.BytesIO:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("问题清单")
    for r, c, value in cells:
        ws.write(r, c, value)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_a_small_xls_claiming_the_last_cell_is_read_in_little_memory(parse):
    file = _sparse((0, 0, "问题描述"), (65535, 255, "x"))
    assert len(file.getvalue()) < 10_000

    tracemalloc.start()
    try:
        sheet = parse(file)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    # Padded to 65,536 rows of 256 cells, the same file took some 200 MB.
    assert peak < 60 * 1024 * 1024, f"{peak / 1e6:.0f} MB"
    # Read, and refused for what it is: no list under its heading (never a crash).
    assert sheet.items == [] and sheet.errors


def test_a_sheet_with_too_many_cells_is_refused_with_a_message(parse, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_XLS_CELLS", 20)
    rows = [HEAD] + [["共性问题", f"问题{n}", M1, U1, PHASE] for n in range(5)]
    assert [str(e) for e in parse(xls(Sheet(rows, name="问题清单"))).errors] == [
        "The sheet “问题清单” is too large to read (more than 100000 rows or 20 cells): "
        "keep only the list on it, save it as .xlsx and try again."
    ]
    monkeypatch.setattr(workbook, "MAX_XLS_CELLS", 30)
    assert parse(xls(Sheet(rows, name="问题清单"))).errors == []


@pytest.fixture
def released(monkeypatch) -> list[str]:
    names: list[str] = []
    real = workbook._XlsBook.release

    def spy(self, name: str) -> None:
        names.append(name)
        real(self, name)

    monkeypatch.setattr(workbook._XlsBook, "release", spy)
    return names


def test_sheets_passed_over_for_the_list_are_let_go(parse, released):
    notes = Sheet([["说明：本表由各单位填报"]], name="说明")
    other = Sheet([["汇总"], ["共计", 3]], name="汇总")
    listed = Sheet([HEAD, ["共性问题", PROBLEM_1, M1, U1, PHASE]], name="清单")
    sheet = parse(xls(Book([notes, other, listed])))
    assert sheet.errors == [] and sheet.sheet == "清单" and len(sheet.items) == 1
    assert released == ["说明", "汇总"]


def test_let_go_means_unloaded(seed):
    notes = Sheet([["说明：本表由各单位填报"]], name="说明")
    listed = Sheet([HEAD, ["共性问题", PROBLEM_1, M1, U1, PHASE]], name="清单")
    book = workbook.open_book(xls(Book([notes, listed])))
    try:
        book.sheet("说明")
        assert book._book.sheet_loaded("说明")
        book.release("说明")
        assert not book._book.sheet_loaded("说明")
        book.release("说明")  # twice, or a sheet never loaded: nothing to do
        book.release("清单")
    finally:
        book.close()


def test_the_directory_lets_go_of_the_sheets_it_passes_over(db, released):
    notes = Sheet([["说明：本表由各单位填报"]], name="说明")
    units = Sheet([list(UNIT_HEADINGS), *demo_rows()[:2]], name="Sheet2")
    parsed = parse_directory(xls(Book([notes, units])))
    assert parsed.rows is not None
    assert released == ["说明"]
