"""The files offices send: .xls (Excel 97–2003) as well as .xlsx, refused with a message when
damaged, too large or hostile; merged cells read within bounds; ``open_rows`` unchanged for the
readers that take one sheet's rows."""

from __future__ import annotations

import io
import time
import zipfile

from notices.workbook import OLE2_MAGIC, open_rows
from tests.imports.sheets import MEASURES_1, PHASE, PROBLEM_1, Book, Sheet, xls, xlsx

HEAD = ["问题类别", "问题描述", "整改措施", "责任单位", "整改时限"]
(M1, U1), (M2, U2), *_rest = MEASURES_1
DAMAGED_XLS = "The .xls workbook is damaged and cannot be read: open it in Excel, save it as .xlsx and try once more."


def test_an_xls_file_with_merged_cells(parse):
    rows = [HEAD, ["共性问题（国家、省反馈）", PROBLEM_1, M1, U1, PHASE], [None, None, M2, U2, PHASE]]
    sheet = parse(xls(Sheet(rows, merges=["A2:A3", "B2:B3"])))
    assert sheet.errors == [] and sheet.warnings == []
    assert [(i.problem_no, i.description, i.source) for i in sheet.items] == [
        (1, PROBLEM_1, "national"),
        (1, PROBLEM_1, "national"),
    ]


def test_a_damaged_xls_is_refused_with_a_message(parse):
    good = xls([HEAD, ["共性问题", PROBLEM_1, M1, U1, PHASE]]).getvalue()
    for junk in (OLE2_MAGIC + b"\0" * 600, good[: len(good) // 3], OLE2_MAGIC + good[8:100]):
        sheet = parse(io.BytesIO(junk))
        assert [str(e) for e in sheet.errors] == [DAMAGED_XLS]


def test_a_file_too_large_is_refused_before_it_is_read(parse, monkeypatch):
    monkeypatch.setattr("notices.workbook.MAX_FILE_BYTES", 1024)
    for build in (xls, xlsx):
        file = build([HEAD] + [["共性问题", f"问题{n}", M1, U1, PHASE] for n in range(30)])
        assert [str(e) for e in parse(file).errors] == ["The file is larger than 0 MB."]


def test_too_many_merged_cells_are_refused(parse, monkeypatch):
    monkeypatch.setattr("notices.workbook.MAX_MERGES", 3)
    rows = [HEAD] + [["共性问题", f"问题{n}", M1, U1, PHASE] for n in range(5)]
    merges = [f"C{n}:D{n}" for n in range(2, 7)]
    for build in (xls, xlsx):
        assert [str(e) for e in parse(build(Sheet(rows, merges=merges))).errors] == [
            "The sheet has more than 3 merged cells: unmerge what is not needed and try again."
        ]


def _with_merges(file: io.BytesIO, *refs: str) -> io.BytesIO:
    """The workbook with merged ranges written into its sheet's XML (openpyxl would build a cell
    object for every cell of a range this large)."""
    with zipfile.ZipFile(file) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(
        b"</sheetData>", f'</sheetData><mergeCells count="{len(refs)}">{merges}</mergeCells>'.encode()
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    out.seek(0)
    return out


def test_a_range_merged_down_the_whole_sheet_stays_cheap(parse):
    rows = [HEAD, ["共性问题", PROBLEM_1, M1, U1, PHASE]]
    file = _with_merges(xlsx(rows), "A2:A1048576", "F1:XFD1048576")
    started = time.monotonic()
    sheet = parse(file)
    assert time.monotonic() - started < 5
    assert sheet.errors == [] and len(sheet.items) == 1


def test_open_rows_still_reads_the_first_sheet_or_one_by_name():
    book = Book([Sheet([["甲"], ["乙"]], name="一"), Sheet([["丙"]], name="二")])
    for build in (xlsx, xls):
        opened = open_rows(build(book))
        assert (opened.sheet, opened.sheet_names, opened.last_row) == ("一", ["一", "二"], 2)
        assert [row[0] for row in opened.rows] == ["甲", "乙"]
        assert [row[0] for row in open_rows(build(book), sheet="二").rows] == ["丙"]
        assert open_rows(build(book), sheet="三") == "The workbook has no sheet “三”; its sheets are “一”、“二”."


def test_merged_ranges_are_found_with_any_prefix_and_across_chunks(monkeypatch):
    from notices import workbook

    xml = (
        b'<x:worksheet xmlns:x="urn:main"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is>'
        b"<x:t>&lt;mergeCells&gt; in a cell is text</x:t></x:is></x:c></x:row></x:sheetData>"
        b'<x:mergeCells count="2"><x:mergeCell ref="A2:A5"/><x:mergeCell  ref = \'b2:C2\' /></x:mergeCells>'
        b'<x:pageMargins left="0.7"/></x:worksheet>'
    )
    for chunk in (7, 64, 1 << 20):
        monkeypatch.setattr(workbook, "_CHUNK", chunk)
        assert workbook._merges(io.BytesIO(xml)) == [
            workbook.Merge(2, 1, 5, 1),
            workbook.Merge(2, 2, 2, 3),
        ]
    assert workbook._merges(io.BytesIO(b"<worksheet><sheetData/></worksheet>")) == []


def test_a_chart_sheet_before_the_list_is_passed_over(parse):
    from openpyxl import Workbook
    from openpyxl.chart import BarChart

    wb = Workbook()
    wb.remove(wb.active)
    chart = wb.create_chartsheet("图表")
    chart.add_chart(BarChart())
    ws = wb.create_sheet("问题清单")
    ws.append(HEAD)
    ws.append(["共性问题", PROBLEM_1, M1, U1, PHASE])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    sheet = parse(out)
    assert sheet.errors == [] and (sheet.sheet, len(sheet.items)) == ("问题清单", 1)
    assert sheet.sheet_names == ["图表", "问题清单"]
