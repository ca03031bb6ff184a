"""A second list imported into a letter numbers its problems after the letter's own: numbers
restarting at 1 would merge neighbouring items of different problems into one printed problem.
The preview shows the numbers as they will be saved."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from notices.letter_items import item_table
from notices.services import letter_import_items, letter_import_preview
from supervision import clock
from supervision.models import Item
from tests.helpers import browser_for, draft_letter
from tests.imports.flow import HEADINGS, YEAR, preview, row, xlsx


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


def _grouped(prefix: str, shape: list[int]) -> list[list]:
    """Problems with ``shape[k]`` measures each, written one row per measure."""
    return [
        row(seq=k + 1, description=f"{prefix}问题{k + 1}", measures=f"{prefix}措施{k + 1}-{m + 1}")
        for k, count in enumerate(shape)
        for m in range(count)
    ]


def _numbered(rows: list[tuple[str, int | None]]) -> io.BytesIO:
    """A sheet with a 问题编号 column, as the project's own export writes it."""
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append([*HEADINGS, "问题编号"])
    for n, (description, number) in enumerate(rows, start=1):
        ws.append([*row(seq=n, description=description, measures=f"措施{n}"), number])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _import(world, letter, file) -> None:
    result = letter_import_items(actor=world.clerk, letter=letter, workbook_file=file, campaign_year=YEAR)
    assert result.ok, result.errors


def _numbers(letter) -> list[int | None]:
    return list(Item.objects.filter(letter=letter).order_by("seq").values_list("problem_no", flat=True))


def test_a_second_list_numbers_its_problems_after_the_letter_s(world, draft):
    _import(world, draft, xlsx(_grouped("甲", [2])))
    _import(world, draft, xlsx(_grouped("乙", [2, 1])))

    assert _numbers(draft) == [1, 1, 2, 2, 3]
    # Printed, each problem spans its own measures: the second list's first problem is not
    # folded into the first list's last.
    table = item_table(draft, as_of=clock.today())
    assert [r.problem_rows for r in table.rows] == [2, 0, 2, 0, 1]


def test_the_preview_shows_the_numbers_the_import_will_save(world, draft):
    _import(world, draft, xlsx(_grouped("甲", [1, 2])))
    shown = letter_import_preview(
        actor=world.clerk, letter=draft, workbook_file=xlsx(_grouped("乙", [2, 1])), campaign_year=YEAR
    )
    assert [item.problem_no for item in shown.items] == [3, 3, 4]
    assert shown.problems == 2
    _import(world, draft, xlsx(_grouped("乙", [2, 1])))
    assert _numbers(draft)[3:] == [3, 3, 4]


def test_the_preview_page_shows_the_numbers_after_the_letter_s(world, draft):
    _import(world, draft, xlsx(_grouped("甲", [2])))
    page, _token = preview(browser_for(world.clerk), draft, _grouped("乙", [2]))
    html = page.content.decode()
    assert page.status_code == 200 and "乙问题1" in html
    assert "Problem 2</div>乙问题1" in html and "Problem 1</div>乙问题1" not in html


def test_a_list_of_single_problems_stays_unnumbered(world, draft):
    _import(world, draft, xlsx(_grouped("甲", [2])))
    _import(world, draft, xlsx(_grouped("乙", [1, 1])))
    assert _numbers(draft) == [1, 1, None, None]


def test_written_numbers_the_letter_already_has_move_after_its_own(world, draft):
    _import(world, draft, xlsx(_grouped("甲", [2, 1])))
    _import(world, draft, _numbered([("丙问题", 1), ("丙问题", 1), ("丁问题", 2), ("戊问题", None)]))
    assert _numbers(draft) == [1, 1, 2, 3, 3, 4, None]


def test_written_numbers_the_letter_does_not_have_are_kept(world, draft):
    _import(world, draft, xlsx(_grouped("甲", [2, 1])))
    _import(world, draft, _numbered([("丙问题", 7), ("丁问题", 9)]))
    assert _numbers(draft) == [1, 1, 2, 7, 9]


def test_the_first_list_keeps_its_numbers(world, draft):
    _import(world, draft, _numbered([("丙问题", 4), ("丙问题", 4), ("丁问题", 5)]))
    assert _numbers(draft) == [4, 4, 5]
