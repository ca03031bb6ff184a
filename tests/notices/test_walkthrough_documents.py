"""What the walkthrough of issue 12 found in the documents: the notice's file name, dates, title and
words; the ledger's group headings and its 单位 line; chart legends that ran off the chart."""

from __future__ import annotations

import io
import re

from django.utils.formats import date_format
from openpyxl import load_workbook

from notices import ledger
from notices.charts import Series, bar_chart, line_chart
from notices.filters import ledger_request, ledger_unit_label
from notices.notice import notice_filename, notice_html
from supervision import services
from supervision.models import Assignment, Cycle, ItemCategory, ItemSource, Letter
from tests.conftest import FUTURE
from tests.helpers import draft_letter, sign_and_issue

SERIES_TITLE = "巩固衔接问题整改双周通报（第{n}期）"


def _cycle(number: int) -> Cycle:
    return Cycle.objects.get(number=number)


# --- the notice ------------------------------------------------------------------------------------


def test_a_title_naming_its_issue_is_not_given_the_issue_twice_in_the_file_name(ranked):
    named = services.notice_draft(
        actor=ranked.clerk, office=ranked.office, cycle=_cycle(1), title=SERIES_TITLE.format(n=1)
    )
    assert notice_filename(named) == "巩固衔接问题整改双周通报（第1期）.pdf"
    plain = services.notice_draft(actor=ranked.clerk, office=ranked.office, cycle=_cycle(2), title="双周通报")
    assert notice_filename(plain) == "双周通报（第2期）.pdf"


def test_a_new_notice_keeps_the_title_of_the_offices_series(ranked):
    services.notice_draft(actor=ranked.clerk, office=ranked.office, cycle=_cycle(1), title=SERIES_TITLE.format(n=1))
    second = services.notice_draft(actor=ranked.clerk, office=ranked.office, cycle=_cycle(2))
    assert second.title == SERIES_TITLE.format(n=2)


def test_the_default_opening_writes_the_period_as_days_not_iso_dates(ranked):
    cycle = _cycle(1)
    notice = services.notice_draft(actor=ranked.clerk, office=ranked.office, cycle=cycle)
    assert cycle.starts_on.isoformat() not in notice.opening
    assert f"({date_format(cycle.starts_on, 'F j')} to {date_format(cycle.ends_on, 'F j')})" in notice.opening


def test_the_notice_writes_its_dates_as_an_office_does_and_no_internal_terms(ranked):
    cycle = _cycle(2)
    notice = services.notice_draft(actor=ranked.clerk, office=ranked.office, cycle=cycle, title="双周通报")
    html = notice_html(notice)
    start, end = cycle.starts_on, cycle.ends_on
    assert start.year == end.year
    # Under the title the year once; in the summary none: 本期（1月15日至1月28日）.
    assert f"（{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日）" in html
    assert f"本期（{start.month}月{start.day}日至{end.month}月{end.day}日）" in html
    assert f"至{end.year}年" not in html
    # The rule set's version is bookkeeping; how ties are placed is what a reader needs.
    assert "评分规则" not in html and "第1版" not in html
    assert "按领导小组办公室确定的单位固定顺序排列" in html


# --- the ledger ------------------------------------------------------------------------------------


def _letter_from_four_sources(world) -> Letter:
    letter = draft_letter(world, units=[world.unit_a], items=[])
    for description, category, source in [
        ("国家反馈的问题", ItemCategory.COMMON, ItemSource.NATIONAL),
        ("省级反馈的问题", ItemCategory.COMMON, ItemSource.PROVINCIAL),
        ("自查发现的问题", ItemCategory.SPECIFIC, ItemSource.SELF_INSPECTION),
        ("暗访发现的问题", ItemCategory.SPECIFIC, ItemSource.UNANNOUNCED_VISIT),
        ("自查发现的共性问题", ItemCategory.COMMON, ItemSource.SELF_INSPECTION),
    ]:
        services.item_add(
            actor=world.clerk,
            letter=letter,
            description=description,
            measures="整改",
            category=category,
            source=source,
            deadline=FUTURE,
        )
    return sign_and_issue(world, letter)


