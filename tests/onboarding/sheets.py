"""Directory sheets (单位通讯录) for the tests: any rows under any headings, and the demo office's
own directory built from demo/units.py (its 48 responsible units, each with a liaison and a
leader), as an office would bring it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from demo.units import ALL_UNITS, GIVEN_NAMES, SURNAMES, UNITS_BY_CODE
from supervision.models import UnitKind

UNIT_HEADINGS = (
    "单位名称",
    "简称",
    "单位类型",
    "上级单位",
    "排序",
    "联络员",
    "联络员职务",
    "联络员电话",
    "分管领导",
    "领导职务",
    "领导电话",
)
PERSON_HEADINGS = ("单位", "姓名", "职务", "电话", "角色")
KIND_WORDS = {
    UnitKind.COUNTY: "县（市、区）",
    UnitKind.DEPARTMENT: "市直部门",
    UnitKind.WORK_TEAM: "工作专班",
    UnitKind.TOWNSHIP: "乡镇",
}


def workbook(
    rows: Sequence[Sequence[Any]], headings: Sequence[str] | None = UNIT_HEADINGS, *, title: str = "单位通讯录"
) -> io.BytesIO:
    """An .xlsx with ``headings`` on row 1 (None: none) and ``rows`` below, as a file to upload."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    if headings is not None:
        ws.append(list(headings))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "单位通讯录.xlsx"
    return out


def person_name(n: int) -> str:
    # Deterministic and varied: surname and given name walk their lists at different strides.
    return SURNAMES[n % len(SURNAMES)] + GIVEN_NAMES[(n * 7) % len(GIVEN_NAMES)]


def mobile(n: int) -> str:
    return f"139{n:08d}"


def demo_rows() -> list[list[Any]]:
    """The demo office's directory, one row per unit, in the layout of ``UNIT_HEADINGS``."""
    rows = []
    for n, spec in enumerate(ALL_UNITS, start=1):
        parent = UNITS_BY_CODE[spec.parent].name if spec.parent else ""
        rows.append(
            [
                spec.name,
                spec.short_name,
                KIND_WORDS[spec.kind],
                parent,
                n,
                person_name(2 * n),
                spec.liaison_title,
                mobile(2 * n),
                person_name(2 * n + 1),
                spec.leader_title,
                # Leaders are often listed with their office's landline.
                f"0358-{8200000 + n}",
            ]
        )
    return rows


def demo_directory() -> io.BytesIO:
    return workbook(demo_rows())
