"""The ledger (台账) in the layout of seed 000's 附件1, as Excel and as PDF."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from notices import ledger, wording
from notices.filters import ledger_request
from supervision import clock, services
from supervision.models import Assignment, ItemCategory, Letter
from supervision.selectors import visibility
from supervision.selectors.search import AssignmentFilters
from supervision.services import InvalidInput
from tests.conftest import FUTURE
from tests.helpers import draft_letter, sign_and_issue

from . import pdfs

HEADINGS_TOP = ["问题类别", "问题清单", "整改清单", None, None, "责任清单", None, None, "备注"]
HEADINGS_TOP_PDF = [h or "" for h in HEADINGS_TOP]
HEADINGS = [None, "问题描述", "整改措施", "整改进展", "整改时限", "责任单位", "责任人", "完成情况", None]


def _letter_with_categories(world) -> Letter:
    """Item 1 (specific, at a site) led by A with C cooperating; item 2 (common) to every addressee."""
    letter = draft_letter(world, units=[world.unit_a, world.unit_b, world.unit_c], items=[])
    services.item_add(
        actor=world.clerk,
        letter=letter,
        description="安置点配套设施不完善",
        measures="完善配套设施",
        site="幸福小区安置点",
        category=ItemCategory.SPECIFIC,
        deadline=FUTURE,
        lead_unit_id=world.unit_a.pk,
        cooperating_unit_ids=[world.unit_c.pk],
    )
    services.item_add(
        actor=world.clerk,
        letter=letter,
        description="搬迁群众增收压力大",
        measures="发展后续产业",
        category=ItemCategory.COMMON,
        deadline=FUTURE,
        deadline_kind="phase_then_ongoing",
    )
    return sign_and_issue(world, letter)


@pytest.fixture
def campaign(world) -> Letter:
    letter = _letter_with_categories(world)
    a = Assignment.objects.get(letter=letter, unit=world.unit_a, item__seq=1)
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk, responsible_person="张三")
    services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="已完成排查")
    services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="已完成道路硬化")
    return letter


def _export(base, filters=None, **kwargs) -> bytes:
    out = io.BytesIO()
    ledger.write_ledger_xlsx(ledger.ledger_queryset(base, filters).iterator(), out, **kwargs)
    return out.getvalue()


def _rows(ws) -> list[list]:
    """Every row under the heading: section heading rows and lines."""
    return [list(row) for row in ws.iter_rows(min_row=ledger.FIRST_DATA_ROW, values_only=True)]


def _data(ws) -> list[list]:
    """The lines, without the section heading rows (一、共性问题 …)."""
    return [row for row in _rows(ws) if not (row[0] and "、" in row[0] and not any(row[1:]))]


def test_excel_has_the_columns_of_the_seed_ledger(world, campaign):
    ws = load_workbook(io.BytesIO(_export(Assignment.objects.all(), unit_label="全市"))).active
    assert ws.title == wording.LEDGER_TITLE
    assert ws["A1"].value == "问题排查整改台账"
    assert ws["A2"].value == "单位：全市"
    assert ws["F2"].value == f"时间：{wording.chinese_date(clock.today())}"
    assert [c.value for c in ws[3]] == HEADINGS_TOP
    assert [c.value for c in ws[4]] == HEADINGS
    merged = {str(r) for r in ws.merged_cells.ranges}
    # The two heading rows of 附件1: a group over its columns, a one-column group down both rows.
    assert {"A1:I1", "A2:E2", "F2:I2", "A3:A4", "C3:E3", "F3:H3", "I3:I4"} <= merged
    assert ws.freeze_panes == "A5"
    assert ws.print_title_rows == "$3:$4"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["B"].width == ledger.COLUMN_WIDTHS[1]
    assert ws["B6"].alignment.wrap_text  # row 5 is the first section's heading


def test_excel_rows_group_by_category_and_merge_each_item(world, campaign):
    ws = load_workbook(io.BytesIO(_export(Assignment.objects.all()))).active
    rows = _rows(ws)
    number = Letter.objects.get(pk=campaign.pk).number
    d = FUTURE
    # A heading row per category, 共性问题 first: item 2, to A, B and C; then 个性问题: item 1, A
    # leading and C cooperating. 问题类别 names the items' own source (the default, self-inspection).
    assert rows == [
        ["一、共性问题", None, None, None, None, None, None, None, None],
        [
            "自查发现",
            "搬迁群众增收压力大",
            "发展后续产业",
            None,
            f"{d.year}年{d.month}月{d.day}日前取得阶段性成效并长期坚持",
            "甲县人民政府",
            None,
            "已下发",
            number,
        ],
        [None, None, None, None, rows[1][4], "乙县人民政府", None, "已下发", number],
        [None, None, None, None, rows[1][4], "市农业农村局", None, "已下发", number],
        ["二、个性问题", None, None, None, None, None, None, None, None],
        [
            "自查发现",
            "【幸福小区安置点】安置点配套设施不完善",
            "完善配套设施",
            "已完成道路硬化",  # the latest report
            f"{d.year}年{d.month}月{d.day}日前",
            "甲县人民政府",
            "张三",
            "整改中",
            number,
        ],
        [None, None, None, None, rows[5][4], "市农业农村局（配合单位）", None, "已下发", number],
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:I5", "A6:A8", "B6:B8", "C6:C8", "A9:I9", "A10:A11", "B10:B11", "C10:C11"} <= merged
    lines = [r for r in merged if int(r.split(":")[0][1:]) >= 5 and r not in ("A5:I5", "A9:I9")]
    assert not any(r.startswith(("D", "E", "F", "G", "H", "I")) for r in lines)
    assert ws["A5"].font.bold


def test_a_unit_exports_only_its_own_lines(world, campaign):
    visible = visibility.assignments_visible_to(world.liaison_b)
    rows = _data(load_workbook(io.BytesIO(_export(visible))).active)
    assert [r[5] for r in rows] == ["乙县人民政府"]
    assert not _data(load_workbook(io.BytesIO(_export(visibility.assignments_visible_to(world.outsider)))).active)


def test_filters_by_unit_letter_state_and_peer_group(world, campaign):
    other = sign_and_issue(world, draft_letter(world, units=[world.unit_b]))
    everything = Assignment.objects.all()

    def units(**asked) -> list[str]:
        filters = ledger_request(**asked).filters
        return [r[5] for r in _data(load_workbook(io.BytesIO(_export(everything, filters))).active)]

    assert len(units()) == 6
    assert units(units=["甲县"]) == ["甲县人民政府", "甲县人民政府"]
    assert units(letter=Letter.objects.get(pk=other.pk).number) == ["乙县人民政府"]
    assert units(letter=str(other.pk)) == ["乙县人民政府"]
    assert units(states=["in_progress"]) == ["甲县人民政府"]
    assert units(peer_group="department") == ["市农业农村局", "市农业农村局（配合单位）"]
    with pytest.raises(InvalidInput):
        ledger_request(states=["nonsense"])
    with pytest.raises(InvalidInput):
        ledger_request(units=["不存在的单位"])
    with pytest.raises(InvalidInput):
        ledger_request(peer_group="planets")
    with pytest.raises(InvalidInput):
        ledger_request(letter="测巩办督〔1999〕1号")


def test_dead_assignments_stay_out_unless_asked_for(world):
    letter = sign_and_issue(world, draft_letter(world))
    services.letter_withdraw(actor=world.clerk, letter=letter, reason="发错了")
    base = Assignment.objects.all()
    assert not list(ledger.ledger_queryset(base))
    assert len(list(ledger.ledger_queryset(base, AssignmentFilters(states=["withdrawn"])))) == 2


def test_one_query_whatever_the_number_of_lines(world, campaign):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _export(Assignment.objects.all())
        return len(captured)

    few = queries()
    for _ in range(3):
        _letter_with_categories(world)
    assert queries() == few == 1


def test_overdue_open_lines_say_so(world, campaign):
    Assignment.objects.filter(letter=campaign, unit=world.unit_b).update(deadline=dt.date(2020, 1, 1))
    rows = _data(load_workbook(io.BytesIO(_export(Assignment.objects.all()))).active)
    assert rows[1][7] == "已下发（逾期）"
    assert rows[0][7] == "已下发"


def test_user_text_is_never_a_formula(world):
    letter = draft_letter(world, items=[])
    services.item_add(actor=world.clerk, letter=letter, description='=HYPERLINK("http://x","y")', deadline=FUTURE)
    services.item_add(actor=world.clerk, letter=letter, description="控制字符\x0b也能导出", deadline=FUTURE)
    sign_and_issue(world, letter)
    ws = load_workbook(io.BytesIO(_export(Assignment.objects.all()))).active
    cell = ws["B6"]  # under the section heading
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert ws["B8"].value == "控制字符也能导出"


def test_pdf_ledger_is_landscape_with_the_same_columns(world, campaign):
    document = ledger.ledger_pdf(ledger.ledger_queryset(Assignment.objects.all()), unit_label="全市")
    assert all(abs(w - 841.89) < 1 and abs(h - 595.28) < 1 for w, h in pdfs.page_sizes(document))
    text = pdfs.text(document)
    assert "问题排查整改台账" in text and "单位：全市" in text
    [table] = pdfs.tables(document, 1)
    number = Letter.objects.get(pk=campaign.pk).number
    d = FUTURE
    ongoing, by_date = f"{d.year}年{d.month}月{d.day}日前取得阶段性成效并长期坚持", f"{d.year}年{d.month}月{d.day}日前"
    assert table[:2] == [HEADINGS_TOP_PDF, [""] + HEADINGS[1:-1] + [""]]
    # A heading row per category, then the lines; an item's cells are drawn merged (blank below).
    assert table[2:] == [
        ["一、共性问题"] + [""] * 8,
        ["自查发现", "搬迁群众增收压力大", "发展后续产业", "", ongoing, "甲县人民政府", "", "已下发", number],
        ["", "", "", "", ongoing, "乙县人民政府", "", "已下发", number],
        ["", "", "", "", ongoing, "市农业农村局", "", "已下发", number],
        ["二、个性问题"] + [""] * 8,
        [
            "自查发现",
            "【幸福小区安置点】安置点配套设施不完善",
            "完善配套设施",
            "已完成道路硬化",
            by_date,
            "甲县人民政府",
            "张三",
            "整改中",
            number,
        ],
        ["", "", "", "", by_date, "市农业农村局（配合单位）", "", "已下发", number],
    ]
    for font in pdfs.fonts(document):
        assert pdfs.SUBSET.match(font.name) and font.embedded


def test_pdf_ledger_refuses_past_its_row_limit(world, campaign):
    with pytest.raises(InvalidInput, match="more than 3 rows"):
        ledger.ledger_pdf(ledger.ledger_queryset(Assignment.objects.all()), max_rows=3)


# --- sections, sources and problems ---------------------------------------------------------------------


@pytest.fixture
def problems(world) -> Letter:
    """Problem 1 (national feedback): two measures at two sites, led by A and by B. Then a
    provincial problem and a self-found one, each a single item to A."""
    letter = draft_letter(world, units=[world.unit_a, world.unit_b], items=[])
    rows = (
        ("common", "national", "安置区配套设施不完善", "完善水电路", "幸福小区", world.unit_a, 1),
        ("common", "national", "安置区配套设施不完善", "建设服务中心", "和谐家园", world.unit_b, 1),
        ("common", "provincial", "后续产业带动不强", "培育帮扶车间", "", world.unit_a, None),
        ("specific", "self_inspection", "社区治理不扎实", "健全网格管理", "", world.unit_a, None),
    )
    for category, source, description, measures, site, lead, problem_no in rows:
        services.item_add(
            actor=world.clerk,
            letter=letter,
            category=category,
            source=source,
            description=description,
            measures=measures,
            site=site,
            deadline=FUTURE,
            lead_unit_id=lead.pk,
            problem_no=problem_no,
        )
    return sign_and_issue(world, letter)


def test_excel_sections_by_category_sources_as_recorded_and_each_problem_once(world, problems):
    ws = load_workbook(io.BytesIO(_export(Assignment.objects.all()))).active
    rows = [row[:3] + row[5:6] for row in _rows(ws)]
    assert rows == [
        ["一、共性问题", None, None, None],
        # The problem once over its two measures; each measure with its own site.
        ["国家反馈", "安置区配套设施不完善", "【幸福小区】完善水电路", "甲县人民政府"],
        [None, None, "【和谐家园】建设服务中心", "乙县人民政府"],
        ["省级反馈", "后续产业带动不强", "培育帮扶车间", "甲县人民政府"],
        ["二、个性问题", None, None, None],
        ["自查发现", "社区治理不扎实", "健全网格管理", "甲县人民政府"],
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:I5", "A6:A7", "B6:B7", "A9:I9"} <= merged
    assert not {"C6:C7", "A6:A8", "B6:B8"} & merged


def test_pdf_sections_by_category_sources_as_recorded_and_each_problem_once(world, problems):
    document = ledger.ledger_pdf(ledger.ledger_queryset(Assignment.objects.all()))
    [table] = pdfs.tables(document, 1)
    assert [row[:3] + row[5:6] for row in table[2:]] == [
        ["一、共性问题", "", "", ""],
        ["国家反馈", "安置区配套设施不完善", "【幸福小区】完善水电路", "甲县人民政府"],
        ["", "", "【和谐家园】建设服务中心", "乙县人民政府"],
        ["省级反馈", "后续产业带动不强", "培育帮扶车间", "甲县人民政府"],
        ["二、个性问题", "", "", ""],
        ["自查发现", "社区治理不扎实", "健全网格管理", "甲县人民政府"],
    ]
    assert pdfs.text(document).count("安置区配套设施不完善") == 1


def test_sections_are_numbered_in_chinese():
    assert [ledger.chinese_ordinal(n) for n in (1, 2, 9, 10, 11, 20, 35)] == [
        "一",
        "二",
        "九",
        "十",
        "十一",
        "二十",
        "三十五",
    ]


# --- the filter line ------------------------------------------------------------------------------------


def test_the_filter_line_names_the_unit_and_the_letter_in_the_excel_and_the_pdf(client, world, problems):
    from django.urls import reverse

    from tests.helpers import signed_in

    number = Letter.objects.get(pk=problems.pk).number
    client = signed_in(client, world.clerk)
    query = {"unit": world.unit_a.pk, "letter": problems.pk, "state": "issued", "overdue": ""}
    response = client.get(reverse("notices:ledger_xlsx"), query)
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ws["A2"].value == f"单位：甲县人民政府　文号：{number}；状态：已下发、退回待审签"  # the phase, its states
    response = client.get(reverse("notices:ledger_pdf"), {"letter": number, "source": "national", "overdue": "on"})
    text = pdfs.text(response.content)
    # By letter alone, the ledger is the office's; the line names the letter and the rest.
    assert f"单位：{world.office.name}文号：{number}；问题来源：国家反馈；仅看逾期" in text


def test_the_ledger_page_names_the_filters_it_was_opened_with(client, world, problems, django_assert_max_num_queries):
    from html import unescape

    from django.urls import reverse

    from tests.helpers import signed_in

    letter = Letter.objects.get(pk=problems.pk)
    client = signed_in(client, world.clerk)
    url = reverse("notices:ledger_page")
    with django_assert_max_num_queries(20):
        page = unescape(client.get(url, {"unit": world.unit_a.pk, "letter": letter.pk, "open": "on"}).content.decode())
    said = re.sub(r"<[^>]+>", "", page)
    assert f"Filtered by: Unit: 甲县人民政府; Letter: {letter.number} {letter.title}; Open only\n" in said
    assert f'<option value="{world.unit_a.pk}" selected>' in page
    assert f'<option value="{letter.pk}" selected>' in page
    # The downloads keep every filter, the list's own (open only) too.
    assert f'formaction="{reverse("notices:ledger_xlsx")}?unit={world.unit_a.pk}&letter={letter.pk}&open=on"' in page
    # Unfiltered, the page says nothing of filters; a filter naming nothing is said, not a 500.
    assert "Filtered by" not in client.get(url).content.decode()
    page = client.get(url, {"unit": "不存在的单位"}).content.decode()
    assert "No unit is called" in page and "Filtered by" not in page
