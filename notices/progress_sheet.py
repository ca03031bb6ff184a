"""Bulk progress reporting (批量报送整改进展) through Excel: the sheet a unit downloads, and the
upload that reports every filled-in row, all rows or none.

The sheet holds one row per assignment the user may report on now (the step table's
``REPORT`` step decides, as it decides the button on the task page): its number, the problem,
the deadline, the last report, and an empty 本期进展 column to fill in. A hidden 任务编号
column names the assignment; the sheet is protected so that only the progress cells can be
typed in. Protection is a convenience for the person filling it in, not a check: every row of
an upload is checked again here (the assignment is theirs and reportable now, the text fits),
every error comes back at once with its row and column, and then one transaction reports each
row through ``services.assignment_report_progress`` — so a row for an assignment already
reported this cycle amends that report, as the task page does. Rows left empty are skipped.

The upload is opened, and refused when hostile, by ``notices.workbook``: this module's sheet is
the workbook's first, which is the one it reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from supervision import services
from supervision.models import OPEN_STATES, Assignment, ProgressReport, ReportKind, Unit, User
from supervision.selectors import rankings, visibility
from supervision.services import DomainError
from supervision.services.roles import roles_by_unit
from supervision.services.steps import REPORT, refusal
from supervision.services.transitions import MAX_REPORT

from . import wording
from .directory import normalise
from .importer import RowError
from .progress import ImportProgress
from .workbook import Rows, UnreadableWorkbook, cell_text, open_rows
from .xlsx import text


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    width: float


# The headings are the sheet's interface, fixed Chinese words like the problem list's; the
# upload finds its two columns (任务编号, 本期进展) by heading, wherever they are.
COLUMNS = (
    Column("id", "任务编号", 10),
    Column("seq", "序号", 6),
    Column("number", "文号", 26),
    Column("description", "问题描述", 44),
    Column("deadline", "整改时限", 20),
    Column("last", "上次报送", 40),
    Column("progress", "本期进展", 50),
)
BY_KEY = {c.key: c for c in COLUMNS}
PROGRESS_HEADING = BY_KEY["progress"].heading
SHEET_TITLE = "整改进展报送"
TITLE = "整改进展报送表"
UNIT_LABEL = "单位："
DATE_LABEL = "时间："
THIS_CYCLE = "（本期已报，再次填写将修改本期报送）"
ITEM_SEQ = "第{seq}项"
NO_REPORT = "尚未报送"
# Shown by Excel when a progress cell is longer than a report may be.
TOO_LONG_TITLE = "内容过长"
TOO_LONG_TEXT = "本期进展不超过{limit}字。"
HEADER_ROW = 3  # title, unit and date, then the headings
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 5000
MAX_BLANK_RUN = 1000
PROGRESS_EVERY = 100

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top", wrap_text=True)


# --- what may be reported ------------------------------------------------------------------------


def reportable(user: User) -> list[Assignment]:
    """The assignments ``user`` may report progress on now, soonest deadline first, each with
    ``last_text``, ``last_at`` (its latest progress report) and ``this_cycle`` (that report is
    this cycle's, so a new one amends it). Two queries: the user's roles, then the rows."""
    units = [unit for unit, held in roles_by_unit(user).items() if held & set(REPORT.roles)]
    if not units:
        return []
    latest = ProgressReport.objects.filter(assignment=OuterRef("pk"), kind=ReportKind.PROGRESS).order_by(
        "-created_at", "-id"
    )
    rows = (
        Assignment.objects.filter(unit_id__in=units, state__in=OPEN_STATES)
        .select_related("item", "letter", "unit", "claimed_by")
        .annotate(
            last_text=Subquery(latest.values("text")[:1]),
            last_at=Subquery(latest.values("created_at")[:1]),
            last_cycle=Subquery(latest.values("cycle_seq")[:1]),
        )
        .order_by("deadline", "letter_id", "item__seq", "id")
    )
    seq = rankings.report_span().seq
    found = []
    # The step table has the last word (state, the claimer, whatever else it asks): the same
    # reading as the task page's button, made on rows already in memory.
    for a in rows:
        if refusal(REPORT, user, a) is None:
            a.this_cycle = a.last_cycle == seq
            found.append(a)
    return found


def task_number(a: Assignment) -> str:
    """How an assignment is named on paper: its letter's number and the item's place in it."""
    return f"{a.letter.number or a.letter.title} {ITEM_SEQ.format(seq=a.item.seq)}"


def _local_date(at: dt.datetime) -> str:
    return wording.chinese_date(timezone.localdate(at))


def _last_report(a: Assignment) -> str:
    if a.last_at is None:
        return NO_REPORT
    said = f"{_local_date(a.last_at)}：{a.last_text}"
    return f"{said}\n{THIS_CYCLE}" if a.this_cycle else said


# --- the sheet -----------------------------------------------------------------------------------


def write_progress_sheet(
    out: IO[bytes] | str,
    assignments: list[Assignment],
    *,
    unit_label: str,
    day: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """The sheet for ``assignments`` (from ``reportable``). Returns the rows written.
    ``progress`` (optional) hears ``(rows written, rows in all)`` every ``PROGRESS_EVERY`` rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    last_column = len(COLUMNS)
    ws.cell(row=1, column=1, value=TITLE).font = Font(bold=True, size=16)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_column)
    ws.row_dimensions[1].height = 30
    ws.cell(row=2, column=2, value=text(f"{UNIT_LABEL}{unit_label}"))
    ws.cell(row=2, column=last_column, value=f"{DATE_LABEL}{wording.chinese_date(day)}")
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=column.heading)
        cell.font = Font(bold=True, color="C00000" if column.key == "progress" else "000000")
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = _BOX
        ws.column_dimensions[cell.column_letter].width = column.width
    # The id is the sheet's own business: hidden, and (with the sheet protected) not editable.
    ws.column_dimensions["A"].hidden = True
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    progress_index = COLUMNS.index(BY_KEY["progress"]) + 1
    with wording.document_language():
        for n, a in enumerate(assignments, start=1):
            values = {
                "id": a.pk,
                "seq": n,
                "number": task_number(a),
                "description": a.item.description,
                "deadline": wording.deadline_text(a.deadline, a.item.deadline_kind),
                "last": _last_report(a),
                "progress": "",
            }
            row = HEADER_ROW + n
            for index, column in enumerate(COLUMNS, start=1):
                value = values[column.key]
                cell = ws.cell(row=row, column=index)
                if isinstance(value, str):
                    if value:
                        cell.value = text(value)
                        cell.data_type = "s"  # text stays text: "=…" is never a formula
                else:
                    cell.value = value
                cell.alignment = _TOP
                cell.border = _BOX
            ws.cell(row=row, column=progress_index).protection = Protection(locked=False)
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n, len(assignments))
    count = len(assignments)
    if count:
        letter = ws.cell(row=HEADER_ROW, column=progress_index).column_letter
        validation = DataValidation(
            type="textLength",
            operator="lessThanOrEqual",
            formula1=str(MAX_REPORT),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=TOO_LONG_TITLE,
            error=TOO_LONG_TEXT.format(limit=MAX_REPORT),
        )
        validation.add(f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + count}")
        ws.add_data_validation(validation)
    # Only the progress cells take typing; rows may still be made taller to read long text.
    ws.protection.sheet = True
    ws.protection.formatRows = False
    wb.save(out)
    return count


