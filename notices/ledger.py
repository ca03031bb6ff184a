"""The ledger (台账): one line per assignment, in the column layout of seed 000's 附件1.

问题类别 | 问题清单: 问题描述 | 整改清单: 整改措施, 整改进展, 整改时限 | 责任清单: 责任单位, 责任人,
完成情况 | 备注. As offices keep it, the lines fall in sections by category, each headed by a row
of its own (一、共性问题, 二、个性问题); within a section 问题类别 names where the problems came from
(国家反馈, 省级反馈, 自查发现, … in that order: the item's own source), printed once over its run of
lines; then by letter and item, lead unit first. A problem is printed once over its measures (the
items sharing its problem number) and a measure once over the units it went to, as merged cells
in Excel and as drawn merges (no rule between the lines) in the PDF. An item that is one measure
of a numbered problem carries its site (安置点) with the measure, as 附件1 writes it; an item
that stands alone carries it with the problem.

The rows are read with one query: the latest progress report comes in as a subquery column,
and only the columns printed are fetched, so the query count does not grow with the rows and
``.iterator()`` keeps memory flat for the Excel export. The caller chooses the base set:
``assignments_visible_to(user)`` on the web, every assignment for the command line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from supervision import clock
from supervision.models import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    ItemCategory,
    ItemSource,
    ProgressReport,
    UnitRole,
)
from supervision.models.assignments import DEAD_STATES
from supervision.selectors.search import AssignmentFilters
from supervision.services import InvalidInput

from . import wording
from .pdf import document_html, html_to_pdf
from .xlsx import StreamingSheet, put

CHUNK = 2000
# weasyprint lays a table out at ~10 ms a row: past this a PDF would keep a web worker busy
# for tens of seconds. The Excel export has no limit; the command line may pass its own.
PDF_MAX_ROWS = 3000

FIELDS = (
    "item__category",
    "item__source",
    "letter_id",
    "item__problem_no",
    "item_id",
    "item__site",
    "item__description",
    "item__measures",
    "measures",
    "progress",
    "deadline",
    "item__deadline_kind",
    "unit__name",
    "role",
    "responsible_person",
    "state",
    "letter__number",
)


def ledger_queryset(base: QuerySet[Assignment], filters: AssignmentFilters | None = None) -> QuerySet:
    """The ledger's rows, as named tuples of FIELDS, in ledger order."""
    filters = filters or AssignmentFilters()
    qs = filters.apply(base)
    if not filters.states:
        # Replaced by another unit's assignment, or taken back with the letter: not the unit's work.
        qs = qs.exclude(state__in=DEAD_STATES)
    latest = ProgressReport.objects.filter(assignment=OuterRef("pk")).order_by("-created_at", "-pk").values("text")[:1]
    # Sources in the order of their choices (national feedback first), not of their codes.
    source_order = Case(
        *(When(item__source=value, then=Value(n)) for n, value in enumerate(ItemSource.values)),
        default=Value(len(ItemSource.values)),
        output_field=IntegerField(),
    )
    return (
        qs.annotate(progress=Subquery(latest), source_order=source_order)
        # "lead" sorts after "cooperating": descending puts the lead unit first.
        .order_by(
            "item__category",
            "source_order",
            "item__source",
            "letter__issued_at",
            "letter_id",
            "item__seq",
            "-role",
            "unit__sort_order",
            "pk",
        )
        .values_list(*FIELDS, named=True)
    )


@dataclass(frozen=True, slots=True)
class Line:
    category: str
    section: str  # 一、共性问题: the heading of the category's section
    item_id: int
    new_section: bool  # the first line of a category: its heading row goes before it
    new_source: bool  # the first line of a run of one source: 问题类别 (cells[0]) is printed
    new_problem: bool  # the first line of a problem: 问题描述 (cells[1]) is printed
    new_item: bool  # the first line of an item: 整改措施 (cells[2]) is printed
    cells: tuple[str, ...]


def chinese_ordinal(n: int) -> str:
    """一, 二 … 十, 十一 … 九十九: how sections are numbered (一、共性问题)."""
    digits = "〇一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def _problem(row: Any) -> tuple[Any, ...]:
    # The items of one problem share its number within their letter; an item without one stands alone.
    return (row.letter_id, row.item__problem_no) if row.item__problem_no else ("item", row.item_id)


