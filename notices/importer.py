"""Reading a problem list (问题清单 / 整改台账) from Excel as offices keep it: every row checked,
every error reported at once, every guess said.

Nothing is written here: ``parse_workbook`` returns the items it understood, the errors it found
(each with the sheet's row number and the column heading, so the office can fix the whole file
in one go) and the warnings where it guessed, for the preview. A row with an error makes no item;
the other rows are still returned, so the preview shows them beside the errors: items do not
mean the sheet is clean, ``errors`` says that. ``notices.services`` writes the result through
the supervision services, all rows or none: nothing while any error stands.

What is read (the conventions of real ledgers, no hand editing needed):

* the file: .xlsx or .xls (``notices.workbook``, which refuses hostile files), any sheet —
  ``sheet=`` by name, by default the first with a recognisable heading row;
* the headings (``notices.sheet_layout``): the project's template (``problem_list.COLUMNS``) or
  an office's own words, one row or two grouped rows under title rows; merged cells read as a
  person sees them (``notices.sheet_grid``);
* section rows (一、共性问题, 个性问题（自查）) set the category and source of the rows below;
* one problem, several measures: a 问题描述 repeated on consecutive rows, written once in a
  cell merged down, or left empty below, with a measure on each row, is ONE problem: each
  measure is its own item, and the items of one problem share ``problem_no``. Measures keep
  their text as written, numbering ("1.", "（1）", "①") included;
* units (``notices.sheet_units``): several in one cell, collective names (各县（市、区）…);
* deadlines (``notices.deadlines``): as written, 长期坚持 and 立行立改 included.

Problem numbers: when any problem of the sheet has several measures, every problem is numbered
1, 2, … in the order it first appears (a ledger numbers them all: 问题一, 问题二…), a problem
with one measure too; when none has, every item stands alone (``None``), as a list of one row
per problem always did. A 问题编号 column (the project's own export writes one) is taken as
written instead: the same number is the same problem, an empty cell an item standing alone.
These are the sheet's numbers: a letter that already has problems numbers the new ones after
its own (``notices.services``).

Errors stay errors (an unknown unit with suggestions, a bad deadline, a missing problem or
measure, a duplicate); what the importer had to guess is a warning, never an error.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from supervision import clock

from .directory import UnitDirectory
from .parsed_items import (
    MAX_BLANK_RUN,
    MAX_ROWS,
    ParsedItem,
    ParsedSheet,
    RowError,
    duplicate_key,
)
from .problem_list import BY_KEY
from .progress import ImportProgress
from .sheet_grid import Row, filled_rows
from .sheet_layout import (
    HEADER_SEARCH_ROWS,
    Layout,
    describe_not_imported,
    find_layout,
)
from .sheet_rows import RowReader
from .workbook import Book, Sheet, UnreadableWorkbook, no_such_sheet, open_book

__all__ = [
    "BY_KEY",
    "HEADER_SEARCH_ROWS",
    "MAX_ROWS",
    "ParsedItem",
    "ParsedSheet",
    "RowError",
    "duplicate_key",
    "parse_workbook",
]

# --- the workbook ---------------------------------------------------------------------------------


def _no_heading(several: bool) -> str:
    if several:
        return _("No sheet has a heading row with “%(heading)s” in its first %(n)d rows: start from the template.") % {
            "heading": BY_KEY["description"].heading,
            "n": HEADER_SEARCH_ROWS,
        }
    return _("No heading row with “%(heading)s” in the first %(n)d rows: start from the template.") % {
        "heading": BY_KEY["description"].heading,
        "n": HEADER_SEARCH_ROWS,
    }


def parse_workbook(
    file: IO[bytes] | str,
    *,
    campaign_year: int,
    directory: UnitDirectory,
    existing: dict[tuple[str, ...], int] | None = None,
    progress: ImportProgress | None = None,
    sheet: str | None = None,
    today: dt.date | None = None,
) -> ParsedSheet:
    """Read and check every row of one sheet.

    ``existing``: ``duplicate_key``s of the letter's items → their number; ``progress``: told how
    many rows have been read; ``sheet``: the sheet to read (default: the first with a heading
    row); ``today``: the import's day, from which 立行立改 deadlines are counted."""
    book = open_book(file)
    if isinstance(book, str):
        return ParsedSheet(errors=[RowError(0, "", book)])
    result = ParsedSheet(sheet_names=list(book.sheet_names))
    try:
        _parse_book(
            book,
            result,
            sheet=sheet,
            reader=RowReader(campaign_year, directory, existing or {}, today or clock.today()),
            progress=progress,
        )
    except UnreadableWorkbook as exc:
        # Whatever rows were read before are dropped: a list is imported whole or not at all.
        result.items, result.warnings = [], []
        result.errors = [RowError(0, "", exc.message)]
    finally:
        book.close()
    return result


