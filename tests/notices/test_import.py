"""Importing a problem list (问题清单) from Excel into a draft letter: all rows or none, every
error at once with its row and column."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from notices.problem_list import COLUMNS, letter_items, write_problem_list
from notices.services import letter_import_items
from supervision import services
from supervision.models import Item, ItemCategory, ItemSource, Letter, LetterState, Unit, UnitKind
from supervision.services import InvalidTransition, NotAllowed
from tests.helpers import draft_letter, sign_and_issue, snapshot

HEADINGS = [c.heading for c in COLUMNS]
YEAR = 2031


def xlsx(rows: list[list], headings: list[str] | None = None, *, above: list[list] = ()) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    for row in above:
        ws.append(row)
    ws.append(HEADINGS if headings is None else headings)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def row(**cells) -> list:
    """A sheet row from column keys; a complete, valid problem by default."""
    values = {
        "seq": 1,
        "category": "个性问题",
        "source": "自查发现",
        "site": "",
        "description": "安置点配套设施不完善",
        "measures": "完善配套设施",
        "lead": "甲县人民政府",
        "cooperating": "",
        "deadline": "8月15日前",
        "problem_no": None,
    }
    values.update(cells)
    return [values[c.key] for c in COLUMNS]


@pytest.fixture
def draft(world) -> Letter:
    """A draft with no items yet, addressed to A and B."""
    return draft_letter(world, items=[])


def _import(world, letter, rows, **kwargs):
    return letter_import_items(actor=world.clerk, letter=letter, workbook_file=xlsx(rows, **kwargs), campaign_year=YEAR)


def _fields(item: Item) -> tuple:
    links = sorted((link.role, link.unit.name) for link in item.item_units.select_related("unit"))
    return (
        item.category,
        item.source,
        item.site,
        item.description,
        item.measures,
        item.deadline,
        item.deadline_kind,
        links,
    )


# --- the template and the round trip -----------------------------------------------------------


def test_the_template_has_the_chinese_headings(world):
    out = io.BytesIO()
    assert write_problem_list(out) == 0
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    assert [c.value for c in ws[1]] == [
        "序号",
        "问题类别",
        "问题来源",
        "安置点",
        "问题描述",
        "整改措施",
        "牵头单位",
        "配合单位",
        "整改时限",
        "问题编号",
    ]
    assert ws.max_row == 1
    assert ws.freeze_panes == "A2"
    validations = {str(v.sqref): v.formula1 for v in ws.data_validations.dataValidation}
    assert validations["B2:B2000"] == '"共性问题,个性问题"'
    assert "国家反馈" in validations["C2:C2000"]


def test_export_then_import_keeps_every_field(world):
    source = draft_letter(world, units=[world.unit_a, world.unit_b, world.unit_c], items=[])
    given = [
        {
            "description": "搬迁群众增收压力大，人均纯收入增速低于脱贫人口平均水平",
            "measures": "1. 支持文化产业赋能乡村振兴。\n2. 发展乡村旅游新业态。",
            "category": ItemCategory.COMMON,
            "source": ItemSource.NATIONAL,
            "deadline": dt.date(2031, 8, 15),
            "deadline_kind": "phase_then_ongoing",
        },
        {
            "description": "“五好社区”创建工作不扎实",
            "site": "幸福小区安置点",
            "measures": "定期维修更新文化活动设施设备",
            "category": ItemCategory.SPECIFIC,
            "source": ItemSource.UNANNOUNCED_VISIT,
            "deadline": dt.date(2031, 9, 30),
            "lead_unit_id": world.unit_a.pk,
            "cooperating_unit_ids": [world.unit_b.pk, world.unit_c.pk],
        },
        {
            "description": "=SUM(1,2) 看起来像公式的问题描述",
            "category": ItemCategory.SPECIFIC,
            "source": ItemSource.PROVINCIAL,
            "deadline": dt.date(2031, 12, 31),
            "lead_unit_id": world.unit_c.pk,
        },
    ]
    for fields in given:
        services.item_add(actor=world.clerk, letter=source, **fields)
    out = io.BytesIO()
    assert write_problem_list(out, letter_items(source)) == 3
    out.seek(0)

    target = draft_letter(world, units=[world.unit_a, world.unit_b, world.unit_c], items=[])
    result = letter_import_items(actor=world.clerk, letter=target, workbook_file=out, campaign_year=2020)
    assert result.ok, [str(e) for e in result.errors]
    before = [_fields(i) for i in source.items.order_by("seq")]
    after = [_fields(i) for i in target.items.order_by("seq")]
    assert after == before
    assert [i.seq for i in result.items] == [1, 2, 3]


# --- a good import -------------------------------------------------------------------------------


def test_rows_become_items_in_sheet_order(world, draft):
    result = _import(
        world,
        draft,
        [
            row(description="问题一", lead="甲县", cooperating="乙县人民政府、 市农业农村局"),
            [None] * len(COLUMNS),  # blank lines are skipped
            row(seq=3, description="问题二", lead="", deadline="2031年8月底前取得阶段性成效并长期坚持"),
            row(description="问题三", deadline=dt.datetime(2031, 10, 1), category="共性问题（国家、省反馈）"),
        ],
        above=[["某某问题清单"], []],
    )
    assert result.ok, [str(e) for e in result.errors]
    items = list(draft.items.order_by("seq"))
    assert [i.description for i in items] == ["问题一", "问题二", "问题三"]
    assert items[0].deadline == dt.date(YEAR, 8, 15)
    assert _fields(items[0])[-1] == [
        ("cooperating", "乙县人民政府"),
        ("cooperating", "市农业农村局"),
        ("lead", "甲县人民政府"),
    ]
    assert (items[1].deadline, items[1].deadline_kind) == (dt.date(2031, 8, 31), "phase_then_ongoing")
    assert not items[1].item_units.exists()  # no unit named: every addressee, as lead
    assert (items[2].category, items[2].deadline) == ("common", dt.date(2031, 10, 1))
    # C was not addressed: the import addressed it, so the letter can be signed and issued.
    assert result.added_addressees == [world.unit_c]
    assert set(draft.addressees.all()) == {world.unit_a, world.unit_b, world.unit_c}
    issued = sign_and_issue(world, draft)
    assert issued.state == LetterState.ISSUED


def test_a_copied_unit_that_gets_an_item_moves_to_the_addressees(world):
    letter = draft_letter(world, units=[world.unit_a], cc=[world.unit_c], items=[])
    result = _import(world, letter, [row(lead="市农业农村局")])
    assert result.ok
    assert set(letter.addressees.all()) == {world.unit_a, world.unit_c}
    assert not letter.cc_units.exists()


def test_the_year_defaults_to_this_year(world, draft):
    result = letter_import_items(actor=world.clerk, letter=draft, workbook_file=xlsx([row()]))
    assert result.ok
    assert draft.items.get().deadline.year == dt.date.today().year


# --- errors: every one reported, nothing imported ----------------------------------------------------


def _errors(world, letter, rows, **kwargs) -> list[str]:
    before = snapshot()
    result = _import(world, letter, rows, **kwargs)
    assert not result.ok
    assert not result.items
    assert snapshot() == before, "a refused import changes nothing"
    return [str(e) for e in result.errors]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"description": ""}, "Row 2, 问题描述: Missing: this column is required."),
        ({"category": None}, "Row 2, 问题类别: Missing: this column is required."),
        ({"deadline": ""}, "Row 2, 整改时限: Missing: this column is required."),
        ({"category": "重点问题"}, "Row 2, 问题类别: “重点问题” is not one of: 共性问题、个性问题."),
        ({"source": "网上舆情"}, "Row 2, 问题来源: “网上舆情” is not one of: 国家反馈、省级反馈"),
        (
            {"lead": "丙县人民政府"},
            "Row 2, 牵头单位: No unit is called “丙县人民政府”. Did you mean 甲县人民政府、乙县人民政府",
        ),
        ({"lead": "火星办公室"}, "Row 2, 牵头单位: No unit is called “火星办公室”."),
        ({"cooperating": "农业局"}, "Row 2, 配合单位: No unit is called “农业局”. Did you mean 农业农村局"),
        ({"lead": "", "cooperating": "乙县"}, "Row 2, 牵头单位: Name a lead unit before cooperating units."),
        ({"cooperating": "甲县"}, "Row 2, 配合单位: The lead unit cannot also be a cooperating unit."),
        ({"deadline": "尽快长期坚持"}, "Row 2, 整改时限: Write the deadline as a date"),
        ({"deadline": "2月30日前"}, "Row 2, 整改时限: 2031-2-30 is not a date."),
        ({"deadline": "尽快"}, "Row 2, 整改时限: Write the deadline as a date"),
        ({"description": "长" * 4001}, "Row 2, 问题描述: Too long: 4001 characters, at most 4000."),
        ({"measures": "长" * 4001}, "Row 2, 整改措施: Too long: 4001 characters, at most 4000."),
        ({"site": "长" * 121}, "Row 2, 安置点: Too long: 121 characters, at most 120."),
    ],
)
def test_each_error_names_its_row_and_column(world, draft, cells, expected):
    errors = _errors(world, draft, [row(**cells)])
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors[0]


def test_every_error_of_every_row_comes_back_at_once(world, draft):
    errors = _errors(
        world,
        draft,
        [
            row(description="问题一"),
            row(description="问题二", lead="丙县", deadline="尽快"),
            row(description="问题一"),  # the same as row 2
            row(description=" 问题 一 "),  # spacing aside, the same again
            row(description="问题一", site="幸福小区"),  # another site: another problem
            # Nothing but the measure of row 6 again: another measure of that problem, the same one.
            row(description="", category="", deadline=""),
        ],
    )
    assert [e.split(":")[0] for e in errors] == [
        "Row 3, 牵头单位",
        "Row 3, 整改时限",
        "Row 4, 问题描述",
        "Row 5, 问题描述",
        "Row 7, 问题描述",
    ]
    assert errors[2] == "Row 4, 问题描述: The same problem as row 2."
    assert errors[-1] == "Row 7, 问题描述: The same problem as row 6."


def test_a_problem_already_in_the_letter_is_a_duplicate(world):
    letter = draft_letter(world)  # item 1: 问题描述1：安置点配套设施不完善
    errors = _errors(world, letter, [row(description="问题描述1：安置点配套设施不完善")])
    assert errors == ["Row 2, 问题描述: The letter already has this problem, as item 1."]


def test_a_short_name_two_units_share_must_be_written_in_full(world, draft):
    Unit.objects.create(
        name="甲县农业农村局", short_name="农业农村局", kind=UnitKind.DEPARTMENT, peer_group="department"
    )
    [error] = _errors(world, draft, [row(lead="农业农村局")])
    assert error.startswith("Row 2, 牵头单位: “农业农村局” could be any of 市农业农村局、甲县农业农村局")


def test_an_inactive_unit_is_unknown(world, draft):
    Unit.objects.filter(pk=world.unit_b.pk).update(is_active=False)
    [error] = _errors(world, draft, [row(lead="乙县人民政府")])
    assert error.startswith("Row 2, 牵头单位: No unit is called “乙县人民政府”.")


def test_a_sheet_without_the_headings_or_with_a_column_missing(world, draft):
    assert _errors(world, draft, [["a", "b"]], headings=["名称", "说明"]) == [
        "No heading row with “问题描述” in the first 10 rows: start from the template."
    ]
    headings = [h for h in HEADINGS if h != "整改时限"]
    assert _errors(world, draft, [row()[:-1]], headings=headings) == ["Row 1, 整改时限: The column is missing."]


def test_a_file_that_is_not_a_workbook(world, draft):
    before = snapshot()
    for junk in (b"%PDF-1.7 not a workbook", b"PK\x03\x04 broken zip", "序号,问题描述\n1,问题".encode()):
        result = letter_import_items(actor=world.clerk, letter=draft, workbook_file=io.BytesIO(junk))
        assert [str(e) for e in result.errors] == [
            "This is not an Excel workbook (.xlsx or .xls). Save it from Excel as .xlsx and try again."
        ]
    assert snapshot() == before


def test_an_empty_list(world, draft):
    assert _errors(world, draft, []) == ["The sheet has no problems to import."]


# --- who may import into what -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["director", "inspector", "observer", "liaison_a", "outsider"])
def test_only_a_clerk_imports(world, draft, who):
    before = snapshot()
    with pytest.raises(NotAllowed):
        letter_import_items(actor=getattr(world, who), letter=draft, workbook_file=xlsx([row()]))
    assert snapshot() == before


def test_only_into_a_draft(world):
    letter = sign_and_issue(world, draft_letter(world))
    before = snapshot()
    with pytest.raises(InvalidTransition):
        letter_import_items(actor=world.clerk, letter=letter, workbook_file=xlsx([row(description="新问题")]))
    assert snapshot() == before


def test_a_refusal_by_the_services_rolls_back_every_row(world, draft, monkeypatch):
    """Should a service still refuse a row the importer passed, nothing of the file is kept."""
    real = services.item_add
    calls = []

    def item_add(**kwargs):
        calls.append(kwargs["description"])
        if len(calls) == 2:
            raise services.InvalidInput("Unknown or inactive responsible unit.", field="lead_unit")
        return real(**kwargs)

    monkeypatch.setattr(services, "item_add", item_add)
    before = snapshot()
    result = _import(world, draft, [row(description="问题一"), row(description="问题二", lead="市农业农村局")])
    assert [str(e) for e in result.errors] == ["Row 3, 牵头单位: Unknown or inactive responsible unit."]
    assert snapshot() == before
