"""Streaming Excel sheets: openpyxl's write-only mode, plus merged cells that do not grow with the data.

A write-only worksheet writes each row to a temporary file as it is appended, and openpyxl 3.1
writes strings inline (no shared-string table), so memory stays flat however many rows go
out. Two things would still grow: openpyxl keeps merged ranges as one ``CellRange`` object
each (hundreds of bytes) and serialises them all as one tree at the end. Here they are packed
four integers to a range and streamed out with the rest of the sheet.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.functions import Element

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses longer cell text.
MAX_CELL_TEXT = 32_767


class PackedRanges:
    """Merged ranges, 16 bytes each (four unsigned ints); iterates as "A1:B2" strings."""

    def __init__(self) -> None:
        self._bounds = array("I")  # 4 bytes each: Excel has at most 1,048,576 rows

    def add(self, min_row: int, min_col: int, max_row: int, max_col: int) -> None:
        self._bounds.extend((min_row, min_col, max_row, max_col))

    def __len__(self) -> int:
        return len(self._bounds) // 4

    def __bool__(self) -> bool:
        return bool(self._bounds)

    def __iter__(self) -> Iterator[str]:
        b = self._bounds
        for i in range(0, len(b), 4):
            yield f"{get_column_letter(b[i + 1])}{b[i]}:{get_column_letter(b[i + 3])}{b[i + 2]}"


class _Writer(WorksheetWriter):
    def write_merged_cells(self) -> None:
        merged = self.ws.merged_cells
        if not merged:
            return
        # The same protocol write_rows uses: borrow the raw XML stream, give it back after.
        xf = self.xf.send(True)
        with xf.element("mergeCells", {"count": str(len(merged))}):
            for ref in merged:
                xf.write(Element("mergeCell", {"ref": ref}))
        self.xf.send(None)


def text(value: Any) -> str:
    """A cell's text: no control characters (Excel rejects the file), within Excel's length."""
    return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))[:MAX_CELL_TEXT]


class StreamingSheet:
    """One write-only worksheet. Set widths, views and print setup before the first row."""

    def __init__(self, workbook: Workbook, title: str, widths: Sequence[float]):
        self.ws = workbook.create_sheet(title=title)
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.merges = PackedRanges()
        self.ws.merged_cells = self.merges
        self.rows = 0

    def cell(self, **style: Any) -> Cell:
        """A styled cell to reuse row after row: write-only rows are written as they are
        appended, so one styled cell per column costs the style lookup once, not per row."""
        cell = WriteOnlyCell(self.ws)
        for name, value in style.items():
            setattr(cell, name, value)
        return cell

    def append(self, values: Sequence[Any]) -> int:
        """Append a row; returns its number (1-based)."""
        if self.rows == 0 and self.ws._writer is None:
            self.ws._writer = _Writer(self.ws)
            self.ws._writer.write_top()
        self.ws.append(list(values))
        self.rows += 1
        return self.rows

    def merge(self, min_row: int, min_col: int, max_row: int, max_col: int) -> None:
        if (min_row, min_col) != (max_row, max_col):
            self.merges.add(min_row, min_col, max_row, max_col)


def put(cell: Cell, value: Any) -> Cell:
    """Set a reusable cell's value. Text stays text: "=…" from a user is never a formula."""
    if isinstance(value, str) or value is None:
        cell.value = text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell
