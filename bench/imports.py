"""Benchmark: reading an office's own problem list (整改台账) for the import preview, against
openpyxl alone reading the same sheet.

The sheet is built the way real ledgers are kept (the seed letter's 附件1 layout): title rows,
two grouped heading rows, a section's category merged down its rows, each problem merged down
over its measures and across its two 问题描述 columns, one to five measures per problem, unit
cells naming several units and collective names in both bracket widths (各县（市、区）文旅局,
各县(市、区)文旅局, 市直各有关部门), deadlines as written (8月15日前取得阶段性成效并长期坚持,
9月底前, date cells), columns the import does not read (整改进展, 责任人, 完成情况, 备注).

Ours: ``notices.importer.parse_workbook`` — opening and checking the file, the merged-cell pass
over the sheet's XML, headings, sections, problem grouping, unit look-ups and collective names,
deadlines, duplicates: everything the preview shows, nothing written. Bare: openpyxl's read-only
mode iterating every row's values (``iter_rows(values_only=True)``), the least any reader of the
file does. The units are in memory (the directory the import builds once from the database), so
the figures are the parsing alone. Runs alternate which path goes first, after an untimed
warm-up; medians are reported, with the peak Python allocation of one preview (tracemalloc).

The same sheet as .xls is timed too (ours against xlrd opening it and reading every cell).

Alone: ``python bench/imports.py [--rows 5000] [--runs 5]`` (prints the figures, writes nothing).
The function for bench/run.py is ``run()``; it returns a dict of the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The target proposed: the preview at most this many times openpyxl's bare read of the sheet.
# The .xls figures are for information: xlrd reads a file several times faster than openpyxl,
# so what the preview adds weighs more there, and a ratio against it says little.
MAX_RATIO = 3.0
YEAR = 2023
TODAY = dt.date(2023, 6, 20)
PLACES = (
    "离石区",
    "孝义市",
    "汾阳市",
    "文水县",
    "交城县",
    "兴县",
    "临县",
    "柳林县",
    "石楼县",
    "岚县",
    "方山县",
    "中阳县",
    "交口县",
)
SECTIONS = ("人事科", "产业发展科", "艺术科", "公共服务科", "资源开发科")
UNIT_CELLS = (
    "各县(市、区)文旅局、人事科、产业发展科、艺术科、公共服务科",
    "各县（市、区）文旅局、资源开发科",
    "各县(市、区)文旅局、资源开发科、产业发展科、公共服务科",
    "资源开发科，各县（市、区）文旅局",
    "离石区文旅局、孝义市文化和旅游局；艺术科",
    "市直各有关部门",
    "公共服务科\n艺术科",
    "各相关科室、临县文旅局",
)
DEADLINES = ("8月15日前取得阶段性成效并长期坚持", "9月底前", "年底前", dt.datetime(2023, 10, 31), "2023年12月31日")
PROBLEM = "搬迁脱贫人口持续增收仍有压力，异地搬迁脱贫人口人均纯收入增速连续两年仍低于脱贫人口平均水平（第{n}项）"
MEASURE = "{k}. 支持文化产业赋能乡村振兴，发展乡村旅游新业态，开发乡村旅游精品线路，辐射周边扶贫安置点（第{n}项）。"
UPPER = ["问题类别", "问题清单", None, "整改清单", None, None, "责任清单", None, None, "备注"]
LOWER = [None, "问题描述", None, "整改措施", "整改进展", "整改时限", "责任单位", "责任人", "完成情况", None]


def units() -> list:
    """The directory's units, unsaved: 13 county bureaus, the five sections, 80 other departments."""
    from supervision.models import PeerGroup, Unit, UnitKind

    made = [
        Unit(
            pk=n + 1,
            name=f"{place}文化和旅游局",
            short_name=f"{place}文旅局",
            kind=UnitKind.COUNTY,
            peer_group=PeerGroup.COUNTY,
        )
        for n, place in enumerate(PLACES)
    ]
    others = [*SECTIONS, *(f"市直部门{n}" for n in range(80))]
    made += [
        Unit(pk=100 + n, name=name, kind=UnitKind.DEPARTMENT, peer_group=PeerGroup.DEPARTMENT)
        for n, name in enumerate(others)
    ]
    return made