def ledger_lines(rows: Iterable[Any], today: dt.date | None = None) -> Iterator[Line]:
    """Rows of ``ledger_queryset`` as printed text; iterate with the document language active."""
    today = today or clock.today()
    states = {s.value: str(s.label) for s in AssignmentState}
    categories = {c.value: str(c.label) for c in ItemCategory}
    sources = {s.value: str(s.label) for s in ItemSource}
    cooperating = str(UnitRole.COOPERATING.label)
    open_states = set(OPEN_STATES)
    sections = 0
    heading = ""
    category = source = problem = item = None
    for row in rows:
        new_section = row.item__category != category
        if new_section:
            sections += 1
            label = categories.get(row.item__category, row.item__category)
            heading = f"{chinese_ordinal(sections)}、{label}"
        new_source = new_section or row.item__source != source
        new_problem = new_source or _problem(row) != problem
        new_item = new_problem or row.item_id != item
        state = states.get(row.state, row.state)
        if row.state in open_states and row.deadline < today:
            state += wording.OVERDUE
        unit = row.unit__name if row.role == UnitRole.LEAD else f"{row.unit__name}（{cooperating}）"
        # A sub-task's own part of the work (分解) is what its unit answers for.
        description, measures = row.item__description, row.measures or row.item__measures
        if row.item__site and row.item__problem_no:
            measures = f"【{row.item__site}】{measures}"
        elif row.item__site:
            description = f"【{row.item__site}】{description}"
        yield Line(
            category=row.item__category,
            section=heading,
            item_id=row.item_id,
            new_section=new_section,
            new_source=new_source,
            new_problem=new_problem,
            new_item=new_item,
            cells=(
                sources.get(row.item__source, row.item__source),
                description,
                measures,
                row.progress or "",
                wording.deadline_text(row.deadline, row.item__deadline_kind),
                unit,
                row.responsible_person,
                state,
                row.letter__number or "",
            ),
        )
        category, source, problem, item = row.item__category, row.item__source, _problem(row), row.item_id


# --- Excel ------------------------------------------------------------------------------------------

COLUMN_WIDTHS = (14, 40, 36, 32, 18, 20, 10, 14, 18)
FIRST_DATA_ROW = 5  # after the title, the unit and date, and the two heading rows
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TOP = Alignment(vertical="top", wrap_text=True)


def _print_setup(sheet: StreamingSheet) -> None:
    ws = sheet.ws
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.print_title_rows = f"3:{FIRST_DATA_ROW - 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    # As wide as one page, as long as it takes.
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.2, footer=0.3)
    ws.oddFooter.center.text = wording.LEDGER_FOLIO


def _write_head(sheet: StreamingSheet, unit_label: str, day: dt.date) -> None:
    ncols = len(wording.LEDGER_COLUMNS)
    title = sheet.cell(font=Font(size=16, bold=True), alignment=_CENTER)
    sheet.append([put(title, wording.LEDGER_TITLE)])
    sheet.merge(1, 1, 1, ncols)
    unit = sheet.cell(alignment=Alignment(vertical="center"))
    dated = sheet.cell(alignment=Alignment(horizontal="right", vertical="center"))
    split = 5  # 单位 over the problem and measure columns, 时间 over the rest
    row = sheet.append(
        [
            put(unit, wording.LEDGER_UNIT + unit_label),
            *[None] * (split - 1),
            put(dated, wording.LEDGER_DATE + wording.chinese_date(day)),
        ]
    )
    sheet.merge(row, 1, row, split)
    sheet.merge(row, split + 1, row, ncols)
    # Two heading rows: the groups of 附件1 over the columns; a group of one column spans both rows.
    top, bottom = row + 1, row + 2
    group_cells, column = [], 1
    for name, span in wording.LEDGER_GROUPS:
        group_cells.append(name)
        group_cells += [""] * (span - 1)
        if span > 1:
            sheet.merge(top, column, top, column + span - 1)
        column += span
    heading = [sheet.cell(font=Font(bold=True), alignment=_CENTER, border=_BOX) for _ in range(ncols)]
    sheet.append([put(cell, value) for cell, value in zip(heading, group_cells, strict=True)])
    heading = [sheet.cell(font=Font(bold=True), alignment=_CENTER, border=_BOX) for _ in range(ncols)]
    below = [name if name not in wording.LEDGER_SPANNING else "" for name in wording.LEDGER_COLUMNS]
    sheet.append([put(cell, value) for cell, value in zip(heading, below, strict=True)])
    for index, name in enumerate(wording.LEDGER_COLUMNS, start=1):
        if name in wording.LEDGER_SPANNING:
            sheet.merge(top, index, bottom, index)


