"""Opening an uploaded sheet as a workbook, safely: its size, what it is (an .xlsx zip with no
zip bomb and no document types or entities in its XML, or an old .xls compound file), then
its sheets' rows, read lazily, and their merged cells. Every refusal is a message the office can
act on; ``notices.importer`` and ``notices.progress_sheet`` read the rows.

``open_book`` opens the workbook with every sheet; ``open_rows`` is the short way to one sheet's
rows (the problem-list sheet, or the first).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from .problem_list import SHEET_TITLE

MAX_FILE_BYTES = 10 * 1024 * 1024
# An .xlsx is a zip: refuse archives that would unpack into something huge (a zip bomb). The
# sizes checked are the central directory's, and zipfile never unpacks a part past its declared
# size (a part that lies fails its checksum instead). openpyxl holds the shared strings and the
# styles in memory whole, so each part is capped too: a 5,000-row list is a few megabytes of XML.
MAX_UNPACKED_BYTES = 128 * 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024
# A workbook's XML never declares a document type; one that does is refused before openpyxl
# sees it (defusedxml, which openpyxl uses when installed, refuses it again while parsing).
PROLOGUE_BYTES = 4096
DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Merged ranges read from one sheet: a 5,000-row ledger merging its problem, category, unit and
# deadline cells has some 20,000; more is not a list anyone keeps.
MAX_MERGES = 100_000
# Merged cells are filled in this far to the right: no list has more columns worth reading.
MAX_COLUMNS = 100
# An .xls sheet read at most this large: BIFF stores only the cells written, so a file of a few
# kilobytes can claim the last row and column (IV65536); its rows are read ragged (each as long as
# its last cell, not padded to the widest), and a sheet holding more than this is refused.
MAX_XLS_ROWS = 100_000
MAX_XLS_CELLS = 5_000_000
# The compound-file signature every .xls (BIFF8, Excel 97–2003) starts with.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK"
_CHUNK = 1024 * 1024


def _size(file: IO[bytes] | str) -> int | None:
    size = getattr(file, "size", None)
    if size is None and hasattr(file, "seek"):
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    return size


@dataclass(frozen=True)
class Merge:
    """A merged range, 1-based and inclusive: the value is in (first_row, first_col)."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass
class Rows:
    rows: Iterator[tuple[Any, ...]]
    last_row: int | None  # the sheet's own idea of its size; None when it does not say
    sheet_names: list[str] = field(default_factory=list)  # every sheet of the workbook
    sheet: str = ""  # the sheet these rows are from


def _not_a_workbook() -> str:
    return _("This is not an Excel workbook (.xlsx or .xls). Save it from Excel as .xlsx and try again.")


def _damaged() -> str:
    return _("The workbook is damaged and cannot be read: open it in Excel, save it again as .xlsx and try once more.")


def _forbidden_xml() -> str:
    return _(
        "The workbook contains XML declarations that are not allowed (a document type or entities). "
        "Save it again from Excel and try once more."
    )


def _too_many_merges() -> str:
    return _("The sheet has more than %(n)d merged cells: unmerge what is not needed and try again.") % {
        "n": MAX_MERGES
    }


def no_such_sheet(name: str, names: list[str]) -> str:
    return _("The workbook has no sheet “%(name)s”; its sheets are %(sheets)s.") % {
        "name": name[:50],
        "sheets": "、".join(f"“{n}”" for n in names),
    }


