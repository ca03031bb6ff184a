"""Reading a unit directory (单位通讯录) sheet into ``SheetRows``: the layout, the columns found by
their headings (also under a two-row heading), and each row's cells as text. ``notices.contacts``
checks the rows; this module only finds them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .contacts_layout import (
    BY_KEY,
    COLUMNS,
    HEADING_ALIASES,
    SHEET_TITLE,
    SUB_HEADINGS,
    heading_key,
)
from .importer import RowError
from .sheet_grid import Row, filled_rows
from .workbook import Book, cell_text

UNIT_LAYOUT = "unit"
PERSON_LAYOUT = "person"
# A directory is a few hundred rows; a sheet longer than this is something else, or two offices.
MAX_ROWS = 2000
MAX_BLANK_RUN = 200
HEADER_SEARCH_ROWS = 10
# A cell's text is kept up to this length: enough to say how long a too-long one is.
MAX_CELL = 1000
PHONE_WORDS = frozenset({"电话", "手机", "手机号", "手机号码", "联系电话", "联系方式"})


@dataclass
class SheetRows:
    """The sheet's cells as text, by column key: what the preview signs into its confirm form."""

    layout: str
    headings: dict[str, str]  # column key → the heading as the sheet writes it
    records: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def to_payload(self) -> dict[str, Any]:
        return {"layout": self.layout, "headings": self.headings, "records": [[n, c] for n, c in self.records]}

    @classmethod
    def from_payload(cls, data: Any) -> SheetRows | None:
        """Back from ``to_payload``; None for anything else (the payload comes signed, but a
        signed payload of an older version of this module may not fit)."""
        try:
            layout, headings = data["layout"], data["headings"]
            records = [(int(n), {str(k): str(v) for k, v in cells.items()}) for n, cells in data["records"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if layout not in (UNIT_LAYOUT, PERSON_LAYOUT) or not isinstance(headings, dict):
            return None
        return cls(layout, {str(k): str(v) for k, v in headings.items() if k in BY_KEY}, records)


def read_book(book: Book) -> SheetRows | list[RowError]:
    names = sorted(book.sheet_names, key=lambda n: n != SHEET_TITLE)  # ours first, then in order
    for name in names:
        sheet = book.sheet(name)
        # Merged cells read as a person sees them: a unit's name merged down over its people's
        # rows names the unit on each of them.
        rows = filled_rows(sheet.rows(), sheet.merges())
        first = list(itertools.islice(rows, HEADER_SEARCH_ROWS + 1))
        if _header_at(first) is not None:
            return read_rows(itertools.chain(first, rows))
        rows.close()
        book.release(name)  # an .xls keeps every sheet it loaded in memory until told otherwise
    return [
        RowError(
            0,
            "",
            _("No heading row with “%(heading)s” in the first %(n)d rows: start from the template.")
            % {"heading": BY_KEY["name"].heading, "n": HEADER_SEARCH_ROWS},
        )
    ]


def _header_at(rows: list[Row]) -> int | None:
    table = _heading_table()
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(table.get(heading_key(cell_text(v))) == "name" for v in row.values):
            return index
    return None


def _heading_table() -> dict[str, str]:
    table = {heading_key(c.heading): c.key for c in COLUMNS}
    table.update({heading_key(k): v for k, v in HEADING_ALIASES.items()})
    return table


def _sub_key(top_key: str | None, sub: str) -> str | None:
    """The column under a group heading: 联络员 over 电话 is the liaison's phone."""
    if top_key not in ("liaison", "leader"):
        return None
    if sub == "姓名":
        return top_key
    if sub in ("职务", "职位"):
        return f"{top_key}_title"
    if sub in PHONE_WORDS:
        return f"{top_key}_phone"
    return None


def _columns(top: Row, sub: Row | None, number: int) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """{key: column index}, {key: heading as written}, errors for the heading row(s)."""
    table = _heading_table()
    found: dict[str, int] = {}
    written: dict[str, str] = {}
    errors: list[RowError] = []
    group_text, group_key = "", None
    width = max(len(top.values), len(sub.values) if sub is not None else 0)
    for index in range(width):
        text = cell_text(top.get(index))
        if text:
            group_text, group_key = text, table.get(heading_key(text))
        # A lower cell filled from the heading merged down over both rows is that heading.
        sub_text = cell_text(sub.get(index)) if sub is not None and index not in sub.covered else ""
        key, label = (group_key, text) if text else (None, "")
        if sub_text:
            # Under a heading merged across the group, the group is the last heading seen.
            under = _sub_key(group_key, heading_key(sub_text))
            if under is not None:
                key, label = under, f"{group_text}{sub_text}"
            elif not text:
                key, label = table.get(heading_key(sub_text)), sub_text
        if key is None:
            continue  # a column of the office's own (序号, 备注 …), or an empty one: not ours
        if key in found:
            errors.append(RowError(number, label, _("This column appears twice; keep one of them.")))
            continue
        found[key] = index
        written[key] = label
    return found, written, errors


def _is_sub_heading_row(row: Row) -> bool:
    texts = [heading_key(cell_text(v)) for i, v in enumerate(row.values) if cell_text(v) and i not in row.covered]
    return bool(texts) and all(t in SUB_HEADINGS for t in texts)


def read_rows(rows: Iterator[Row]) -> SheetRows | list[RowError]:
    """The heading and the rows' text (``rows``: the sheet's, merged cells filled), or the errors
    that stop reading (no heading, a column twice, too many rows)."""
    first = list(itertools.islice(rows, HEADER_SEARCH_ROWS + 1))
    at = _header_at(first)
    if at is None:
        return [
            RowError(
                0,
                "",
                _("No heading row with “%(heading)s” in the first %(n)d rows: start from the template.")
                % {"heading": BY_KEY["name"].heading, "n": HEADER_SEARCH_ROWS},
            )
        ]
    top = first[at]
    following = first[at + 1] if at + 1 < len(first) else next(rows, None)
    sub = following if following is not None and _is_sub_heading_row(following) else None
    columns, headings, errors = _columns(top, sub, sub.number if sub is not None else top.number)
    layout = PERSON_LAYOUT if "person" in columns else UNIT_LAYOUT
    if layout == PERSON_LAYOUT and "role" not in columns:
        errors.append(RowError(top.number, BY_KEY["role"].heading, _("The column is missing.")))
    if errors:
        return errors
    sheet = SheetRows(layout, headings)
    last_heading = sub.number if sub is not None else top.number
    rest = first[at + 1 :] if at + 1 < len(first) else ([following] if following is not None else [])
    blank = 0
    for row in itertools.chain(rest, rows):
        if row.number <= last_heading:
            continue
        cells = {key: cell_text(row.get(index))[:MAX_CELL] for key, index in columns.items()}
        if not any(cells.values()):
            # Sheets formatted far below the list end in blank rows: a long run is the end.
            blank += 1
            if blank > MAX_BLANK_RUN:
                break
            continue
        blank = 0
        if len(sheet.records) >= MAX_ROWS:
            return [
                RowError(
                    row.number,
                    "",
                    _("A directory has at most %(n)d rows: split the file and import the parts one after the other.")
                    % {"n": MAX_ROWS},
                )
            ]
        sheet.records.append((row.number, {k: v for k, v in cells.items() if v}))
    return sheet
