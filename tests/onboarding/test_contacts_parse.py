"""Reading the unit directory (单位通讯录): both layouts, the headings offices write, every error
with its row and column at once, warnings where the reader guesses; nothing written."""

from __future__ import annotations

import pytest

from notices.contacts import parse_directory
from notices.contacts_read import MAX_ROWS
from notices.contacts_values import infer_kind
from supervision.models import PeerGroup, Role, Unit, UnitKind, User
from supervision.selectors.directory import directory_plan
from tests.imports.sheets import Book, Sheet, xls, xlsx
from tests.onboarding.sheets import PERSON_HEADINGS, demo_directory, workbook

pytestmark = pytest.mark.django_db


def messages(found) -> list[str]:
    return [str(e) for e in found]


def test_the_demo_directory_reads_whole_without_a_warning():
    parsed = parse_directory(demo_directory())
    assert parsed.errors == [] and parsed.warnings == []
    assert len(parsed.entries.units) == 48
    assert len(parsed.entries.people) == 96
    township = next(u for u in parsed.entries.units if u.name == "离石区信义镇人民政府")
    assert (township.kind, township.peer_group, township.parent) == (
        UnitKind.TOWNSHIP,
        PeerGroup.TOWNSHIP,
        "离石区人民政府",
    )
    liaison = next(p for p in parsed.entries.people if p.unit == "离石区人民政府" and p.role == Role.LIAISON)
    assert liaison.title == "离石区乡村振兴局综合股股长"


def test_reading_writes_nothing():
    units, users = Unit.objects.count(), User.objects.count()
    parse_directory(demo_directory())
    assert (Unit.objects.count(), User.objects.count()) == (units, users)


def test_aliases_widths_and_spaces_are_normalised():
    sheet = workbook(
        [
            [
                "吕梁市 教育局",
                "市教育局",
                "市直部门",
                "",
                "",
                "王 建国",
                "科长",
                "１３９ ００００ １１１１",
                "李志强",
                "副局长",
                "13900002222",
            ],
        ],
        headings=(
            "单位全称",
            "单位简称",
            "类别",
            "所属单位",
            "排序号",
            "联络员姓名",
            "联络员职务",
            "联络员手机",
            "负责人",
            "负责人职务",
            "负责人电话",
        ),
    )
    parsed = parse_directory(sheet)
    assert parsed.errors == []
    (unit,) = parsed.entries.units
    assert (unit.name, unit.short_name, unit.kind) == ("吕梁市教育局", "市教育局", UnitKind.DEPARTMENT)
    liaison, leader = parsed.entries.people
    assert (liaison.full_name, liaison.phone, liaison.role) == ("王建国", "13900001111", Role.LIAISON)
    assert (leader.full_name, leader.role, leader.title) == ("李志强", Role.LEADER, "副局长")


def test_a_two_row_heading_names_the_people_columns():
    sheet = workbook(
        [
            [None, "姓名", "职务", "电话", "姓名", "职务", "手机"],
            ["甲县人民政府", "张三", "股长", "13900000001", "李四", "副县长", "0358-1234567"],
        ],
        headings=("单位名称", "联络员", None, None, "分管领导", None, None),
    )
    parsed = parse_directory(sheet)
    assert parsed.errors == []
    liaison, leader = parsed.entries.people
    assert (liaison.full_name, liaison.title, liaison.phone) == ("张三", "股长", "13900000001")
    assert (leader.full_name, leader.title, leader.phone, leader.role) == (
        "李四",
        "副县长",
        "0358-1234567",
        Role.LEADER,
    )
    # The kind came from the name's ending, and the reader says so, on the data row (3).
    assert messages(parsed.warnings) == [
        "Row 3, 单位类型: Kind not given: taken as “县（市、区）” from the end of the name."
    ]


def test_one_row_per_person_layout():
    sheet = workbook(
        [
            ["甲县人民政府", "张三", "股长", "13900000001", "联络员"],
            ["甲县人民政府", "李四", "副县长", "13900000002", "分管领导"],
            ["市农业农村局", "王五", "科长", "13900000003", "联络员"],
            ["甲县人民政府", "赵六", "干事", "13900000004", "联络员"],
        ],
        headings=(*PERSON_HEADINGS, "单位类型"),
    )
    parsed = parse_directory(sheet)
    assert parsed.errors == []
    assert [u.name for u in parsed.entries.units] == ["甲县人民政府", "市农业农村局"]
    assert [(p.unit, p.full_name, p.role) for p in parsed.entries.people] == [
        ("甲县人民政府", "张三", Role.LIAISON),
        ("甲县人民政府", "李四", Role.LEADER),
        ("市农业农村局", "王五", Role.LIAISON),
        ("甲县人民政府", "赵六", Role.LIAISON),
    ]


def test_several_people_in_one_cell_pair_with_their_phones():
    sheet = workbook([["甲县人民政府", "", "县（市、区）", "", "", "张三、李四", "股长", "13900000001、13900000002"]])
    parsed = parse_directory(sheet)
    assert parsed.errors == []
    assert [(p.full_name, p.title, p.phone) for p in parsed.entries.people] == [
        ("张三", "股长", "13900000001"),
        ("李四", "股长", "13900000002"),
    ]