class UnreadableWorkbook(Exception):
    """The workbook failed while its rows were being read; ``message`` says so to the office."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _reading_error(exc: BaseException) -> str:
    # defusedxml's refusals (DTDForbidden, EntitiesForbidden, ...) all derive from one class;
    # openpyxl wraps some of them in a ValueError of its own, so the chain is searched.
    seen: BaseException | None = exc
    for _depth in range(10):
        if seen is None:
            break
        if isinstance(seen, DefusedXmlException):
            return _forbidden_xml()
        if isinstance(seen, UnreadableWorkbook):
            return seen.message
        seen = seen.__cause__ or seen.__context__
    return _damaged()


def _check_archive(archive: zipfile.ZipFile) -> str | None:
    """An error message for an archive we will not hand to openpyxl, or None."""
    infos = archive.infolist()
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        return _("The workbook unpacks to more than %(mb)d MB.") % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            return _("A part of the workbook unpacks to more than %(mb)d MB.") % {"mb": MAX_PART_BYTES // (1024 * 1024)}
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as part:
                if DOCTYPE.search(part.read(PROLOGUE_BYTES)):
                    return _forbidden_xml()
    return None


# --- the opened workbook -------------------------------------------------------------------------------


class Sheet:
    """One sheet: its name, its rows (read lazily, once per call) and its merged ranges."""

    name: str
    last_row: int | None

    def rows(self) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def merges(self) -> list[Merge]:
        raise NotImplementedError


class Book:
    sheet_names: list[str]

    def sheet(self, name: str) -> Sheet:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def release(self, name: str) -> None:
        """Forget the sheet ``name`` once it is not the one read (its cells need not stay in memory)."""


# The <mergeCells> element and its ranges, as Excel and others write them (any namespace prefix).
# In XML text a literal "<" is always markup (content escapes it as &lt;), so the tag cannot hide
# in a cell's text.
_MERGES_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCells[\s/>]")
_MERGES_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?mergeCells\s*>")
_MERGE_REF = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([A-Za-z]{1,3}\d{1,7}:[A-Za-z]{1,3}\d{1,7})[\"']"
)
_OVERLAP = 64  # bytes kept between chunks, so a tag split across two is still found


def _merges(source: IO[bytes]) -> list[Merge]:
    """The merged ranges of a sheet's XML part, read as a stream."""
    tail = b""
    found: bytearray | None = None
    while chunk := source.read(_CHUNK):
        if found is None:
            window = tail + chunk
            start = _MERGES_START.search(window)
            if start is None:
                tail = window[-_OVERLAP:]
                continue
            found = bytearray(window[start.start() :])
        else:
            found += chunk
        if _MERGES_END.search(found, max(0, len(found) - len(chunk) - _OVERLAP)):
            break
    if found is None:
        return []
    end = _MERGES_END.search(found)
    element = bytes(found[: end.end()] if end else found)
    merges = []
    for match in _MERGE_REF.finditer(element):
        if len(merges) >= MAX_MERGES:
            raise UnreadableWorkbook(_too_many_merges())
        min_col, min_row, max_col, max_row = range_boundaries(match.group(1).decode("ascii").upper())
        merges.append(Merge(min_row, min_col, max_row, max_col))
    return merges


class _XlsxSheet(Sheet):
    def __init__(self, worksheet: Any) -> None:
        self._ws = worksheet
        self.name = worksheet.title
        last_row = worksheet.max_row
        self.last_row = last_row if isinstance(last_row, int) else None
        # The dimension a file declares may be wrong (some programs write "A1"): read every cell
        # there is instead of trusting it.
        worksheet.reset_dimensions()

    def rows(self) -> Iterator[tuple[Any, ...]]:
        try:
            yield from self._ws.iter_rows(values_only=True)
        except Exception as exc:  # truncated XML, a bad checksum, defusedxml's refusal, ...
            raise UnreadableWorkbook(_reading_error(exc)) from exc

    def merges(self) -> list[Merge]:
        # openpyxl's read-only mode, which keeps a 5,000-row sheet cheap, does not read merged
        # cells, and loading the whole workbook to get them costs several times the time and
        # memory. The <mergeCells> element follows the rows in the sheet's XML: the part is
        # streamed once more (unpacking is cheap; its size is capped by MAX_PART_BYTES and was
        # checked for DTDs and entities before), the element found by its tag and its ranges
        # read by a strict pattern, at most MAX_MERGES of them. No XML parser sees the part
        # again, so the rows are not parsed twice and nothing can be expanded.
        try:
            # The read-only sheet's own way to its part inside the archive openpyxl keeps open.
            with self._ws._get_source() as source:
                return _merges(source)
        except UnreadableWorkbook:
            raise
        except Exception as exc:
            raise UnreadableWorkbook(_reading_error(exc)) from exc


