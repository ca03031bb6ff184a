"""Reading a problem list (问题清单) from Excel: every row checked, every error reported at once.

Nothing is written here: ``parse_workbook`` returns the items it understood and the errors it
found, each with the sheet's row number and the column heading, so the office can fix the
whole file in one go. ``notices.services.letter_import_items`` writes the result through the
supervision services, all rows or none.

The layout is ``problem_list.COLUMNS``; the columns are found by their headings (in any
order, on any of the first rows), so an office's own sheet with extra columns still reads. The
file is opened, and refused when hostile, by ``notices.workbook``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils import translation
from django.utils.translation import gettext as _

from supervision.models import ItemCategory, ItemSource, Unit
from supervision.services.letters import MAX_TEXT

from . import wording
from .deadlines import DeadlineError, parse_deadline
from .directory import UnitDirectory, normalise
from .problem_list import BY_KEY, COLUMNS
from .progress import ImportProgress
from .workbook import Rows, UnreadableWorkbook, cell_text, open_rows

MAX_ROWS = 5000
MAX_BLANK_RUN = 1000
MAX_SITE = 120
HEADER_SEARCH_ROWS = 10
# Headings offices use for the same columns.
HEADING_ALIASES = {
    "编号": "seq",
    "来源": "source",
    "安置区": "site",
    "安置点名称": "site",
    "责任单位": "lead",
    "牵头责任单位": "lead",
    "整改期限": "deadline",
    "完成时限": "deadline",
}
UNIT_SEPARATORS = re.compile(r"[、，,;；/\n]+")
# Short forms offices write for the sources.
SOURCE_ALIASES = {
    "国家": ItemSource.NATIONAL,
    "省级": ItemSource.PROVINCIAL,
    "省反馈": ItemSource.PROVINCIAL,
    "自查": ItemSource.SELF_INSPECTION,
    "暗访": ItemSource.UNANNOUNCED_VISIT,
    "督查": ItemSource.SUPERVISION,
    "其它": ItemSource.OTHER,
}
DEFAULT_SOURCE = ItemSource.OTHER


@dataclass(frozen=True)
class RowError:
    row: int  # the sheet's row number; 0 for the file as a whole
    column: str  # the column heading, "" when the error is not one cell's
    message: str

    def __str__(self) -> str:
        if self.row and self.column:
            return _("Row %(row)d, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        if self.row:
            return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        return self.message


@dataclass
class ParsedItem:
    """One measure (整改措施) of a problem, as it will become one item of the letter."""

    row: int  # the first sheet row of this measure
    rows: list[int]  # every sheet row it was read from
    category: str  # ItemCategory
    source: str  # ItemSource
    site: str
    description: str  # the problem (问题描述)
    measures: str  # this one measure
    # Items of one problem share it (1, 2, … in sheet order); None for a sheet where every
    # problem has a single measure.
    problem_no: int | None
    leads: list[Unit]  # usually one; each unit of a collective name when it is named first
    cooperating: list[Unit]
    deadline: dt.date
    deadline_kind: str  # DeadlineKind
    deadline_written: str = ""  # the 整改时限 cell as written
    units_written: str = ""  # the unit cell(s) as written
    # A collective name as written (各县（市、区）) → the names of the units it stood for.
    expansions: list[tuple[str, list[str]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # where the importer guessed

    @property
    def units(self) -> list[Unit]:
        return self.leads + self.cooperating

    @property
    def lead(self) -> Unit | None:
        # The first lead, for callers written before an item could have several.
        return self.leads[0] if self.leads else None


@dataclass
class ParsedSheet:
    items: list[ParsedItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Where the importer guessed about the sheet as a whole, or a row it skipped.
    warnings: list[RowError] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)  # every sheet of the workbook
    sheet: str = ""  # the sheet read


def duplicate_key(site: str, description: str, measures: str = "") -> tuple[str, ...]:
    """Two items are the same when their problem and their measure are, at the same site
    (spacing aside). The same problem with another measure is another item, not a duplicate."""
    return normalise(site), normalise(description), normalise(measures)


# --- cell values ------------------------------------------------------------------------------------


def _key(value: str) -> str:
    # Headings and choice labels: width, spaces, a required-field star and a bracketed note
    # ("共性问题（国家、省反馈）") do not matter.
    value = normalise(value).replace("*", "")
    return re.sub(r"\(.*\)$", "", value)


def _choices(choices: type, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Every way a choice may be written: its code, its English and Chinese labels, aliases."""
    table = {}
    for language in ("en", wording.DOCUMENT_LANGUAGE):
        with translation.override(language):
            table.update({_key(str(c.label)): c.value for c in choices})
    table.update({_key(c.value): c.value for c in choices})
    table.update({_key(k): v for k, v in (aliases or {}).items()})
    return table


