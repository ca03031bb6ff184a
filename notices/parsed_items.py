"""What reading a problem list gives back (notices/importer.py): the items understood, the errors
with their row and column, the sheet's facts, and the limits the reading keeps to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from supervision.models import ItemCategory, ItemSource, Unit

from .directory import normalise

MAX_ROWS = 5000
MAX_BLANK_RUN = 1000
MAX_SITE = 120
DEFAULT_SOURCE = ItemSource.OTHER
# A sheet with neither a category column nor section rows: its problems are read as this.
DEFAULT_CATEGORY = ItemCategory.SPECIFIC
# Between an aspect written beside the problem (设施配套) and the measure it heads.
ASPECT_SEPARATOR = "："


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
    # Items of one problem share it (see the module's docstring); None for an item standing alone.
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
    # The rows understood, errors or not: a sheet is clean when ``errors`` is empty, never
    # because there are items.
    items: list[ParsedItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Where the importer guessed about the sheet as a whole, or a row it skipped.
    warnings: list[RowError] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)  # every sheet of the workbook
    sheet: str = ""  # the sheet read
    # Whether the problem numbers are the sheet's own (a 问题编号 column), not counted here.
    numbers_written: bool = False


def duplicate_key(site: str, description: str, measures: str = "") -> tuple[str, ...]:
    """Two items are the same when their problem and their measure are, at the same site
    (spacing aside). The same problem with another measure is another item, not a duplicate."""
    return normalise(site), normalise(description), normalise(measures)