def test_every_error_at_once_with_row_and_column():
    sheet = workbook(
        [
            ["甲县人民政府", "", "县（市、区）", "", "", "张三", "", "13900000001"],
            ["", "", "市直部门", "", "", "李四"],  # no name
            ["乙县人民政府", "", "星球", ""],  # unknown kind
            ["甲县 人民政府", "", "县（市、区）"],  # the same unit again
            ["甲县信义镇人民政府", "", "乡镇", "不存在县"],  # unknown parent
            ["某某组织", "", "", ""],  # no kind and the name does not tell
            ["丙县人民政府", "", "", "", "第一", "王五、赵六", "", "13900000005、13900000006、13900000007"],
        ]
    )
    parsed = parse_directory(sheet)
    assert messages(parsed.errors) == [
        "Row 3, 单位名称: Missing: the unit's name is required.",
        "Row 4, 单位类型: “星球” is not a kind of unit: write one of 县（市、区）、部门、工作专班、乡镇.",
        "Row 5, 单位名称: The same unit as row 2: list each unit once.",
        "Row 6, 上级单位: No unit is called “不存在县”, in the sheet or here.",
        "Row 7, 单位类型: The kind of unit is not given and its name does not tell: write one of "
        "县（市、区）、部门、工作专班、乡镇.",
        "Row 8, 排序: Write a whole number (0, 1, 2 …).",
        "Row 8, 联络员电话: 2 names but 3 values here: give one for each person, in the same order, separated by 、.",
    ]


def test_an_unknown_parent_gets_suggestions(world):
    parsed = parse_directory(workbook([["甲县城关镇人民政府", "", "乡镇", "甲县政府"]]))
    (error,) = messages(parsed.errors)
    assert error.startswith(
        "Row 2, 上级单位: No unit is called “甲县政府”, in the sheet or here. Did you mean 甲县人民政府"
    )


def test_parents_by_short_name_in_the_sheet_or_here_and_in_any_order(world):
    parsed = parse_directory(
        workbook(
            [
                ["丙县城关镇人民政府", "城关镇", "乡镇", "丙县"],  # before its parent, by its short name
                ["丙县人民政府", "丙县", "县（市、区）"],
                ["甲县东关镇人民政府", "东关镇", "乡镇", "甲县"],  # a unit already here, by its short name
            ]
        )
    )
    assert parsed.errors == []
    assert [u.parent for u in parsed.entries.units] == ["丙县人民政府", "", "甲县人民政府"]


def test_parents_in_a_circle_are_refused():
    parsed = parse_directory(
        workbook([["甲镇", "", "乡镇", "乙镇"], ["乙镇", "", "乡镇", "甲镇"], ["丙镇", "", "乡镇", "丙镇"]])
    )
    assert messages(parsed.errors) == [
        "Row 2, 上级单位: These units are each other's parents, round in a circle: 甲镇 → 乙镇 → 甲镇.",
        "Row 4, 上级单位: A unit cannot be placed under itself.",
    ]


def test_the_person_layout_needs_roles_it_knows():
    sheet = workbook(
        [
            ["甲县人民政府", "张三", "股长", "13900000001", "联络员"],
            ["甲县人民政府", "李四", "", "", "书记"],
            ["甲县人民政府", "王五", "", "", ""],
            ["甲县人民政府", "", "科员", "13900000009", "联络员"],
        ],
        headings=PERSON_HEADINGS,
    )
    parsed = parse_directory(sheet)
    assert messages(parsed.errors) == [
        "Row 3, 角色: “书记” is not a role in a unit: write one of 联络员、单位负责人.",
        "Row 4, 角色: Missing: write the person's role.",
        "Row 5, 姓名: Missing: the person's name is required.",
    ]


def test_a_column_twice_and_no_heading_are_refused():
    assert messages(parse_directory(workbook([["甲县"]], headings=("单位名称", "单位全称"))).errors) == [
        "Row 1, 单位全称: This column appears twice; keep one of them."
    ]
    assert messages(parse_directory(workbook([["甲县"]], headings=("名称",))).errors) == [
        "No heading row with “单位名称” in the first 10 rows: start from the template."
    ]


def test_not_a_workbook_is_one_clear_error():
    import io

    parsed = parse_directory(io.BytesIO(b"name,phone\n"))
    (error,) = messages(parsed.errors)
    assert error.startswith("This is not an Excel workbook")


def test_a_sheet_past_the_cap_is_refused_whole():
    rows = [[f"测试{n}局", "", "部门"] for n in range(MAX_ROWS + 1)]
    parsed = parse_directory(workbook(rows))
    assert messages(parsed.errors) == [
        f"Row {MAX_ROWS + 2}: A directory has at most {MAX_ROWS} rows: "
        "split the file and import the parts one after the other."
    ]
    assert parsed.entries.units == []


