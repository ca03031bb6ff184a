"""The attachment table of a letter (附件：整改事项清单), row by row.

A letter's table lists its items: number, problem, measures, lead and cooperating units,
deadline. Items of one problem (the same ``problem_no``, next to each other) print the problem
once, in a cell spanning their rows, as ledgers do (问题一 over its measures).

A reminder letter (催办函) has a table of its own, as an office writes one: each overdue item
once, with the units late on it (逾期单位, by their short names as tables write them: the
addressee line above has the full ones), the deadline they missed (整改时限) and by how many
days (逾期天数) on the letter's date. Units with the same missed deadline share the deadline's
cells; a unit whose deadline was extended and then missed again gets cells of its own under the
same item.

Three queries whatever the size of the letter: the items, their units, and (for a reminder)
the chased assignments' deadlines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Prefetch

from supervision.models import Assignment, Item, ItemUnit, Letter, LetterKind, UnitRole
from supervision.models.assignments import DEAD_STATES

from . import wording

# The column headings and widths (per cent of the 156 mm text block): fixed words of the format,
# not interface text (see notices/wording.py).
ITEM_HEADINGS = wording.ITEM_HEADINGS
ITEM_WIDTHS = (7, 30, 27, 12, 11, 13)
REMINDER_HEADINGS = ("序号", "问题描述", "整改措施", "逾期单位", "整改时限", "逾期天数")
REMINDER_WIDTHS = (6, 23, 21, 28, 12, 10)
# A reminder names at most this many units in one row; more go on in the rows below, under the
# same item and deadline cells. Each row is then a few lines, never cut in two, and a table
# chasing thirty units fills its pages instead of pushing a page-high row onto the next.
UNITS_PER_ROW = 12


@dataclass(frozen=True)
class ItemRow:
    """One row of the table. ``problem_rows``: how many rows the problem cell spans from this row
    (0: the row lies under the cell of a row above); ``item_rows`` likewise for the number and
    the measures, ``deadline_rows`` for a reminder's deadline and overdue days."""

    seq: int
    description: str
    measures: str
    lead: str
    cooperating: str
    deadline: str
    overdue_units: str = ""
    overdue_days: str = ""
    problem_rows: int = 1
    item_rows: int = 1
    deadline_rows: int = 1


@dataclass
class ItemTable:
    """The rows, with the headings and column widths of the letter's kind."""

    rows: list[ItemRow] = field(default_factory=list)
    reminder: bool = False

    @property
    def headings(self) -> tuple[str, ...]:
        return REMINDER_HEADINGS if self.reminder else ITEM_HEADINGS

    @property
    def widths(self) -> tuple[int, ...]:
        return REMINDER_WIDTHS if self.reminder else ITEM_WIDTHS

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _links() -> Prefetch:
    order = ("unit__kind", "unit__sort_order", "unit_id")
    return Prefetch("item_units", queryset=ItemUnit.objects.select_related("unit").order_by(*order))


def item_table(letter: Letter, *, as_of: dt.date) -> ItemTable:
    """The attachment table of ``letter``; ``as_of`` is the letter's date (overdue days count to it).
    Call with the document language active."""
    items = list(letter.items.order_by("seq").prefetch_related(_links()))
    reminder = letter.kind == LetterKind.REMINDER and any(item.chased_item_id for item in items)
    blocks = _reminder_blocks(items, as_of) if reminder else [[_item_row(item)] for item in items]
    return ItemTable(rows=_span_problems(items, blocks), reminder=reminder)


def _item_row(item: Item) -> ItemRow:
    links = list(item.item_units.all())
    lead = [link.unit.name for link in links if link.role == UnitRole.LEAD]
    cooperating = [link.unit.name for link in links if link.role == UnitRole.COOPERATING]
    return ItemRow(
        seq=item.seq,
        description=item.description,
        measures=item.measures,
        # An item naming no unit goes to every addressee as lead (see ItemUnit).
        lead="、".join(lead) if links else wording.EVERY_ADDRESSEE,
        cooperating="、".join(cooperating),
        deadline=item.deadline_text,
    )


def _reminder_blocks(items: list[Item], as_of: dt.date) -> list[list[ItemRow]]:
    """Each item's rows: one per missed deadline, naming the units that missed it."""
    pairs = {(item.chased_item_id, link.unit_id) for item in items for link in item.item_units.all()}
    deadlines: dict[tuple[int, int], dt.date] = {}
    if pairs:
        # Each unit's own deadline of the chased item (an extension moves it), from its live
        # assignment: one at most per item and unit.
        found = (
            Assignment.objects.filter(
                item_id__in={item for item, _unit in pairs}, unit_id__in={unit for _item, unit in pairs}
            )
            .exclude(state__in=DEAD_STATES)
            .values_list("item_id", "unit_id", "deadline")
        )
        deadlines = {(item, unit): day for item, unit, day in found if (item, unit) in pairs}
    blocks = []
    for item in items:
        by_deadline: dict[dt.date, list[str]] = defaultdict(list)
        for link in item.item_units.all():
            day = deadlines.get((item.chased_item_id, link.unit_id), item.deadline)
            # Short names (离石区, 产业帮扶专班), as tables write them: a reminder may name dozens.
            by_deadline[day].append(link.unit.short_name or link.unit.name)
        if not by_deadline:
            by_deadline[item.deadline] = [wording.EVERY_ADDRESSEE]
        lines = [
            (day, units[start : start + UNITS_PER_ROW], start == 0, -(-len(units) // UNITS_PER_ROW))
            for day, units in sorted(by_deadline.items())
            for start in range(0, len(units), UNITS_PER_ROW)
        ]
        blocks.append(
            [
                ItemRow(
                    seq=item.seq,
                    description=item.description,
                    measures=item.measures,
                    lead="",
                    cooperating="",
                    deadline=wording.deadline_text(day, item.deadline_kind),
                    overdue_units="、".join(units),
                    overdue_days=str((as_of - day).days) if as_of > day else "",
                    item_rows=len(lines) if n == 0 else 0,
                    deadline_rows=chunks if first else 0,
                )
                for n, (day, units, first, chunks) in enumerate(lines)
            ]
        )
    return blocks


def _span_problems(items: list[Item], blocks: list[list[ItemRow]]) -> list[ItemRow]:
    """Flatten the items' rows; a run of items of one problem prints the problem once, in a cell
    spanning all their rows."""
    rows: list[ItemRow] = []
    n = 0
    while n < len(items):
        end = n + 1
        number = items[n].problem_no
        while number is not None and end < len(items) and items[end].problem_no == number:
            end += 1
        run = [row for block in blocks[n:end] for row in block]
        rows.append(replace(run[0], problem_rows=len(run)))
        rows += [replace(row, problem_rows=0) for row in run[1:]]
        n = end
    return rows
