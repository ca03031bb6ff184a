"""Opening an uploaded problem list as a workbook, safely: its size, the archive it is (no zip
bombs, no document types or entities in its XML), then its sheet's rows, read lazily. Every
refusal is a message the office can act on; ``notices.importer`` reads the rows.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _
from openpyxl import load_workbook

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


def _size(file: IO[bytes] | str) -> int | None:
    size = getattr(file, "size", None)
    if size is None and hasattr(file, "seek"):
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    return size


@dataclass
class Rows:
    rows: Iterator[tuple[Any, ...]]
    last_row: int | None  # the sheet's own idea of its size; None when it does not say


def _not_a_workbook() -> str:
    return _("This is not an Excel workbook (.xlsx). Save it as .xlsx and try again.")


def _damaged() -> str:
    return _("The workbook is damaged and cannot be read: open it in Excel, save it again as .xlsx and try once more.")


def _forbidden_xml() -> str:
    return _(
        "The workbook contains XML declarations that are not allowed (a document type or entities). "
        "Save it again from Excel and try once more."
    )


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


def open_rows(file: IO[bytes] | str, sheet: str | None = None) -> Rows | str:
    """The rows of the problem-list sheet, or an error message for a file we will not read.

    Iterating the rows may still raise ``UnreadableWorkbook``: openpyxl reads the sheet lazily,
    so a part cut short or hostile further down fails only when reading gets there."""
    size = _size(file)
    if size is not None and size > MAX_FILE_BYTES:
        return _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
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

    try:
        sheet = workbook[SHEET_TITLE] if SHEET_TITLE in workbook.sheetnames else workbook.worksheets[0]
        last_row = sheet.max_row
    except Exception as exc:  # a workbook without a readable sheet
        workbook.close()
        return _reading_error(exc)

    def rows() -> Iterator[tuple[Any, ...]]:
        try:
            yield from sheet.iter_rows(values_only=True)
        except Exception as exc:  # truncated XML, a bad checksum, defusedxml's refusal, ...
            raise UnreadableWorkbook(_reading_error(exc)) from exc
        finally:
            workbook.close()

    return Rows(rows(), last_row if isinstance(last_row, int) else None)


def cell_text(value: Any) -> str:
    """A cell's value as the text a person typed: whole numbers without ".0", dates in ISO form,
    trimmed; "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()