# --- reading an upload -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    row: int
    assignment: Assignment
    text: str
    amends: bool  # this cycle's report exists: the row replaces its text


@dataclass
class ProgressUpload:
    rows: list[SheetRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # After saving: the rows reported, and how many of them amended this cycle's report.
    reported: int = 0
    amended: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        said = ngettext(
            "Progress reported on %(n)d assignment.", "Progress reported on %(n)d assignments.", self.reported
        ) % {"n": self.reported}
        if self.amended:
            said += " " + ngettext(
                "%(n)d of them replaced this cycle's earlier report.",
                "%(n)d of them replaced this cycle's earlier reports.",
                self.amended,
            ) % {"n": self.amended}
        return said


def _heading_key(value: Any) -> str:
    return normalise(cell_text(value)).replace("*", "")


def _find_header(rows: Iterator[tuple[Any, ...]]) -> tuple[int, dict[str, int]] | None:
    """(header row number, {"id": index, "progress": index}) from the first rows, or None."""
    wanted = {_heading_key(BY_KEY[key].heading): key for key in ("id", "progress")}
    for number, row in enumerate(rows, start=1):
        found: dict[str, int] = {}
        for index, value in enumerate(row):
            key = wanted.get(_heading_key(value))
            if key is not None:
                found.setdefault(key, index)
        if len(found) == len(wanted):
            return number, found
        if number >= HEADER_SEARCH_ROWS:
            break
    return None


def _file_error(message: str) -> ProgressUpload:
    return ProgressUpload(errors=[RowError(0, "", message)])


def _wrong_sheet() -> str:
    return _(
        "This is not the progress sheet: no heading row with “%(id)s” and “%(progress)s”. "
        "Download the sheet again and fill in the column “%(progress)s”."
    ) % {"id": BY_KEY["id"].heading, "progress": BY_KEY["progress"].heading}


def _task_id(value: Any) -> int | None:
    raw = cell_text(value)
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def parse_progress_sheet(
    file: IO[bytes] | str, *, actor: User, progress: ImportProgress | None = None
) -> ProgressUpload:
    """Read and check every row of an upload; nothing is written."""
    opened = open_rows(file)
    if isinstance(opened, str):
        return _file_error(opened)
    try:
        return _parse_rows(opened, actor, progress)
    except UnreadableWorkbook as exc:
        return _file_error(exc.message)


def _parse_rows(opened: Rows, actor: User, progress: ImportProgress | None) -> ProgressUpload:
    rows = opened.rows
    header = _find_header(rows)
    if header is None:
        return _file_error(_wrong_sheet())
    header_row, columns = header
    below = opened.last_row - header_row if opened.last_row else None
    total = below if below is not None and 0 <= below <= MAX_ROWS else None
    if progress is not None:
        progress.reading(0, total)
    filled: list[tuple[int, int | None, str]] = []  # (row, task id, text) of the rows filled in
    blank = read = 0
    upload = ProgressUpload()
    for number, row in enumerate(rows, start=header_row + 1):
        if progress is not None:
            progress.reading(number - header_row, total)
        said = cell_text(row[columns["progress"]] if columns["progress"] < len(row) else None)
        if not said:
            # Rows nobody filled in are skipped. Sheets formatted far down end in a long run of
            # them: that is the end of the list.
            blank += 1
            if blank > MAX_BLANK_RUN:
                break
            continue
        blank = 0
        read += 1
        if read > MAX_ROWS:
            upload.errors.append(
                RowError(number, "", _("A sheet has at most %(n)d rows: split the file.") % {"n": MAX_ROWS})
            )
            break
        filled.append((number, _task_id(row[columns["id"]] if columns["id"] < len(row) else None), said))
    _check_rows(upload, filled, actor)
    if not upload.errors and not upload.rows:
        upload.errors.append(
            RowError(
                0,
                "",
                _("No progress is filled in: write it in the column “%(progress)s” and upload the sheet again.")
                % {"progress": BY_KEY["progress"].heading},
            )
        )
    return upload


def _check_rows(upload: ProgressUpload, filled: list[tuple[int, int | None, str]], actor: User) -> None:
    mine = {a.pk: a for a in reportable(actor)}
    # Assignments named that the user may see but not report on now: the step table says why.
    others = {
        a.pk: a
        for a in visibility.assignments_visible_to(actor)
        .filter(pk__in={pk for _row, pk, _text in filled if pk is not None and pk not in mine})
        .select_related("item", "letter", "unit", "claimed_by")
    }
    progress_heading, id_heading = BY_KEY["progress"].heading, BY_KEY["id"].heading
    seen: dict[int, int] = {}
    errors = []
    for number, pk, said in filled:
        a = mine.get(pk) if pk is not None else None
        if a is None:
            other = others.get(pk) if pk is not None else None
            refused = refusal(REPORT, actor, other) if other is not None else None
            if refused is not None:
                errors.append(RowError(number, progress_heading, refused.message))
            else:
                errors.append(
                    RowError(
                        number,
                        id_heading,
                        _(
                            "This row does not name an assignment of yours: download the sheet again "
                            "and copy the progress into it."
                        ),
                    )
                )
            continue
        if pk in seen:
            errors.append(
                RowError(number, progress_heading, _("The same assignment as row %(row)d.") % {"row": seen[pk]})
            )
            continue
        seen[pk] = number
        if len(said) > MAX_REPORT:
            errors.append(
                RowError(
                    number,
                    progress_heading,
                    _("Too long: %(length)d characters, at most %(limit)d.")
                    % {"length": len(said), "limit": MAX_REPORT},
                )
            )
            continue
        upload.rows.append(SheetRow(number, a, said, amends=a.this_cycle))
    upload.errors = errors + upload.errors


# --- reporting -------------------------------------------------------------------------------------


def progress_sheet_report(
    *, actor: User, workbook_file: IO[bytes] | str, progress: ImportProgress | None = None
) -> ProgressUpload:
    """Report every filled-in row of an uploaded progress sheet, or none of them.

    Each row goes through ``services.assignment_report_progress`` (its checks under the row's
    lock, its audit row, its notifications), in one transaction: should one still be refused
    (the assignment moved on since the sheet was checked), nothing is kept and the refusal
    lands on its row. ``progress`` (optional) hears how far reading and saving have got."""
    upload = _report(actor, workbook_file, progress)
    if progress is not None:
        progress.finished(imported=upload.reported, errors=len(upload.errors))
    return upload


def _report(actor: User, workbook_file: IO[bytes] | str, progress: ImportProgress | None) -> ProgressUpload:
    upload = parse_progress_sheet(workbook_file, actor=actor, progress=progress)
    if upload.errors:
        return upload
    current: SheetRow | None = None
    try:
        with transaction.atomic():
            for done, current in enumerate(upload.rows):
                if progress is not None:
                    progress.saving(done, len(upload.rows))
                services.assignment_report_progress(actor=actor, assignment=current.assignment.pk, text=current.text)
    except DomainError as exc:
        row = current.row if current is not None else 0
        return ProgressUpload(errors=[RowError(row, BY_KEY["progress"].heading, exc.message)])
    upload.reported = len(upload.rows)
    upload.amended = sum(1 for r in upload.rows if r.amends)
    return upload


def progress_sheet_filename(units: list[str], day: dt.date) -> str:
    label = "（" + "、".join(units) + "）" if units else ""
    return f"{TITLE}{label}{day:%Y%m%d}.xlsx".replace("/", "_").replace("\\", "_")


def units_label(assignments: list[Assignment], user: User) -> list[str]:
    """The units the sheet is for: those of its rows, else every unit where the user reports."""
    names = {a.unit.display_name: None for a in assignments}
    if not names:
        held = [unit for unit, roles in roles_by_unit(user).items() if roles & set(REPORT.roles)]
        names = {u.display_name: None for u in Unit.objects.filter(pk__in=held).order_by("kind", "sort_order", "id")}
    return list(names)