def build_rows(rows: int) -> tuple[list[list[Any]], list[str]]:
    """The ledger's rows (title, headings, then ``rows`` measure rows) and its merged ranges."""
    sheet: list[list[Any]] = [
        ["吕梁市易地扶贫搬迁后续扶持问题排查整改台账"] + [None] * 9,
        ["单位:"],
        ["时间:"],
        UPPER,
        LOWER,
    ]
    merges = ["A1:J1", "A4:A5", "B4:C4", "D4:F4", "G4:I4", "J4:J5", "B5:C5"]
    counts = []  # measures of each problem: one to five
    while sum(counts) < rows:
        counts.append(min(1 + len(counts) % 5, rows - sum(counts)))
    # The first half of the problems are common ones (national feedback), the rest specific.
    sections = (
        ("共性问题 ( 国家、省反馈 )", counts[: len(counts) // 2]),
        ("个性问题 ( 自查 )", counts[len(counts) // 2 :]),
    )
    problem = measure = 0
    for category, problems in sections:
        section_start = len(sheet) + 1
        for count in problems:
            problem += 1
            first = len(sheet) + 1
            site = f"第{problem}安置区" if category.startswith("个性") else None
            for k in range(1, count + 1):
                measure += 1
                sheet.append(
                    [
                        category if first == section_start and k == 1 else None,
                        PROBLEM.format(n=problem) if k == 1 else None,
                        site if k == 1 else None,
                        MEASURE.format(k=k, n=measure),
                        "正在推进",
                        DEADLINES[measure % len(DEADLINES)],
                        UNIT_CELLS[measure % len(UNIT_CELLS)],
                        "张三",
                        None,
                        None,
                    ]
                )
            last = len(sheet)
            if site is None:
                merges.append(f"B{first}:C{last}")
            elif last > first:
                merges += [f"B{first}:B{last}", f"C{first}:C{last}"]
        if len(sheet) >= section_start:
            merges.append(f"A{section_start}:A{len(sheet)}")
    return sheet, merges


def build_xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    values, merges = build_rows(rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    for row in values:
        ws.append(row)
    for merged in merges:
        ws.merge_cells(merged)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def build_xls(rows: int) -> bytes:
    import xlwt
    from openpyxl.utils.cell import range_boundaries

    values, merges = build_rows(rows)
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("整改台账")
    dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    spans = {}
    for merged in merges:
        min_col, min_row, max_col, max_row = range_boundaries(merged)
        spans[(min_row, min_col)] = (max_row, max_col)
    for r, row in enumerate(values, start=1):
        for c, value in enumerate(row, start=1):
            if (r, c) in spans:
                last_row, last_col = spans[(r, c)]
                ws.write_merge(r - 1, last_row - 1, c - 1, last_col - 1, value)
            elif value is not None:
                ws.write(r - 1, c - 1, value, dates if isinstance(value, dt.date) else xlwt.Style.default_style)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _ours(data: bytes, directory_units: list) -> Any:
    from notices.directory import UnitDirectory
    from notices.importer import parse_workbook

    return parse_workbook(io.BytesIO(data), campaign_year=YEAR, directory=UnitDirectory(directory_units), today=TODAY)


def _bare_xlsx(data: bytes) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return sum(1 for _row in wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()


def _bare_xls(data: bytes) -> int:
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    sheet = book.sheet_by_index(0)
    return sum(1 for n in range(sheet.nrows) if sheet.row_values(n) is not None)


def _alternate(ours: Callable[[], object], bare: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    ours(), bare()  # untimed warm-up
    timings: dict[str, list[float]] = {"ours": [], "bare": []}
    for n in range(runs):
        order = [("ours", ours), ("bare", bare)]
        for name, fn in order if n % 2 == 0 else reversed(order):
            started = time.perf_counter()
            fn()
            timings[name].append(time.perf_counter() - started)
    return timings["ours"], timings["bare"]


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(*, rows: int = 5000, runs: int = 5) -> dict[str, Any]:
    """Time the preview of a ``rows``-measure ledger against openpyxl alone; the figures."""
    directory_units = units()
    xlsx = build_xlsx(rows)
    parsed = _ours(xlsx, directory_units)
    if parsed.errors:
        raise AssertionError(f"the benchmark sheet does not read: {[str(e) for e in parsed.errors[:5]]}")
    ours, bare = _alternate(lambda: _ours(xlsx, directory_units), lambda: _bare_xlsx(xlsx), runs)
    xls = build_xls(rows)
    xls_ours, xls_bare = _alternate(lambda: _ours(xls, directory_units), lambda: _bare_xls(xls), runs)
    ours_s, bare_s = statistics.median(ours), statistics.median(bare)
    return {
        "rows": rows,
        "items": len(parsed.items),
        "problems": len({i.problem_no for i in parsed.items}),
        "leads": sum(len(i.leads) for i in parsed.items),
        "file_bytes": len(xlsx),
        "runs": runs,
        "preview_s": round(ours_s, 4),
        "openpyxl_s": round(bare_s, 4),
        "ratio": round(ours_s / bare_s, 2),
        "preview_peak_mb": round(_peak(lambda: _ours(xlsx, directory_units)) / 1024 / 1024, 1),
        "openpyxl_peak_mb": round(_peak(lambda: _bare_xlsx(xlsx)) / 1024 / 1024, 1),
        "xls_bytes": len(xls),
        "xls_preview_s": round(statistics.median(xls_ours), 4),
        "xlrd_s": round(statistics.median(xls_bare), 4),
        "xls_ratio": round(statistics.median(xls_ours) / statistics.median(xls_bare), 2),
        "target_ratio": MAX_RATIO,
        "pass": ours_s / bare_s <= MAX_RATIO,
    }


def summary_line(r: dict[str, Any]) -> str:
    return (
        f"Import preview of a {r['rows']:,}-row ledger: {r['preview_s']:.2f} s vs openpyxl alone "
        f"{r['openpyxl_s']:.2f} s ({r['ratio']:.2f}×, target ≤ {r['target_ratio']:g}×); "
        f".xls {r['xls_preview_s']:.2f} s vs xlrd {r['xlrd_s']:.2f} s — {'PASS' if r['pass'] else 'FAIL'}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=5000, help="measure rows of the ledger")
    p.add_argument("--runs", type=int, default=5, help="timed previews and bare reads")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    # Run as a script, Python puts bench/ on the path; the project and this package need the root.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.run import setup_django

    backend = setup_django()
    from bench import database

    try:
        result = run(rows=args.rows, runs=args.runs)
        for key, value in result.items():
            print(f"{key}: {value}")
        print(summary_line(result))
        return 0
    finally:
        database.cleanup(backend)


if __name__ == "__main__":
    sys.exit(main())
