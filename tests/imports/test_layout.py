"""Where things are on an office's sheet: title rows, the two grouped heading rows of 附件1, section
rows that set category and source, the site beside the problem under a heading merged over two
columns, columns not imported, several sheets."""

from __future__ import annotations

from supervision.models import ItemCategory, ItemSource
from tests.imports.sheets import (
    COMMON,
    HEADING_MERGES,
    MEASURES_1,
    PHASE,
    PROBLEM_1,
    PROBLEM_2,
    SPECIFIC,
    Book,
    Sheet,
    ledger_head,
    ledger_row,
    xls,
    xlsx,
)

HEAD = ["序号", "问题描述", "整改措施", "责任单位", "整改时限"]
(M1, U1), (M2, U2), (M3, U3), _m4 = MEASURES_1
FIVE_GOOD = "问题四：易地扶贫搬迁“五好社区”创建工作不扎实。"


def test_title_rows_and_the_two_grouped_heading_rows(parse):
    rows = ledger_head() + [ledger_row(COMMON, PROBLEM_1, M1, U1)]
    sheet = parse(Sheet(rows, merges=(*HEADING_MERGES, "A1:J1")))
    assert sheet.errors == []
    [item] = sheet.items
    assert (item.row, item.description, item.measures) == (6, PROBLEM_1, M1)
    assert (item.category, item.source) == (ItemCategory.COMMON, ItemSource.NATIONAL)


def test_columns_not_imported_are_said_once_not_per_row(parse):
    rows = [
        ["问题描述", "整改措施", "整改进展", "责任单位", "责任人", "整改时限", "完成情况", "备注", "督导组意见"],
        *[[PROBLEM_1, m, "推进中", u, "张三", PHASE, "", "", ""] for m, u in ((M1, U1), (M2, U2), (M3, U3))],
    ]
    sheet = parse(rows)
    assert sheet.errors == [] and len(sheet.items) == 3
    assert [str(w) for w in sheet.warnings] == [
        "Not imported (kept on your sheet only): the columns “整改进展”、“责任人”、“完成情况”、“备注”、“督导组意见”.",
        "The sheet has no 问题类别 column and no section row: its problems were read as 个性问题.",
    ]
    assert all(i.warnings == [] for i in sheet.items)


def test_section_rows_set_category_and_source(parse):
    rows = [
        HEAD,
        ["一、共性问题（国家、省反馈）", None, None, None, None],  # merged across the sheet
        [1, PROBLEM_1, M1, U1, PHASE],
        ["（二）个性问题", None, None, None, None],  # alone in its row
        [2, FIVE_GOOD, "定期维修更新文化活动设施设备", "公共服务科", PHASE],
        [None, None, "共性问题（自查）", None, None],  # merged across, written in a later cell
        [3, PROBLEM_2, "开展文化惠民活动", "艺术科", PHASE],
    ]
    sheet = parse(Sheet(rows, merges=["A2:E2", "C6:E6"]))
    assert sheet.errors == [] and sheet.warnings == []
    assert [(i.row, i.category, i.source) for i in sheet.items] == [
        (3, ItemCategory.COMMON, ItemSource.NATIONAL),
        (5, ItemCategory.SPECIFIC, ItemSource.OTHER),
        (7, ItemCategory.COMMON, ItemSource.SELF_INSPECTION),
    ]


def test_a_section_row_the_importer_does_not_know_is_skipped_with_a_warning(parse):
    rows = [HEAD, ["一、产业发展方面", None, None, None, None], [1, PROBLEM_1, M1, U1, PHASE]]
    sheet = parse(Sheet(rows, merges=["A2:E2"]))
    assert sheet.errors == [] and len(sheet.items) == 1
    assert "Row 2: “一、产业发展方面” was read as a section title and skipped." in [str(w) for w in sheet.warnings]


def test_the_category_column_merged_down_names_the_source_in_brackets(parse):
    rows = ledger_head() + [
        ledger_row(COMMON, PROBLEM_1, M1, U1),
        ledger_row(SPECIFIC, FIVE_GOOD, "设施配套：定期维修更新文化活动设施设备", "公共服务科", site="XX 安置区"),
        ledger_row(None, None, "产业带动：开展文化惠民活动", "艺术科"),
    ]
    sheet = parse(Sheet(rows, merges=(*HEADING_MERGES, "A7:A8", "B7:B8", "C7:C8")))
    assert sheet.errors == []
    common, specific, again = sheet.items
    assert (common.category, common.source, common.site) == ("common", "national", "")
    # 个性问题 ( 自查 ): the second column under 问题描述 holds a place, the item's site.
    assert (specific.category, specific.source, specific.site) == ("specific", "self_inspection", "XX 安置区")
    assert (again.site, again.problem_no, again.description) == ("XX 安置区", specific.problem_no, FIVE_GOOD)