def test_warnings_where_the_reader_guesses(world):
    parsed = parse_directory(
        workbook(
            [
                ["农业农村局", "", "", "", "", "张三", "", "12345"],  # matched by short name; odd phone
                ["甲县人民政府", "", "市直部门", "", "", "李四", "", "13900000001"],  # exists, other kind
                ["某某县", "", "", "", "", "王五"],  # kind from the name
            ]
        )
    )
    assert parsed.errors == []
    assert messages(parsed.warnings) == [
        "Row 2, 单位名称: Taken to be the unit already here called “市农业农村局”, whose short name this is.",
        "Row 2, 联络员电话: “12345” does not look like a phone number; it is kept as written.",
        "Row 3, 单位名称: The unit is already here: it is kept as it is "
        "(单位类型 not changed; change them under master data).",
        "Row 4, 单位类型: Kind not given: taken as “县（市、区）” from the end of the name.",
    ]
    plan = directory_plan(parsed.entries)
    assert [u.is_new for u in plan.units] == [False, False, True]


def test_the_office_and_inactive_units_are_refused(world):
    Unit.objects.filter(pk=world.unit_b.pk).update(is_active=False)
    parsed = parse_directory(workbook([[world.office.name], ["乙县人民政府"]]))
    assert messages(parsed.errors) == [
        "Row 2, 单位名称: The office's own people are added under master data, not here.",
        "Row 3, 单位名称: “乙县人民政府” is no longer active: make it active again under master data first.",
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("离石区人民政府", UnitKind.COUNTY),
        ("孝义市", UnitKind.COUNTY),
        ("吕梁市发展和改革委员会", UnitKind.DEPARTMENT),
        ("市巩固衔接办", UnitKind.DEPARTMENT),
        ("市巩固衔接产业帮扶工作专班", UnitKind.WORK_TEAM),
        ("离石区信义镇人民政府", UnitKind.TOWNSHIP),
        ("凤山街道办事处", UnitKind.TOWNSHIP),
        ("某某协会", ""),
    ],
)
def test_kind_from_the_name(name, kind):
    assert infer_kind(name) == kind


# --- sheets as offices keep them: a title row, merged headings and cells, .xls, several sheets -------

TITLE = ["吕梁市巩固衔接领导小组成员单位通讯录"]
GROUPED = [
    TITLE,
    ["单位名称", "联络员", None, None, "分管领导", None, None, "备注"],
    [None, "姓名", "职务", "联系电话", "姓名", "职务", "手机"],
    ["甲县人民政府", "张三", "股长", "13900000001", "李四", "副县长", "13900000002", ""],
    ["市水利局", "王五", "科长", "13900000003", "赵六", "副局长", "13900000004", "新成员单位"],
]
GROUPED_MERGES = ("A1:H1", "A2:A3", "B2:D2", "E2:G2")


@pytest.mark.parametrize("build", [xlsx, xls], ids=["xlsx", "xls"])
def test_a_title_row_and_merged_two_row_headings(build):
    parsed = parse_directory(build(Sheet(GROUPED, GROUPED_MERGES)))
    assert parsed.errors == []
    assert [u.name for u in parsed.entries.units] == ["甲县人民政府", "市水利局"]
    assert [(p.unit, p.full_name, p.role, p.title, p.phone) for p in parsed.entries.people] == [
        ("甲县人民政府", "张三", Role.LIAISON, "股长", "13900000001"),
        ("甲县人民政府", "李四", Role.LEADER, "副县长", "13900000002"),
        ("市水利局", "王五", Role.LIAISON, "科长", "13900000003"),
        ("市水利局", "赵六", Role.LEADER, "副局长", "13900000004"),
    ]
    # Headings are named as the sheet writes them: the group and the column under it.
    assert parsed.rows.headings["leader_phone"] == "分管领导手机"


def test_a_unit_merged_down_over_its_people_rows():
    rows = [
        ["单位", "姓名", "职务", "电话", "角色"],
        ["甲县人民政府", "张三", "股长", "13900000001", "联络员"],
        [None, "李四", "副县长", "13900000002", "分管领导"],
        [None, "王五", "干事", "13900000005", "联络员"],
        ["市水利局", "赵六", "科长", "13900000003", "联络员"],
    ]
    parsed = parse_directory(xlsx(Sheet(rows, ("A2:A4",))))
    assert parsed.errors == []
    assert [(p.unit, p.full_name) for p in parsed.entries.people] == [
        ("甲县人民政府", "张三"),
        ("甲县人民政府", "李四"),
        ("甲县人民政府", "王五"),
        ("市水利局", "赵六"),
    ]


def test_the_directory_sheet_is_found_among_others():
    book = Book(
        [
            Sheet([["说明"], ["请按模板填写"]], name="填写说明"),
            Sheet([["单位名称", "单位类型"], ["市水利局", "部门"]], name="成员单位"),
        ]
    )
    parsed = parse_directory(xlsx(book))
    assert parsed.errors == []
    assert [u.name for u in parsed.entries.units] == ["市水利局"]
