"""责任单位 cells as offices write them: several units in one cell (the first leads), collective
names in either bracket width (各县（市、区）文旅局: every county bureau), spaces and punctuation
of either width. Unit names and measures from the seed letter."""

from __future__ import annotations

import pytest

from notices.importer import parse_workbook
from notices.sheet_units import split_names
from supervision.models import PeerGroup, Unit, UnitKind
from tests.imports.sheets import BUREAUS, PHASE, TODAY, YEAR, xlsx

HEAD = ["问题类别", "问题描述", "整改措施", "责任单位", "整改时限"]
PROBLEM = "搬迁脱贫人口持续增收仍有压力"


def _sheet(*cells: str, deadline: str = PHASE) -> list[list]:
    return [HEAD] + [["共性问题", PROBLEM, f"措施{n}", units, deadline] for n, units in enumerate(cells, start=1)]


def _names(units) -> list[str]:
    return [u.name for u in units]


@pytest.mark.parametrize(
    "cell",
    [
        "资源开发科、产业发展科、公共服务科",
        "资源开发科，产业发展科，公共服务科",
        "资源开发科, 产业发展科,公共服务科",
        "资源开发科；产业发展科;公共服务科",
        "资源开发科/产业发展科／公共服务科",
        "资源开发科\n产业发展科\n公共服务科",
        " 资源 开发科 、 产业发展科、公共服务科、",
    ],
)
def test_several_units_in_one_cell_the_first_leads(parse, cell):
    sheet = parse(_sheet(cell))
    assert sheet.errors == []
    [item] = sheet.items
    assert _names(item.leads) == ["资源开发科"]
    assert _names(item.cooperating) == ["产业发展科", "公共服务科"]
    assert item.units_written == cell.strip()
    assert item.lead.name == "资源开发科"  # for callers that read one lead


@pytest.mark.parametrize(
    "collective",
    [
        "各县（市、区）文旅局",
        "各县(市、区)文旅局",
        "各县（市，区）文旅局",
        "各县 ( 市、区 ) 文化和旅游局",
        "各县（市、区）",
    ],
)
def test_a_collective_name_first_makes_every_county_a_lead(parse, collective):
    sheet = parse(_sheet(collective + "、资源开发科"))
    assert sheet.errors == []
    [item] = sheet.items
    assert _names(item.leads) == list(BUREAUS)
    assert _names(item.cooperating) == ["资源开发科"]
    assert item.expansions == [(collective.strip(), list(BUREAUS))]


def test_a_collective_name_later_cooperates(parse):
    [item] = parse(_sheet("资源开发科、各县（市、区）文旅局")).items
    assert _names(item.leads) == ["资源开发科"]
    assert _names(item.cooperating) == list(BUREAUS)


def test_department_collectives_and_a_unit_named_twice(parse):
    [first, second] = parse(_sheet("市直各有关部门", "艺术科、各相关科室")).items
    sections = ["人事科", "产业发展科", "艺术科", "公共服务科", "资源开发科"]
    assert _names(first.leads) == sections and first.cooperating == []
    # 艺术科 leads; the collective adds the other sections as cooperating, not 艺术科 again.
    assert _names(second.leads) == ["艺术科"]
    assert _names(second.cooperating) == [s for s in sections if s != "艺术科"]


def test_work_teams_and_townships(parse, seed):
    Unit.objects.create(name="产业就业专班", kind=UnitKind.WORK_TEAM, peer_group=PeerGroup.WORK_TEAM)
    Unit.objects.create(name="信义镇", kind=UnitKind.TOWNSHIP, peer_group=PeerGroup.TOWNSHIP)
    Unit.objects.create(name="旧镇", kind=UnitKind.TOWNSHIP, peer_group=PeerGroup.TOWNSHIP, is_active=False)
    sheet = parse(_sheet("各工作专班、各乡镇"), directory=type(seed).load())
    [item] = sheet.items
    assert _names(item.leads) == ["产业就业专班"]
    assert _names(item.cooperating) == ["信义镇"]  # only active units


def test_a_collective_that_stands_for_no_unit_is_an_error(parse):
    sheet = parse(_sheet("各工作专班、资源开发科"))
    assert sheet.items == []
    assert [str(e) for e in sheet.errors] == [
        "Row 2, 责任单位: “各工作专班” stands for the Work teams, but there is no active one: name the units."
    ]


def test_an_unknown_unit_is_an_error_with_suggestions(parse):
    sheet = parse(_sheet("各县（市、区）文旅局、资源科"))
    assert [str(e) for e in sheet.errors] == ["Row 2, 责任单位: No unit is called “资源科”. Did you mean 资源开发科?"]


def test_short_names_and_spaces_inside_names(parse):
    [item] = parse(_sheet("离石区 文旅局、孝义市文化和 旅游局")).items
    assert _names(item.leads) == ["离石区文化和旅游局"]
    assert _names(item.cooperating) == ["孝义市文化和旅游局"]


def test_template_columns_name_several_leads(seed):
    """Beside a cooperating column (the project's template), every unit of the lead column leads."""
    rows = [
        ["问题类别", "问题描述", "整改措施", "牵头单位", "配合单位", "整改时限"],
        ["共性问题", PROBLEM, "措施", "离石区文旅局、孝义市文旅局", "各相关科室", "8月15日前"],
    ]
    sheet = parse_workbook(xlsx(rows), campaign_year=YEAR, directory=seed, today=TODAY)
    [item] = sheet.items
    assert _names(item.leads) == ["离石区文化和旅游局", "孝义市文化和旅游局"]
    assert len(item.cooperating) == 5


def test_names_split_outside_brackets_only():
    assert split_names("各县（市、区）文旅局、人事科，艺术科") == ["各县（市、区）文旅局", "人事科", "艺术科"]
    assert split_names("各县(市、区)文旅局/产业发展科") == ["各县(市、区)文旅局", "产业发展科"]
    assert split_names(" 、\n") == []