def _category_choices() -> dict[str, str]:
    aliases = {"共性": ItemCategory.COMMON, "个性": ItemCategory.SPECIFIC}
    aliases.update({heading: value for value, heading in wording.CATEGORY_HEADINGS.items()})
    return _choices(ItemCategory, aliases)


# --- the workbook ---------------------------------------------------------------------------------


def _file_error(message: str) -> ParsedSheet:
    return ParsedSheet(errors=[RowError(0, "", message)])


def _find_header(rows: Iterator[tuple[Any, ...]]) -> tuple[int, dict[str, int], list[RowError]] | None:
    """(header row number, {column key: index}, errors) from the first rows, or None."""
    headings = {_key(c.heading): c.key for c in COLUMNS}
    headings.update({_key(k): v for k, v in HEADING_ALIASES.items()})
    for number, row in enumerate(rows, start=1):
        found: dict[str, int] = {}
        errors = []
        for index, value in enumerate(row):
            key = headings.get(_key(cell_text(value)))
            if key is None:
                continue
            if key in found:
                errors.append(RowError(number, BY_KEY[key].heading, _("This column appears twice; keep one of them.")))
            found.setdefault(key, index)
        if "description" in found:
            for column in COLUMNS:
                if column.required and column.key not in found:
                    errors.append(RowError(number, column.heading, _("The column is missing.")))
            return number, found, errors
        if number >= HEADER_SEARCH_ROWS:
            break
    return None


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
    """Read and check every row. ``existing``: duplicate keys of the letter's items → their number;
    ``progress``: told how many rows have been read, every ``progress.EVERY`` rows."""
    opened = open_rows(file)
    if isinstance(opened, str):
        return _file_error(opened)
    try:
        return _parse_rows(
            opened, campaign_year=campaign_year, directory=directory, existing=existing, progress=progress
        )
    except UnreadableWorkbook as exc:
        # Whatever rows were read before are dropped: a list is imported whole or not at all.
        return _file_error(exc.message)


def _parse_rows(
    opened: Rows,
    *,
    campaign_year: int,
    directory: UnitDirectory,
    existing: dict[tuple[str, ...], int] | None,
    progress: ImportProgress | None,
) -> ParsedSheet:
    rows = opened.rows
    header = _find_header(rows)
    if header is None:
        return _file_error(
            _("No heading row with “%(heading)s” in the first %(n)d rows: start from the template.")
            % {"heading": BY_KEY["description"].heading, "n": HEADER_SEARCH_ROWS}
        )
    header_row, columns, errors = header
    if errors:
        return ParsedSheet(errors=errors)
    parser = _RowParser(campaign_year, directory, existing or {})
    sheet = ParsedSheet()
    read = blank = 0
    # The sheet's last row is a fair total unless it was formatted far below the list (then the
    # page shows the rows read without pretending to know how many remain).
    below = opened.last_row - header_row if opened.last_row else None
    total = below if below is not None and 0 <= below <= MAX_ROWS else None
    if progress is not None:
        progress.reading(0, total)
    for number, row in enumerate(rows, start=header_row + 1):
        if progress is not None:
            progress.reading(number - header_row, total)
        cells = {key: row[index] if index < len(row) else None for key, index in columns.items()}
        if all(cell_text(v) == "" for k, v in cells.items() if k != "seq"):
            # A blank line, or a numbered one nobody filled in. Sheets formatted down to row
            # 1,048,576 end in a million of them: a long enough run is the end of the list.
            blank += 1
            if blank > MAX_BLANK_RUN:
                break
            continue
        blank = 0
        read += 1
        if read > MAX_ROWS:
            sheet.errors.append(
                RowError(number, "", _("A list has at most %(n)d problems: split the file.") % {"n": MAX_ROWS})
            )
            break
        item = parser.parse(number, cells)
        if item is not None:
            sheet.items.append(item)
    sheet.errors = parser.errors + sheet.errors
    return sheet