class _NoCells(Sheet):
    def __init__(self, name: str) -> None:
        self.name = name
        self.last_row = 0

    def rows(self) -> Iterator[tuple[Any, ...]]:
        return iter(())

    def merges(self) -> list[Merge]:
        return []


class _XlsxBook(Book):
    def __init__(self, workbook: Any) -> None:
        self._wb = workbook
        self.sheet_names = list(workbook.sheetnames)

    def sheet(self, name: str) -> Sheet:
        try:
            worksheet = self._wb[name]
            if not hasattr(worksheet, "iter_rows"):
                return _NoCells(name)  # a chart sheet
            return _XlsxSheet(worksheet)
        except Exception as exc:  # a sheet whose part is missing or unreadable
            raise UnreadableWorkbook(_reading_error(exc)) from exc

    def close(self) -> None:
        self._wb.close()


def _open_xlsx(file: IO[bytes] | str) -> Book | str:
    try:
        archive = zipfile.ZipFile(file)
    except Exception:  # not a zip at all: zipfile raises BadZipFile, OSError, ValueError...
        return _not_a_workbook()
    try:
        with archive:
            refused = _check_archive(archive)
    except Exception as exc:  # a zip, but a part fails to unpack (bad data, a bad checksum)
        return _reading_error(exc)
    if refused:
        return refused
    try:
        if hasattr(file, "seek"):
            file.seek(0)
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign file raises anything from zipfile, XML or openpyxl
        return _reading_error(exc)
    if not workbook.sheetnames:
        workbook.close()
        return _damaged()
    return _XlsxBook(workbook)


# --- .xls (Excel 97–2003) ------------------------------------------------------------------------------


def _damaged_xls() -> str:
    return _("The .xls workbook is damaged and cannot be read: open it in Excel, save it as .xlsx and try once more.")


class _XlsSheet(Sheet):
    def __init__(self, book: Any, sheet: Any) -> None:
        self._book = book
        self._sheet = sheet
        self.name = sheet.name
        self.last_row = sheet.nrows

    def _value(self, kind: int, value: Any) -> Any:
        import xlrd

        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            return None
        if kind == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate.xldate_as_datetime(value, self._book.datemode)
            except Exception:  # a date cell holding a number that is no date: keep the number
                return value
        if kind == xlrd.XL_CELL_BOOLEAN:
            return bool(value)
        return value

    def rows(self) -> Iterator[tuple[Any, ...]]:
        import xlrd

        plain = (xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER)
        try:
            for index in range(self._sheet.nrows):
                kinds = self._sheet.row_types(index)
                values = self._sheet.row_values(index)
                yield tuple(
                    value if kind in plain else self._value(kind, value)
                    for kind, value in zip(kinds, values, strict=True)
                )
        except Exception as exc:
            raise UnreadableWorkbook(_damaged_xls()) from exc

    def merges(self) -> list[Merge]:
        ranges = self._sheet.merged_cells  # (first row, row after, first col, col after), 0-based
        if len(ranges) > MAX_MERGES:
            raise UnreadableWorkbook(_too_many_merges())
        return [Merge(r1 + 1, c1 + 1, r2, c2) for r1, r2, c1, c2 in ranges if r2 > r1 and c2 > c1]