def test_ledger_groups_are_headed_by_the_items_own_source(world):
    _letter_from_four_sources(world)
    out = io.BytesIO()
    ledger.write_ledger_xlsx(ledger.ledger_queryset(Assignment.objects.all()).iterator(), out)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    rows = [(row[0], row[1]) for row in ws.iter_rows(min_row=ledger.FIRST_DATA_ROW, values_only=True)]
    # A heading row per category; 问题类别 names each problem's own source: a self-found problem
    # filed as common is not labelled 国家、省反馈.
    assert rows == [
        ("一、共性问题", None),
        ("国家反馈", "国家反馈的问题"),
        ("省级反馈", "省级反馈的问题"),
        ("自查发现", "自查发现的共性问题"),
        ("二、个性问题", None),
        ("自查发现", "自查发现的问题"),
        ("暗访发现", "暗访发现的问题"),
    ]


def test_a_ledger_filtered_by_letter_names_whose_ledger_it_is(world):
    letter = _letter_from_four_sources(world)
    by_letter = ledger_request(letter=letter.number)
    assert ledger_unit_label(by_letter, world.clerk) == world.office.name
    assert ledger_unit_label(by_letter, world.observer) == world.office.name
    assert ledger_unit_label(by_letter) == world.office.name  # the command line
    # A unit's ledger stays its own; units asked for are named as asked.
    assert ledger_unit_label(by_letter, world.liaison_a) == world.unit_a.name
    assert ledger_unit_label(ledger_request(units=["甲县", "乙县"]), world.clerk) == "甲县人民政府、乙县人民政府"
    assert ledger_unit_label(ledger_request(), world.clerk) == world.office.name


# --- chart legends ---------------------------------------------------------------------------------

STATES = ["已下发", "退回待审签", "已退回", "已签收", "整改中", "完成待审签", "待核验", "已核验", "已销号"]


def _width(text: str) -> float:
    # As wide as a glyph is drawn at the charts' 11-unit font: CJK one em, Latin about 0.6 em.
    return sum(11 if ord(ch) > 0x2E80 else 6.5 for ch in text)


# A legend entry: its colour box, then its name (x, y, text); a bar: a box with a tooltip.
LEGEND_ENTRY = re.compile(
    r'<rect x="[\d.]+" y="[\d.]+" width="10" height="10" fill="[^"]+"/><text x="([\d.]+)" y="([\d.]+)">([^<]*)</text>'
)
BAR_TOP = re.compile(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="[^"]+"><title>')


def _legend(svg: str) -> list[tuple[float, float, str]]:
    return [(float(x), float(y), name) for x, y, name in LEGEND_ENTRY.findall(svg)]


def test_a_legend_of_many_states_wraps_inside_the_chart():
    series = [Series(name, [1, 2, 3], "#123456") for name in STATES]
    svg = bar_chart(categories=["县", "部门", "专班"], series=series, stacked=True, width=480, height=300)
    width, height = (int(v) for v in re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg).groups())
    legend = _legend(svg)
    assert [name for _x, _y, name in legend] == STATES
    assert all(x + _width(name) <= width for x, _y, name in legend)
    rows = sorted({y for _x, y, _name in legend})
    assert len(rows) >= 2
    # The plot starts below the last legend row, and the chart grew rather than its plot shrank.
    bars = [float(y) for y in BAR_TOP.findall(svg)]
    assert min(bars) > rows[-1]
    assert height > 300


def test_a_long_unit_name_in_a_legend_is_shortened_not_cut():
    names = ["乡村振兴产业发展与易地搬迁后续扶持暨稳岗就业工作专班办公室联络组", "甲县"]
    svg = line_chart(x_labels=["第1期", "第2期"], series=[Series(n, [1, 2], "#123456") for n in names], width=300)
    legend = _legend(svg)
    assert all(x + _width(name) <= 300 for x, _y, name in legend)
    assert legend[0][2].endswith("…") and legend[1][2] == "甲县"
