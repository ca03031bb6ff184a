"""The unit directory sheet (单位通讯录) written out: the empty template, and the directory as it
stands here in the same layout, so that an export edited in Excel imports again (a round trip
that creates nothing twice: ``notices.contacts`` reads exactly what this writes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.datavalidation import DataValidation

from supervision.models import PeerGroup, Role, UnitKind
from supervision.selectors.directory import DirectoryRow

from . import wording
from .contacts_layout import SEPARATOR, SHEET_TITLE, UNIT_COLUMNS
from .xlsx import text

NOTES_TITLE = "填写说明"
# Rows of the template that offer the kind and peer-group drop-downs.
TEMPLATE_ROWS = 1000
UNIT_KINDS = (UnitKind.COUNTY, UnitKind.DEPARTMENT, UnitKind.WORK_TEAM, UnitKind.TOWNSHIP)

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

# The notes sheet: fixed Chinese, like the headings it explains.
NOTES = (
    ("单位名称", "必填。单位全称，每个单位一行；已在系统中的单位按名称匹配，不会重复创建，也不会被修改。"),
    ("简称", "规范化简称，如“市发改委”；导入问题清单时可用简称指代单位。"),
    (
        "单位类型",
        "县（市、区）、部门、工作专班、乡镇 之一；"
        "不填时按名称结尾推断（县/区/市、局/委/办、专班、乡/镇/街道），预览中会提示。",
    ),
    ("排队分组", "双周排队时与哪些单位比较；不填时与单位类型相同。"),
    ("上级单位", "如乡镇所属的县（市、区）；填全称或简称，可以是本表中的单位，也可以是系统中已有的单位。"),
    ("排序", "同类单位中的显示顺序（整数）；不填时按本表中的先后。"),
    ("联络员 / 分管领导", "姓名、职务、电话各一列；同一角色有多人时用“、”分隔，职务和电话按相同顺序填写。"),
    (
        "账号",
        "每位新人员生成一个账号：有手机号的以手机号为用户名，否则为“单位简称+角色”；初始密码只显示一次，首次登录须修改。",
    ),
    ("另一种格式", "也可以每人一行：单位、姓名、职务、电话、角色（联络员或分管领导）。"),
)


def _labels(choices: type, values: Iterable[str]) -> list[str]:
    return [str(choices(v).label) for v in values]


def _heading_row(ws, columns) -> None:  # noqa: ANN001 - an openpyxl worksheet and our columns
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.heading)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BOX
        ws.column_dimensions[cell.column_letter].width = column.width
    ws.freeze_panes = "A2"


def row_values(row: DirectoryRow) -> dict[str, object]:
    """One unit as the sheet writes it; call with the document language active."""
    unit, people = row.unit, row.people
    values: dict[str, object] = {
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": str(UnitKind(unit.kind).label),
        "peer_group": str(PeerGroup(unit.peer_group).label) if unit.peer_group != unit.kind else "",
        "parent": row.parent,
        "sort_order": unit.sort_order,
    }
    for role, key in ((Role.LIAISON, "liaison"), (Role.LEADER, "leader")):
        users = people.get(role, [])
        values[key] = SEPARATOR.join(u.full_name or u.username for u in users)
        titles = [u.title for u in users]
        # One post for all when they share it; else one each, in the same order as the names.
        values[f"{key}_title"] = titles[0] if len(set(titles)) == 1 else SEPARATOR.join(t or "—" for t in titles)
        phones = [u.phone for u in users]
        values[f"{key}_phone"] = phones[0] if len(set(phones)) == 1 else SEPARATOR.join(p or "—" for p in phones)
    return values


def write_directory(out: IO[bytes] | str, rows: Iterable[DirectoryRow] = ()) -> int:
    """The directory sheet with one row per unit (none: the empty template), and a sheet of
    notes. Returns the rows written."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    _heading_row(ws, UNIT_COLUMNS)
    count = 0
    with wording.document_language():
        kinds = _labels(UnitKind, UNIT_KINDS)
        groups = _labels(PeerGroup, UNIT_KINDS)
        for number, row in enumerate(rows, start=2):
            values = row_values(row)
            for index, column in enumerate(UNIT_COLUMNS, start=1):
                value = values[column.key]
                cell = ws.cell(row=number, column=index)
                if isinstance(value, str):
                    cell.value = text(value)
                    cell.data_type = "s"  # text stays text: "=…" is never a formula, 0358… keeps its 0
                else:
                    cell.value = value
                cell.alignment = Alignment(vertical="top", wrap_text=True)
                cell.border = _BOX
            count += 1
    last = max(TEMPLATE_ROWS, count + 1)
    keys = [c.key for c in UNIT_COLUMNS]
    for key, labels in (("kind", kinds), ("peer_group", groups)):
        letter = ws.cell(row=1, column=keys.index(key) + 1).column_letter
        # A drop-down of the labels; the other spellings the reader knows stay allowed.
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
        validation.showErrorMessage = False
        validation.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(validation)
    # Phone columns as text, so that Excel keeps a landline's leading 0 when someone types it.
    for key in ("liaison_phone", "leader_phone"):
        letter = ws.cell(row=1, column=keys.index(key) + 1).column_letter
        for (cell,) in ws[f"{letter}2:{letter}{last}"]:
            cell.number_format = "@"
    notes = wb.create_sheet(NOTES_TITLE)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 90
    for number, (heading, note) in enumerate(NOTES, start=1):
        notes.cell(row=number, column=1, value=heading).font = Font(bold=True)
        notes.cell(row=number, column=2, value=note).alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(out)
    return count
