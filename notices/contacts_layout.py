"""The unit directory sheet (单位通讯录): its columns, the headings offices write for them, and the
words they use for a unit's kind and a person's role.

Two layouts are read. The one written here (template and export) has one row per unit, with its
liaison (联络员) and its leader (分管领导) side by side; several people of one role share a cell,
separated by 、. Many offices keep one row per person instead (单位, 姓名, 职务, 电话, 角色): the
reader takes that too. ``notices.contacts`` reads, ``notices.contacts_sheet`` writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .directory import normalise

SHEET_TITLE = "单位通讯录"
TEMPLATE_FILENAME = "单位通讯录模板.xlsx"
EXPORT_FILENAME = "单位通讯录.xlsx"
SEPARATOR = "、"  # between people (and their phones and posts) of one role in one cell
# Between people in a cell as offices write them: 、 ， , ; ； / and line breaks.
PEOPLE_SEPARATORS = re.compile(r"[、，,;；/／\n]+")


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    width: float
    required: bool = False


# One row per unit: what the template offers and the export writes, in this order.
UNIT_COLUMNS = (
    Column("name", "单位名称", 36, required=True),
    Column("short_name", "简称", 16),
    Column("kind", "单位类型", 14),
    Column("peer_group", "排队分组", 12),
    Column("parent", "上级单位", 22),
    Column("sort_order", "排序", 8),
    Column("liaison", "联络员", 12),
    Column("liaison_title", "联络员职务", 22),
    Column("liaison_phone", "联络员电话", 16),
    Column("leader", "分管领导", 12),
    Column("leader_title", "领导职务", 16),
    Column("leader_phone", "领导电话", 16),
)
# One row per person: the unit's columns may be given too (on any of its rows).
PERSON_COLUMNS = (
    Column("person", "姓名", 12),
    Column("title", "职务", 20),
    Column("phone", "电话", 16),
    Column("role", "角色", 10),
)
COLUMNS = UNIT_COLUMNS + PERSON_COLUMNS
BY_KEY = {c.key: c for c in COLUMNS}

# Headings offices write for the same columns (matched after ``heading_key``).
HEADING_ALIASES: dict[str, str] = {
    "单位全称": "name",
    "单位": "name",
    "责任单位": "name",
    "单位名": "name",
    "单位简称": "short_name",
    "规范化简称": "short_name",
    "类型": "kind",
    "单位类别": "kind",
    "类别": "kind",
    "分组": "peer_group",
    "排名分组": "peer_group",
    "排队类别": "peer_group",
    "上级": "parent",
    "所属单位": "parent",
    "所属县（市、区）": "parent",
    "排序号": "sort_order",
    "显示顺序": "sort_order",
    "联络员姓名": "liaison",
    "联络人": "liaison",
    "联络人姓名": "liaison",
    "联络员职位": "liaison_title",
    "联络人职务": "liaison_title",
    "联络员电话": "liaison_phone",
    "联络员手机": "liaison_phone",
    "联络员手机号": "liaison_phone",
    "联络员手机号码": "liaison_phone",
    "联络员联系电话": "liaison_phone",
    "联络人电话": "liaison_phone",
    "联络人手机": "liaison_phone",
    "负责人": "leader",
    "单位负责人": "leader",
    "分管领导姓名": "leader",
    "负责人姓名": "leader",
    "领导": "leader",
    "领导姓名": "leader",
    "分管负责人": "leader",
    "分管领导职务": "leader_title",
    "负责人职务": "leader_title",
    "领导职位": "leader_title",
    "分管领导电话": "leader_phone",
    "分管领导手机": "leader_phone",
    "负责人电话": "leader_phone",
    "负责人手机": "leader_phone",
    "领导手机": "leader_phone",
    "领导联系电话": "leader_phone",
    "分管领导联系电话": "leader_phone",
    "人员姓名": "person",
    "联系人": "person",
    "职位": "title",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "联系方式": "phone",
    "人员类别": "role",
    "人员角色": "role",
    "身份": "role",
}
# The second heading row of a two-row heading (联络员 over 姓名 | 职务 | 电话): the sub-headings,
# joined to the group above them, name the column ("联络员" + "姓名" → 联络员姓名).
SUB_HEADINGS = frozenset({"姓名", "职务", "职位", "电话", "手机", "手机号", "手机号码", "联系电话", "联系方式"})

# Words for a unit's kind (单位类型), besides the kinds' own labels and codes.
KIND_ALIASES: dict[str, str] = {
    "县": "county",
    "区": "county",
    "县区": "county",
    "县市区": "county",
    "县级": "county",
    "县级市": "county",
    "县（市、区）": "county",
    "县(市、区)": "county",
    "县市区政府": "county",
    "市直部门": "department",
    "市直单位": "department",
    "部门": "department",
    "市直": "department",
    "单位": "department",
    "工作专班": "work_team",
    "专班": "work_team",
    "乡镇": "township",
    "乡": "township",
    "镇": "township",
    "街道": "township",
    "乡镇（街道）": "township",
    "乡镇街道": "township",
}
# Words for a person's role (角色), besides the roles' own labels and codes.
ROLE_ALIASES: dict[str, str] = {
    "联络员": "liaison",
    "联络人": "liaison",
    "联系人": "liaison",
    "分管领导": "leader",
    "领导": "leader",
    "负责人": "leader",
    "单位负责人": "leader",
    "分管负责人": "leader",
}


def heading_key(value: str) -> str:
    """A heading or a choice as compared: width, spaces, a required-field star and a trailing
    bracketed note ("联络员（姓名）", "单位名称（全称）") do not matter."""
    value = normalise(value).replace("*", "").replace("＊", "")
    stripped = re.sub(r"\([^()]*\)$", "", value)
    return stripped or value
