"""One problem, several measures: the same 问题描述 on consecutive rows, written once in a cell
merged down, or left empty below, with a measure on each row, is ONE problem. Each measure is
its own item (its own units and deadline), the items share the problem's number, and they are
never duplicates of each other."""

from __future__ import annotations

import datetime as dt

from tests.imports.sheets import MEASURES_1, PHASE, PROBLEM_1, PROBLEM_2, Sheet

HEAD = ["问题类别", "问题描述", "整改措施", "责任单位", "整改时限"]
(M1, U1), (M2, U2), (M3, U3), (M4, U4) = MEASURES_1


def _rows(*rows: list) -> list[list]:
    return [HEAD, *rows]


def _grouping(sheet) -> list[tuple[int, int | None, str]]:
    return [(i.row, i.problem_no, i.description) for i in sheet.items]


def test_the_problem_repeated_on_each_measure_row(parse):
    sheet = parse(
        _rows(
            ["共性问题", PROBLEM_1, M1, U1, PHASE],
            ["共性问题", PROBLEM_1, M2, U2, PHASE],
            ["共性问题", " " + PROBLEM_1.replace("，", "， "), M3, U3, "9月底前"],  # spacing aside, the same
            ["共性问题", PROBLEM_2, "定期维修更新文化活动设施设备", "公共服务科", PHASE],
        )
    )
    assert sheet.errors == [] and sheet.warnings == []
    assert _grouping(sheet) == [(2, 1, PROBLEM_1), (3, 1, PROBLEM_1), (4, 1, PROBLEM_1), (5, 2, PROBLEM_2)]
    # Each measure keeps its own units and deadline; the measure's numbering stays as written.
    assert [i.measures for i in sheet.items[:3]] == [M1, M2, M3]
    assert [len(i.cooperating) for i in sheet.items[:3]] == [4, 1, 3]
    assert sheet.items[2].deadline == dt.date(2023, 9, 30)


def test_the_problem_written_once_in_a_cell_merged_down(parse):
    rows = _rows(
        ["共性问题", PROBLEM_1, M1, U1, PHASE],
        [None, None, M2, U2, PHASE],
        [None, None, M3, U3, PHASE],
        [None, None, M4, U4, PHASE],
        ["共性问题", PROBLEM_2, "定期维修更新文化活动设施设备", "公共服务科", PHASE],
    )
    sheet = parse(Sheet(rows, merges=["A2:A5", "B2:B5"]))
    assert sheet.errors == [] and sheet.warnings == []
    assert _grouping(sheet) == [
        (2, 1, PROBLEM_1),
        (3, 1, PROBLEM_1),
        (4, 1, PROBLEM_1),
        (5, 1, PROBLEM_1),
        (6, 2, PROBLEM_2),
    ]
    assert {i.category for i in sheet.items} == {"common"}


def test_the_problem_left_empty_below_is_a_guess_and_says_so(parse):
    sheet = parse(_rows(["共性问题", PROBLEM_1, M1, U1, PHASE], [None, None, M2, U2, PHASE]))
    assert sheet.errors == []
    assert _grouping(sheet) == [(2, 1, PROBLEM_1), (3, 1, PROBLEM_1)]
    assert sheet.items[1].warnings == ["问题描述 left empty: read as another measure of the problem in row 2."]
    assert sheet.items[1].category == "common"


def test_units_and_deadline_merged_over_several_measures_apply_to_each(parse):
    rows = _rows(
        ["共性问题", PROBLEM_1, M1, U2, PHASE],
        [None, None, M2, None, None],
        [None, None, M3, "艺术科", "年底前"],
    )
    sheet = parse(Sheet(rows, merges=["A2:A4", "B2:B4", "D2:D3", "E2:E3"]))
    assert sheet.errors == [] and sheet.warnings == []
    first, second, third = sheet.items
    assert first.units == second.units and [u.name for u in third.units] == ["艺术科"]
    assert first.deadline == second.deadline == dt.date(2023, 8, 15)
    assert second.warnings == []  # merged: nothing guessed
    assert third.deadline == dt.date(2023, 12, 31)


def test_units_and_deadline_left_empty_below_are_taken_from_above_with_a_warning(parse):
    sheet = parse(_rows(["共性问题", PROBLEM_1, M1, U2, PHASE], [None, None, M2, None, None]))
    assert sheet.errors == []
    second = sheet.items[1]
    assert second.units == sheet.items[0].units and second.deadline == dt.date(2023, 8, 15)
    assert second.warnings == [
        "问题描述 left empty: read as another measure of the problem in row 2.",
        "责任单位 left empty: the units of row 2 were used.",
        "整改时限 left empty: the deadline of row 2 was used.",
    ]


def test_a_measure_merged_over_rows_of_units_is_one_item(parse):
    rows = _rows(["共性问题", PROBLEM_1, M1, "离石区文旅局", PHASE], [None, None, None, "孝义市文旅局", None])
    sheet = parse(Sheet(rows, merges=["A2:A3", "B2:B3", "C2:C3", "E2:E3"]))
    assert sheet.errors == []
    [item] = sheet.items
    assert item.rows == [2, 3]
    assert [u.name for u in item.leads] == ["离石区文化和旅游局"]
    assert [u.name for u in item.cooperating] == ["孝义市文化和旅游局"]


def test_the_same_measure_twice_is_a_duplicate_another_measure_is_not(parse):
    sheet = parse(
        _rows(
            ["共性问题", PROBLEM_1, M1, U1, PHASE],
            ["共性问题", PROBLEM_1, M2, U2, PHASE],
            ["共性问题", PROBLEM_1, M1, U1, PHASE],
        )
    )
    assert [str(e) for e in sheet.errors] == ["Row 4, 问题描述: The same problem as row 2."]


def test_a_problem_met_again_further_down_is_the_same_problem(parse):
    sheet = parse(
        _rows(
            ["共性问题", PROBLEM_1, M1, U1, PHASE],
            ["共性问题", PROBLEM_2, "定期维修更新文化活动设施设备", "公共服务科", PHASE],
            ["共性问题", PROBLEM_1, M2, U2, PHASE],
        )
    )
    assert sheet.errors == []
    assert [i.problem_no for i in sheet.items] == [1, 2, 1]
    assert sheet.items[2].warnings == ["The same problem as row 2: read as another of its measures."]


def test_a_further_measure_row_needs_its_measure(parse):
    rows = _rows(["共性问题", PROBLEM_1, M1, U1, PHASE], [None, None, None, U2, PHASE])
    sheet = parse(Sheet(rows, merges=["B2:B3"]))
    assert [str(e) for e in sheet.errors] == [
        "Row 3, 整改措施: Missing: another measure of the problem in row 2 needs its text."
    ]


def test_one_measure_per_problem_stands_alone(parse):
    sheet = parse(
        _rows(
            ["共性问题", PROBLEM_1, M1, U1, PHASE],
            ["共性问题", PROBLEM_2, "定期维修更新文化活动设施设备", "公共服务科", PHASE],
        )
    )
    assert [i.problem_no for i in sheet.items] == [None, None]


def test_rows_merged_down_with_nothing_new_are_blank(parse):
    rows = _rows(["共性问题", PROBLEM_1, M1, U1, PHASE], [None, None, None, None, None], [None] * 5)
    sheet = parse(Sheet(rows, merges=["A2:A4", "B2:B4"]))
    assert sheet.errors == [] and len(sheet.items) == 1