class _XlsBook(Book):
    def __init__(self, book: Any) -> None:
        self._book = book
        self.sheet_names = list(book.sheet_names())

    def sheet(self, name: str) -> Sheet:
        try:
            sheet = self._book.sheet_by_name(name)
            cells = sum(sheet.row_len(index) for index in range(sheet.nrows)) if sheet.nrows <= MAX_XLS_ROWS else 0
        except Exception as exc:
            raise UnreadableWorkbook(_damaged_xls()) from exc
        if sheet.nrows > MAX_XLS_ROWS or cells > MAX_XLS_CELLS:
            self.release(name)
            raise UnreadableWorkbook(_too_large_xls(name))
        return _XlsSheet(self._book, sheet)

    def close(self) -> None:
        self._book.release_resources()

    def release(self, name: str) -> None:
        # A sheet never loaded, or already gone: nothing to forget.
        with contextlib.suppress(Exception):
            self._book.unload_sheet(name)


def _too_large_xls(name: str) -> str:
    return _(
        "The sheet “%(name)s” is too large to read (more than %(rows)d rows or %(cells)d cells): "
        "keep only the list on it, save it as .xlsx and try again."
    ) % {"name": name[:50], "rows": MAX_XLS_ROWS, "cells": MAX_XLS_CELLS}


def _open_xls(file: IO[bytes] | str) -> Book | str:
    # xlrd reads the whole compound file into memory: the file size is capped before, and xlrd
    # 2 reads nothing but BIFF (no formulas evaluated, no external links followed). Merged cells
    # are read only with the formatting records.
    import xlrd

    try:
        if isinstance(file, str):
            with open(file, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        else:
            file.seek(0)
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        book = xlrd.open_workbook(
            file_contents=data,
            formatting_info=True,
            on_demand=True,
            ragged_rows=True,
            logfile=_Quiet(),
            verbosity=0,
        )
    except Exception:  # xlrd raises XLRDError, CompDocError, struct.error, IndexError, ...
        return _damaged_xls()
    if not book.sheet_names():
        book.release_resources()
        return _damaged_xls()
    return _XlsBook(book)


class _Quiet:
    """xlrd's log, which would otherwise go to standard output."""

    def write(self, text: str) -> None:
        pass


# --- opening ---------------------------------------------------------------------------------------------


def _magic(file: IO[bytes] | str) -> bytes:
    if isinstance(file, str):
        with open(file, "rb") as handle:
            return handle.read(len(OLE2_MAGIC))
    if hasattr(file, "seek"):
        file.seek(0)
    head = file.read(len(OLE2_MAGIC))
    if hasattr(file, "seek"):
        file.seek(0)
    return head


def open_book(file: IO[bytes] | str) -> Book | str:
    """The workbook, or an error message for a file we will not read. Close it when done."""
    size = _size(file)
    if size is not None and size > MAX_FILE_BYTES:
        return _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
    try:
        head = _magic(file)
    except OSError:
        return _not_a_workbook()
    if head == OLE2_MAGIC:
        return _open_xls(file)
    if head.startswith(ZIP_MAGIC):
        return _open_xlsx(file)
    return _not_a_workbook()


def open_rows(file: IO[bytes] | str, sheet: str | None = None) -> Rows | str:
    """The rows of one sheet — ``sheet`` by name, else the problem-list sheet or the first — or
    an error message for a file we will not read (or a sheet it does not have).

    Iterating the rows may still raise ``UnreadableWorkbook``: an .xlsx is read lazily, so a part
    cut short or hostile further down fails only when reading gets there."""
    book = open_book(file)
    if isinstance(book, str):
        return book
    names = book.sheet_names
    if sheet is not None and sheet not in names:
        book.close()
        return no_such_sheet(sheet, names)
    name = sheet if sheet is not None else (SHEET_TITLE if SHEET_TITLE in names else names[0])
    try:
        opened = book.sheet(name)
    except UnreadableWorkbook as exc:
        book.close()
        return exc.message

    def rows() -> Iterator[tuple[Any, ...]]:
        try:
            yield from opened.rows()
        finally:
            book.close()

    return Rows(rows(), opened.last_row, names, name)


def cell_text(value: Any) -> str:
    """A cell's value as the text a person typed: whole numbers without ".0", dates in ISO form,
    trimmed; "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()
