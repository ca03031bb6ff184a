"""The problem list (问题清单) sheet: the import template, and a letter's items in that same layout.

The headings are the interface with the spreadsheets offices already keep, so they are fixed
Chinese words, and ``importer`` reads exactly what this module writes: a letter's list can be
downloaded, edited and imported into a new draft. The round trip keeps each item as it was: a
problem with several measures is one row per measure, its text repeated and its number in the
last column (问题编号, read back as written); several lead units are all in 牵头单位; a 立行立改
deadline is written with its date (立行立改，2031年9月1日前), so it comes back the same day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.db.models import Prefetch
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.datavalidation import DataValidation

from supervision.models import Item, ItemCategory, ItemSource, ItemUnit, Letter, UnitRole

from . import wording
from .xlsx import text


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    width: float
    required: bool = False


COLUMNS = (
    Column("seq", "序号", 6),
    Column("category", "问题类别", 12, required=True),
    Column("source", "问题来源", 12),
    Column("site", "安置点", 16),
    Column("description", "问题描述", 48, required=True),
    Column("measures", "整改措施", 44),
    Column("lead", "牵头单位", 20),
    Column("cooperating", "配合单位", 24),
    Column("deadline", "整改时限", 24, required=True),
    # Last, so sheets built for the columns above still read: items of one problem share it.
    Column("problem_no", "问题编号", 10),
)
BY_KEY = {c.key: c for c in COLUMNS}
SHEET_TITLE = "问题清单"
SEPARATOR = "、"  # between unit names in one cell
# Rows of the template that offer the category and source lists.
TEMPLATE_ROWS = 2000

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _choice_labels(choices: type) -> list[str]:
    return [str(c.label) for c in choices]


def item_values(item: Item) -> dict[str, object]:
    """One item as the sheet writes it; call with the document language active."""
    links = list(item.item_units.all())
    return {
        "seq": item.seq,
        "category": str(ItemCategory(item.category).label),
        "source": str(ItemSource(item.source).label),
        "site": item.site,
        "description": item.description,
        "measures": item.measures,
        "lead": SEPARATOR.join(link.unit.name for link in links if link.role == UnitRole.LEAD),
        "cooperating": SEPARATOR.join(link.unit.name for link in links if link.role == UnitRole.COOPERATING),
        "deadline": _deadline(item),
        "problem_no": item.problem_no,
    }


def _deadline(item: Item) -> str:
    # A 立行立改 deadline prints with its date ("立行立改（2031年9月1日前）"): read back, a bare
    # 立行立改 would be counted from the day of the import.
    return wording.deadline_text(item.deadline, item.deadline_kind)


def write_problem_list(out: IO[bytes] | str, items: Iterable[Item] = ()) -> int:
    """The sheet, with one row per item (none: the empty template). Returns the rows written."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    with wording.document_language():
        categories = _choice_labels(ItemCategory)
        sources = _choice_labels(ItemSource)
        for index, column in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=1, column=index, value=column.heading)
            cell.font = Font(bold=True, color="C00000" if column.required else "000000")
            cell.alignment = Alignment(horizontal="center", vertical="center")
            cell.border = _BOX
            ws.column_dimensions[cell.column_letter].width = column.width
        ws.freeze_panes = "A2"
        count = 0
        for row, item in enumerate(items, start=2):
            values = item_values(item)
            for index, column in enumerate(COLUMNS, start=1):
                value = values[column.key]
                cell = ws.cell(row=row, column=index)
                if isinstance(value, str):
                    cell.value = text(value)
                    cell.data_type = "s"  # text stays text: "=…" is never a formula
                else:
                    cell.value = value
                cell.alignment = Alignment(vertical="top", wrap_text=True)
                cell.border = _BOX
            count += 1
    last = max(TEMPLATE_ROWS, count + 1)
    for key, labels in (("category", categories), ("source", sources)):
        letter = ws.cell(row=1, column=COLUMNS.index(BY_KEY[key]) + 1).column_letter
        # A drop-down of the labels; other spellings the importer also reads stay allowed.
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
        validation.showErrorMessage = False
        validation.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(validation)
    wb.save(out)
    return count


def letter_items(letter: Letter) -> list[Item]:
    links = ItemUnit.objects.select_related("unit").order_by("-role", "unit__kind", "unit__sort_order", "unit_id")
    return list(letter.items.order_by("seq").prefetch_related(Prefetch("item_units", queryset=links)))
