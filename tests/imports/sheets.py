"""Sheets as offices type them, for the import tests and the benchmark: .xlsx (openpyxl) or .xls
(xlwt), one sheet or several, with merged cells; and the units of the seed letter (吕梁市文化和
旅游局, 吕文旅发〔2023〕104号): the county-level culture and tourism bureaus of 吕梁 and the
bureau's own sections.

A sheet is a list of rows (lists of cell values, None for an empty cell) and merged ranges in
Excel's notation ("B6:C9"): the value of a merged range is the one in its first cell.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.utils.cell import range_boundaries

from notices.directory import UnitDirectory
from supervision.models import PeerGroup, Unit, UnitKind

YEAR = 2023
TODAY = dt.date(2023, 6, 20)  # the day the seed letter was issued

# The county-level divisions of 吕梁 (one district, two cities, ten counties), each with its
# culture and tourism bureau.
LVLIANG = (
    "离石区",
    "孝义市",
    "汾阳市",
    "文水县",
    "交城县",
    "兴县",
    "临县",
    "柳林县",
    "石楼县",
    "岚县",
    "方山县",
    "中阳县",
    "交口县",
)
SECTIONS = ("人事科", "产业发展科", "艺术科", "公共服务科", "资源开发科")
BUREAUS = tuple(f"{place}文化和旅游局" for place in LVLIANG)


@dataclass
class Sheet:
    rows: list[list[Any]]
    merges: Sequence[str] = ()
    name: str = "Sheet1"


@dataclass
class Book:
    sheets: list[Sheet] = field(default_factory=list)


def _sheets(content: Sheet | Book | list[list[Any]]) -> list[Sheet]:
    if isinstance(content, Book):
        return content.sheets
    if isinstance(content, Sheet):
        return [content]
    return [Sheet(content)]


def xlsx(content: Sheet | Book | list[list[Any]]) -> io.BytesIO:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in _sheets(content):
        ws = wb.create_sheet(sheet.name)
        for row in sheet.rows:
            ws.append(row)
        for merged in sheet.merges:
            ws.merge_cells(merged)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "整改台账.xlsx"
    return out


def xls(content: Sheet | Book | list[list[Any]]) -> io.BytesIO:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for sheet in _sheets(content):
        ws = wb.add_sheet(sheet.name)
        anchors = {}
        for merged in sheet.merges:
            min_col, min_row, max_col, max_row = range_boundaries(merged)
            anchors[(min_row, min_col)] = (max_row, max_col)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if (r, c) in anchors:
                    last_row, last_col = anchors[(r, c)]
                    ws.write_merge(r - 1, last_row - 1, c - 1, last_col - 1, value)
                elif value is not None and not _inside(r, c, anchors):
                    if isinstance(value, dt.date):
                        ws.write(r - 1, c - 1, value, dates)
                    else:
                        ws.write(r - 1, c - 1, value)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "整改台账.xls"
    return out


def _inside(r: int, c: int, anchors: dict) -> bool:
    return any(r0 <= r <= r1 and c0 <= c <= c1 for (r0, c0), (r1, c1) in anchors.items())


# --- the seed letter's units ---------------------------------------------------------------------------


def seed_units() -> UnitDirectory:
    """The 13 county bureaus (peer group county) and the five sections (departments) the seed
    letter names, as active units; the directory the import reads them from."""
    for order, (place, name) in enumerate(zip(LVLIANG, BUREAUS, strict=True)):
        Unit.objects.create(
            name=name,
            short_name=f"{place}文旅局",
            kind=UnitKind.COUNTY,
            peer_group=PeerGroup.COUNTY,
            sort_order=order,
        )
    for order, name in enumerate(SECTIONS):
        Unit.objects.create(name=name, kind=UnitKind.DEPARTMENT, peer_group=PeerGroup.DEPARTMENT, sort_order=order)
    return UnitDirectory.load()


# --- the seed ledger (附件1: 吕梁市易地扶贫搬迁后续扶持问题排查整改台账) ---------------------------------

TITLE = "吕梁市易地扶贫搬迁后续扶持问题排查整改台账"
UPPER = ["问题类别", "问题清单", None, "整改清单", None, None, "责任清单", None, None, "备注"]
LOWER = [None, "问题描述", None, "整改措施", "整改进展", "整改时限", "责任单位", "责任人", "完成情况", None]
HEADING_MERGES = ("A4:A5", "B4:C4", "D4:F4", "G4:I4", "J4:J5", "B5:C5")
COMMON = "共性问题 ( 国家、省反馈 )"
SPECIFIC = "个性问题 ( 自查 )"
PHASE = "8月15日前取得阶段性成效并长期坚持"

PROBLEM_1 = "问题一：搬迁脱贫人口持续增收仍有压力，异地搬迁脱贫人口人均纯收入增速连续两年仍低于脱贫人口平均水平。"
PROBLEM_2 = "问题二、异地扶贫搬迁“五好社区”创建工作不扎实"
# (measure, 责任单位 as the letter writes them): four measures of problem one, one of problem two.
MEASURES_1 = (
    (
        "1. 支持文化产业赋能乡村振兴。支持掌握乡村创新发展理念的公务员、企业家、创业者、社会工作者、艺术家等人才，"
        "因地制宜，选定文化产业特色，指导支持当地产业发展和文化发展，激活乡土文化活力和文化生产力。",
        "各县(市、区)文旅局、人事科、产业发展科、艺术科、公共服务科",
    ),
    (
        "2. 发展乡村旅游新业态。支持易地扶贫搬迁点依托特色农产品及人文景观等资源，推动传统工艺、康养健身、"
        "田园观光、民俗体验等融合互促，发展乡村休闲旅游。",
        "各县(市、区)文旅局、资源开发科",
    ),
    (
        "3. 开发乡村旅游精品线路。打造一批“旅游+非遗”“旅游+康养”等乡村旅游精品线路，辐射周边扶贫安置点。",
        "各县(市、区)文旅局、资源开发科、产业发展科、公共服务科",
    ),
    (
        "4. 支持建设非遗工坊。依据《非遗工坊认定与管理办法》，支持民间手工艺人领办或创办非遗工坊，"
        "培育一批深受消费者欢迎的非遗产品。",
        "各县（市、区）文旅局、公共服务科、资源开发科、产业发展科",
    ),
)
MEASURES_2 = (
    (
        "要定期维修更新文化活动设施设备，丰富安置点群众文化活动。面向安置点群众，持续开展文化惠民活动，"
        "实施“五个一批”群众文化惠民工程适当向安置点倾斜，免费送戏下乡分配一定场次到易地扶贫安置点，"
        "文艺小分队、乡村文化带头人优先从安置点群众中推选培养，建立壮大安置点社区文化志愿者服务队伍，"
        "引导安置点群众积极参与文化活动。",
        "各县（市、区）文旅局、公共服务科、艺术科",
    ),
)


def ledger_head() -> list[list[Any]]:
    """The title rows and the two heading rows of 附件1 (rows 1–5)."""
    return [[TITLE] + [None] * 9, ["单位:"], ["时间:"], list(UPPER), list(LOWER)]


def ledger_row(
    category: str | None, problem: str | None, measure: str, units: str, deadline: Any = PHASE, site: str | None = None
) -> list[Any]:
    return [category, problem, site, measure, None, deadline, units, None, None, None]


def seed_ledger() -> Sheet:
    """The seed letter's two problems and five measures, typed into 附件1: the category merged
    down the section, each problem merged down over its measures and across its two columns."""
    rows = ledger_head()
    rows.append(ledger_row(COMMON, PROBLEM_1, *MEASURES_1[0]))
    rows += [ledger_row(None, None, *measure) for measure in MEASURES_1[1:]]
    rows.append(ledger_row(None, PROBLEM_2, *MEASURES_2[0]))
    merges = (*HEADING_MERGES, "A1:J1", "A6:A10", "B6:C9", "B10:C10")
    return Sheet(rows, merges, name="整改台账")
