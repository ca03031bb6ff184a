"""Reading an exported ledger (.xlsx) back: its lines, apart from the rows heading each category's
section (一、共性问题 …), which the tests of what a ledger holds leave aside."""

from __future__ import annotations

import re
from typing import Any

from notices.ledger import FIRST_DATA_ROW

SECTION = re.compile(r"^[一二三四五六七八九十]+、")


def is_section(row: list[Any]) -> bool:
    return bool(row[0]) and bool(SECTION.match(str(row[0]))) and not any(row[1:])


def sheet_rows(ws: Any) -> list[list[Any]]:
    """Every row under the heading rows: sections and lines."""
    return [list(r) for r in ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True)]


def sheet_lines(ws: Any) -> list[list[Any]]:
    """The lines only: one per assignment."""
    return [row for row in sheet_rows(ws) if not is_section(row)]