class _RowParser:
    def __init__(self, campaign_year: int, directory: UnitDirectory, existing: dict[tuple[str, ...], int]):
        self.year = campaign_year
        self.directory = directory
        self.existing = existing
        self.seen: dict[tuple[str, str], int] = {}
        self.categories = _category_choices()
        self.sources = _choices(ItemSource, SOURCE_ALIASES)
        with translation.override(wording.DOCUMENT_LANGUAGE):
            self.category_labels = [str(c.label) for c in ItemCategory]
            self.source_labels = [str(c.label) for c in ItemSource]
        self.errors: list[RowError] = []

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, BY_KEY[key].heading, message))

    def text(self, row: int, cells: dict[str, Any], key: str, *, limit: int, required: bool = False) -> str:
        value = cell_text(cells.get(key))
        if required and not value:
            self.error(row, key, _("Missing: this column is required."))
        elif len(value) > limit:
            self.error(
                row,
                key,
                _("Too long: %(length)d characters, at most %(limit)d.") % {"length": len(value), "limit": limit},
            )
        return value

    def choice(self, row: int, cells: dict[str, Any], key: str, table: dict[str, str], labels: list[str]) -> str:
        value = cell_text(cells.get(key))
        found = table.get(_key(value))
        if found is None:
            self.error(
                row,
                key,
                _("“%(value)s” is not one of: %(choices)s.") % {"value": value[:50], "choices": "、".join(labels)},
            )
        return found or ""

    def unit(self, row: int, key: str, name: str) -> Unit | None:
        found = self.directory.lookup(name)
        if found.unit is not None:
            return found.unit
        if found.ambiguous:
            message = _("“%(name)s” could be any of %(units)s: write the full name.") % {
                "name": name[:50],
                "units": "、".join(found.suggestions),
            }
        elif found.suggestions:
            message = _("No unit is called “%(name)s”. Did you mean %(suggestions)s?") % {
                "name": name[:50],
                "suggestions": "、".join(found.suggestions),
            }
        else:
            message = _("No unit is called “%(name)s”.") % {"name": name[:50]}
        self.error(row, key, message)
        return None

    def parse(self, row: int, cells: dict[str, Any]) -> ParsedItem | None:
        errors_before = len(self.errors)
        category = ""
        if not cell_text(cells.get("category")):
            self.error(row, "category", _("Missing: this column is required."))
        else:
            category = self.choice(row, cells, "category", self.categories, self.category_labels)
        source = DEFAULT_SOURCE
        if cell_text(cells.get("source")):
            source = self.choice(row, cells, "source", self.sources, self.source_labels)
        site = self.text(row, cells, "site", limit=MAX_SITE)
        description = self.text(row, cells, "description", limit=MAX_TEXT, required=True)
        measures = self.text(row, cells, "measures", limit=MAX_TEXT)

        lead = None
        lead_names = [n for n in UNIT_SEPARATORS.split(cell_text(cells.get("lead"))) if n.strip()]
        if len(lead_names) > 1:
            self.error(row, "lead", _("Name one lead unit; put the others under cooperating units."))
        elif lead_names:
            lead = self.unit(row, "lead", lead_names[0].strip())
        cooperating: list[Unit] = []
        for name in UNIT_SEPARATORS.split(cell_text(cells.get("cooperating"))):
            unit = self.unit(row, "cooperating", name.strip()) if name.strip() else None
            if unit is not None and unit not in cooperating:
                cooperating.append(unit)
        if cooperating and not lead_names:
            self.error(row, "lead", _("Name a lead unit before cooperating units."))
        if lead is not None and lead in cooperating:
            self.error(row, "cooperating", _("The lead unit cannot also be a cooperating unit."))

        deadline, kind = None, ""
        raw_deadline = cells.get("deadline")
        if cell_text(raw_deadline) == "":
            self.error(row, "deadline", _("Missing: this column is required."))
        else:
            try:
                deadline, kind = parse_deadline(raw_deadline, self.year)
            except DeadlineError as exc:
                self.error(row, "deadline", str(exc))

        if description:
            key = duplicate_key(site, description, measures)
            if key in self.existing or key[:2] + ("",) in self.existing:
                self.error(
                    row,
                    "description",
                    _("The letter already has this problem, as item %(seq)d.")
                    % {"seq": self.existing.get(key, self.existing.get(key[:2] + ("",)))},
                )
            elif key in self.seen:
                self.error(row, "description", _("The same problem as row %(row)d.") % {"row": self.seen[key]})
            else:
                self.seen[key] = row

        if len(self.errors) > errors_before or deadline is None:
            return None
        return ParsedItem(
            row=row,
            rows=[row],
            problem_no=None,
            category=category,
            source=source,
            site=site,
            description=description,
            measures=measures,
            leads=[lead] if lead else [],
            cooperating=cooperating,
            deadline=deadline,
            deadline_kind=kind,
        )
