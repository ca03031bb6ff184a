"""The attachment table of a letter (附件：整改事项清单): the measures of one problem under the
problem printed once, as ledgers print it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notices.letter_items import item_table
from notices.letters import letter_html, letter_pdf
from supervision import clock, services
from supervision.models import Letter
from tests.conftest import FUTURE
from tests.helpers import draft_letter, sign_and_issue

from . import pdfs

PROBLEM = "安置点配套设施不完善，群众反映强烈"


@pytest.fixture
def problems(world) -> Letter:
    """Items 1 and 2: two measures of problem 1, led by A and by B; item 3 stands alone."""
    letter = draft_letter(world, units=[world.unit_a, world.unit_b], items=[])
    for measures, lead, problem_no in (
        ("完善水电路配套", world.unit_a, 1),
        ("建设社区服务中心", world.unit_b, 1),
        ("落实后续扶持政策", None, None),
    ):
        services.item_add(
            actor=world.clerk,
            letter=letter,
            description=PROBLEM if problem_no else "搬迁群众增收压力大",
            measures=measures,
            deadline=FUTURE,
            lead_unit_id=lead.pk if lead else None,
            problem_no=problem_no,
        )
    return sign_and_issue(world, letter)


def test_the_problem_prints_once_over_its_measures(problems):
    pdf = letter_pdf(problems)
    [table, *_rest] = pdfs.tables(pdf, 2)
    deadline = f"{FUTURE.year}年{FUTURE.month}月{FUTURE.day}日前"
    assert table == [
        ["序号", "问题描述", "整改措施", "牵头单位", "配合单位", "整改时限"],
        ["1", PROBLEM, "完善水电路配套", "甲县人民政府", "", deadline],
        ["2", "", "建设社区服务中心", "乙县人民政府", "", deadline],
        ["3", "搬迁群众增收压力大", "落实后续扶持政策", "各主送单位", "", deadline],
    ]
    # One cell spanning both rows of the problem, not an empty cell under it.
    html = letter_html(problems)
    assert html.count(PROBLEM) == 1 and 'rowspan="2"' in html


def test_the_table_stays_in_the_text_block_and_repeats_its_heading(world):
    """A long letter: every row inside the 156 mm text block, the heading row on every page."""
    letter = draft_letter(world, units=[world.unit_a, world.unit_b], items=[])
    for n in range(24):
        services.item_add(
            actor=world.clerk,
            letter=letter,
            description=f"问题{n // 3}：" + "安置点配套设施不完善" * 4,
            measures="完善配套设施" * 6,
            deadline=FUTURE,
            problem_no=n // 3 + 1,
        )
    pdf = letter_pdf(sign_and_issue(world, letter))
    pages = len(pdfs.page_sizes(pdf))
    assert pages >= 4
    for page in range(2, pages + 1):
        block = pdfs.block(page)
        for _top, bottom, x0, x1 in pdfs.boxes(pdf, page):
            assert block.left - 0.5 <= x0 and x1 <= block.right + 0.5
            assert bottom <= block.bottom + 0.5
        [table, *_rest] = pdfs.tables(pdf, page)
        assert table[0] == ["序号", "问题描述", "整改措施", "牵头单位", "配合单位", "整改时限"]
    # Eight problems, each printed once.
    text = "".join(cell for page in range(2, pages + 1) for row in pdfs.tables(pdf, page)[0] for cell in row)
    assert [text.count(f"问题{n}：") for n in range(8)] == [1] * 8


def test_three_queries_whatever_the_number_of_items(problems, world):
    with clock.frozen(clock.now()), CaptureQueriesContext(connection) as queries:
        rows = item_table(problems, as_of=clock.today()).rows
    assert len(rows) == 3 and len(queries) == 2  # ordinary letter: the items and their units