def write_ledger_xlsx(
    rows: Iterable[Any], out: IO[bytes] | str, *, unit_label: str = "", day: dt.date | None = None
) -> int:
    """Stream the rows of ``ledger_queryset`` into an .xlsx file; returns how many lines were written.

    Each category's section opens with its heading row, merged across the table. 问题类别 is
    merged down its run of one source, 问题描述 down its problem's lines and 整改措施 down its
    item's, as in 附件1; every other cell is its own. Rows go out as they come: pass
    ``queryset.iterator(chunk_size=CHUNK)`` and memory stays flat.
    """
    with wording.document_language():
        return _write_xlsx(ledger_lines(rows, day), out, unit_label, day or clock.today())


def _write_xlsx(lines: Iterator[Line], out: IO[bytes] | str, unit_label: str, day: dt.date) -> int:
    wb = Workbook(write_only=True)
    sheet = StreamingSheet(wb, wording.LEDGER_TITLE, COLUMN_WIDTHS)
    _print_setup(sheet)
    _write_head(sheet, unit_label, day)
    ncols = len(wording.LEDGER_COLUMNS)
    cells = [sheet.cell(alignment=_TOP, border=_BOX) for _ in wording.LEDGER_COLUMNS]
    cells[0].alignment = Alignment(horizontal="center", vertical="top", wrap_text=True)
    section = [sheet.cell(font=Font(bold=True), alignment=Alignment(vertical="center"), border=_BOX)] + [
        sheet.cell(border=_BOX) for _ in range(ncols - 1)
    ]
    # Where the merged cell now open in each of the first three columns began: 问题类别 over a
    # run of one source, 问题描述 over a problem, 整改措施 over an item.
    opened: dict[int, int] = {}

    def close(column: int, last: int) -> None:
        start = opened.pop(column, None)
        if start is not None and last > start:
            sheet.merge(start, column, last, column)

    count = 0
    row = FIRST_DATA_ROW - 1  # the last row written
    for line in lines:
        starts = {1: line.new_source, 2: line.new_problem, 3: line.new_item}
        for column, new in starts.items():
            if new or line.new_section:
                close(column, row)
        if line.new_section:
            row += 1
            sheet.append([put(section[0], line.section), *[put(cell, "") for cell in section[1:]]])
            sheet.merge(row, 1, row, ncols)
        row += 1
        values = list(line.cells)
        # Merged cells keep only their first value; the others are written empty, with borders.
        for column, new in starts.items():
            if new:
                opened[column] = row
            else:
                values[column - 1] = ""
        sheet.append([put(cell, value) for cell, value in zip(cells, values, strict=True)])
        count += 1
    for column in (1, 2, 3):
        close(column, row)
    wb.save(out)
    return count


# --- PDF ----------------------------------------------------------------------------------------------

LEDGER_TEMPLATE = "notices/ledger.html"


def ledger_html(
    rows: Iterable[Any], *, unit_label: str = "", day: dt.date | None = None, max_rows: int | None = None
) -> str:
    """The rows of ``ledger_queryset`` as the HTML weasyprint prints; InvalidInput past ``max_rows``."""
    # Counted before the document language is switched on: the refusal is for the reader.
    rows = list(rows) if max_rows is None else _at_most(rows, max_rows)
    day = day or clock.today()
    with wording.document_language():
        return document_html(
            LEDGER_TEMPLATE,
            {
                "lines": list(ledger_lines(rows, day)),
                "unit_label": unit_label,
                "day": wording.chinese_date(day),
                "w": wording,
            },
        )


def too_many_rows(limit: int) -> InvalidInput:
    return InvalidInput(
        _("The ledger has more than %(limit)d rows: too many for a PDF. Narrow the filters or download it as Excel.")
        % {"limit": limit},
        field="format",
    )


def _at_most(rows: Iterable[Any], limit: int) -> list[Any]:
    taken = []
    for row in rows:
        if len(taken) == limit:
            raise too_many_rows(limit)
        taken.append(row)
    return taken


def ledger_pdf(
    rows: Iterable[Any], *, unit_label: str = "", day: dt.date | None = None, max_rows: int | None = None
) -> bytes:
    return html_to_pdf(ledger_html(rows, unit_label=unit_label, day=day, max_rows=max_rows))