def test_an_aspect_beside_the_problem_heads_its_measure(parse):
    rows = ledger_head() + [
        ledger_row(SPECIFIC, FIVE_GOOD, "1. 定期维修更新文化活动设施设备", "公共服务科", site="设施配套"),
    ]
    [item] = parse(Sheet(rows, merges=HEADING_MERGES)).items
    assert (item.site, item.measures) == ("", "设施配套：1. 定期维修更新文化活动设施设备")


def test_the_first_sheet_with_headings_is_read_by_default_another_by_name(parse):
    book = Book(
        [
            Sheet([["说明：本台账每月20日前报送"]], name="填报说明"),
            Sheet([HEAD, [1, PROBLEM_1, M1, U1, PHASE]], name="问题清单"),
            Sheet([HEAD, [1, PROBLEM_2, M2, U2, PHASE], [2, PROBLEM_2, M3, U3, PHASE]], name="整改清单"),
        ]
    )
    sheet = parse(xlsx(book))
    assert (sheet.sheet, sheet.sheet_names) == ("问题清单", ["填报说明", "问题清单", "整改清单"])
    assert [i.description for i in sheet.items] == [PROBLEM_1]
    other = parse(xlsx(book), sheet="整改清单")
    assert other.sheet == "整改清单" and [i.description for i in other.items] == [PROBLEM_2, PROBLEM_2]
    assert [i.problem_no for i in other.items] == [1, 1]


def test_a_sheet_that_does_not_exist_is_an_error_naming_the_sheets(parse):
    book = Book([Sheet([HEAD], name="问题清单"), Sheet([HEAD], name="责任清单")])
    for build in (xlsx, xls):
        sheet = parse(build(book), sheet="整改清单")
        assert [str(e) for e in sheet.errors] == [
            "The workbook has no sheet “整改清单”; its sheets are “问题清单”、“责任清单”."
        ]
        assert sheet.sheet_names == ["问题清单", "责任清单"]


def test_no_sheet_with_headings(parse):
    book = Book([Sheet([["说明"]], name="说明"), Sheet([["名称", "备注"]], name="其他")])
    assert [str(e) for e in parse(xlsx(book)).errors] == [
        "No sheet has a heading row with “问题描述” in its first 10 rows: start from the template."
    ]


def test_headings_repeated_further_down_are_passed_over(parse):
    sheet = parse([HEAD, [1, PROBLEM_1, M1, U1, PHASE], HEAD, [2, PROBLEM_2, M2, U2, PHASE]])
    assert sheet.errors == [] and len(sheet.items) == 2


def test_a_heading_written_twice_is_still_an_error(parse):
    sheet = parse([["问题描述", "整改措施", "整改时限", "问题描述"], [PROBLEM_1, M1, PHASE, PROBLEM_2]])
    assert [str(e) for e in sheet.errors] == ["Row 1, 问题描述: This column appears twice; keep one of them."]


def test_a_category_left_empty_is_taken_from_the_row_above_with_a_warning(parse):
    rows = [
        ["问题类别", "问题描述", "整改措施", "责任单位", "整改时限"],
        ["共性问题", PROBLEM_1, M1, U1, PHASE],
        [None, PROBLEM_2, M2, U2, PHASE],
    ]
    sheet = parse(rows)
    assert sheet.errors == []
    assert sheet.items[1].category == "common"
    assert sheet.items[1].warnings == ["问题类别 left empty: taken from row 2."]


def test_a_source_written_in_words_of_its_own_is_read_with_a_warning(parse):
    rows = [["问题类别", "问题来源", "问题描述", "整改措施", "责任单位", "整改时限"]]
    rows.append(["共性问题", "国家考核评估反馈", PROBLEM_1, M1, U1, PHASE])
    rows.append(["共性问题", "网上舆情", PROBLEM_2, M2, U2, PHASE])
    sheet = parse(rows)
    assert [str(e) for e in sheet.errors] == [
        "Row 3, 问题来源: “网上舆情” is not one of: 国家反馈、省级反馈、自查发现、暗访发现、督查发现、其他."
    ]
    rows.pop()
    [item] = parse(rows).items
    assert item.source == "national"
    assert item.warnings == ["问题来源 “国家考核评估反馈” was read as 国家反馈."]