def _first_rows(sheet: Sheet, merges: list | None = None) -> tuple[list[Row], Iterator[Row]]:
    rows = filled_rows(sheet.rows(), merges or [])
    # One row more than searched: the lower row of a heading found on the last row searched.
    return list(itertools.islice(rows, HEADER_SEARCH_ROWS + 1)), rows


def _choose_sheet(book: Book, result: ParsedSheet, wanted: str | None) -> Sheet | None:
    names = result.sheet_names
    if wanted is not None:
        if wanted not in names:
            result.errors.append(RowError(0, "", no_such_sheet(wanted, names)))
            return None
        return book.sheet(wanted)
    for name in names:
        candidate = book.sheet(name)
        first, rest = _first_rows(candidate)
        rest.close()
        if find_layout(first) is not None:
            return candidate
        book.release(name)  # an .xls keeps every sheet it loaded in memory until told otherwise
    result.errors.append(RowError(0, "", _no_heading(len(names) > 1)))
    return None


def _parse_book(
    book: Book, result: ParsedSheet, *, sheet: str | None, reader: RowReader, progress: ImportProgress | None
) -> None:
    chosen = _choose_sheet(book, result, sheet)
    if chosen is None:
        return
    result.sheet = chosen.name
    first, rest = _first_rows(chosen, chosen.merges())
    layout = find_layout(first)
    if layout is None:
        result.errors.append(RowError(0, "", _no_heading(False)))
        return
    errors = _layout_errors(layout)
    if errors:
        result.errors.extend(errors)
        return
    if layout.not_imported:
        result.warnings.append(RowError(0, "", describe_not_imported(layout)))
    reader.start(layout)
    rows = itertools.chain((r for r in first if r.number > layout.last_row), rest)
    # The sheet's last row is a fair total unless it was formatted far below the list (then the
    # page shows the rows read without pretending to know how many remain).
    below = chosen.last_row - layout.last_row if chosen.last_row else None
    total = below if below is not None and 0 <= below <= MAX_ROWS else None
    if progress is not None:
        progress.reading(0, total)
    blank = read = 0
    for row in rows:
        if progress is not None:
            progress.reading(row.number - layout.last_row, total)
        if reader.other_row(row):
            blank = 0
            continue
        if not reader.written(row):
            # A blank line, or one whose only cells are merged from above. Sheets formatted down
            # to row 1,048,576 end in a million of them: a long enough run is the end of the list.
            blank += 1
            if blank > MAX_BLANK_RUN:
                break
            continue
        blank = 0
        read += 1
        if read > MAX_ROWS:
            reader.errors.append(
                RowError(row.number, "", _("A list has at most %(n)d problems: split the file.") % {"n": MAX_ROWS})
            )
            break
        reader.parse(row)
    result.items = reader.finish()
    result.numbers_written = reader.numbers_written
    result.errors = reader.errors
    result.warnings.extend(reader.sheet_warnings)


def _layout_errors(layout: Layout) -> list[RowError]:
    errors = [
        RowError(layout.last_row, layout.headings[key], _("This column appears twice; keep one of them."))
        for key in layout.duplicates
    ]
    if "deadline" not in layout.columns:
        errors.append(RowError(layout.last_row, BY_KEY["deadline"].heading, _("The column is missing.")))
    return errors
