"""发文机关署名 and 成文日期 (GB/T 9704-2012 7.3.5.2, letters carry no seal), measured on the PDF.

The name ends two characters from the block's right edge, one blank line below the body (or the
attachment note); the date is on the next line, its first character two characters right of the
name's first; a date longer than the name ends two characters from the edge instead and the name
moves left. A name too long for its line is printed in its short form (规范化简称), and one still too
long wraps between words — nothing runs past the 156 mm block.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from demo.units import OFFICE_NAME, OFFICE_SHORT
from notices import layout
from notices.letters import letter_pdf
from supervision.models import Letter, LetterPrefix, Unit, UnitKind
from tests.helpers import draft_letter, sign_and_issue

from . import pdfs

CELL_MM = layout.BLOCK_WIDTH_MM / layout.CHARS_PER_LINE  # one character of the 28-character grid
PITCH_MM = layout.BLOCK_HEIGHT_MM / layout.LINES_PER_PAGE
TOLERANCE_MM = 0.3
SIGNED = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # 2026年11月23日: 4 + 2 + 2 digits
DATE = "2026年11月23日"


def _letter(world, *, office_name: str, short_name: str, issuing_body: str | None = None) -> Letter:
    Unit.objects.filter(pk=world.office.pk).update(name=office_name, short_name=short_name)
    LetterPrefix.objects.update(issuing_body=issuing_body if issuing_body is not None else office_name)
    letter = sign_and_issue(world, draft_letter(world))
    Letter.objects.filter(pk=letter.pk).update(signed_at=SIGNED, issued_at=SIGNED)
    return Letter.objects.get(pk=letter.pk)


def _signature(pdf: bytes, *, date: str = DATE) -> tuple[list[pdfs.Line], pdfs.Line, pdfs.Line]:
    """(the name's lines, the date line, the body line above them), as printed."""
    lines = [line for line in pdfs.lines(pdf) if line.size == 16]
    at = next(n for n, line in enumerate(lines) if line.text == date)
    date_line = lines[at]
    name = []
    n = at - 1
    # The name's lines sit one pitch apart above the date; a blank line separates them from the body.
    while n >= 0 and abs(lines[n + 1].top - lines[n].top - PITCH_MM) < 0.5 and lines[n].page == date_line.page:
        name.insert(0, lines[n])
        n -= 1
    return name, date_line, lines[n]


def test_the_29_character_office_name_is_signed_in_its_short_form(world):
    letter = _letter(world, office_name=OFFICE_NAME, short_name=OFFICE_SHORT)
    pdf = letter_pdf(letter)
    assert len(OFFICE_NAME) == 29
    [name], date, above = _signature(pdf)
    block = pdfs.block(name.page)
    assert name.text == OFFICE_SHORT == "市巩固衔接办"
    # 6 characters, a date of about 7: the date is the longer, so it keeps the two characters on
    # the right and the name moves left, its first character still two before the date's.
    assert block.right - date.x1 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)
    assert date.x0 - name.x0 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)
    assert block.right - name.x1 > 2 * CELL_MM + 0.5
    # 下空一行: one blank line between the body (here the attachment note) and the name.
    assert above.text == "附件：整改事项清单"
    assert name.top - above.top == pytest.approx(2 * PITCH_MM, abs=0.3)
    assert date.top - name.top == pytest.approx(PITCH_MM, abs=0.3)
    assert pdfs.outside_block(pdf) == []
    # The red mark still names the office in full (narrowed), the 版记 prints in the short form:
    # the full name and the date do not fit one 4号 line.
    text = pdfs.text(pdf)
    assert text.startswith(OFFICE_NAME)
    assert f"{OFFICE_SHORT}{DATE}印发" in text


def test_without_a_short_form_the_long_name_wraps_between_words(world):
    letter = _letter(world, office_name=OFFICE_NAME, short_name="")
    pdf = letter_pdf(letter)
    name, date, _above = _signature(pdf)
    block = pdfs.block(date.page)
    assert [line.text for line in name] == ["吕梁市巩固拓展脱贫攻坚成果", "同乡村振兴有效衔接领导小组办公室"]
    widest = max(name, key=lambda line: line.x1 - line.x0)
    # The widest line ends two characters from the edge; the lines start together, the date two
    # characters in from them.
    assert block.right - widest.x1 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)
    assert name[0].x0 == pytest.approx(name[1].x0, abs=0.1)
    assert date.x0 - name[0].x0 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)
    assert pdfs.outside_block(pdf) == []


def test_a_short_form_that_is_itself_too_long_wraps(world):
    too_long = "吕梁市巩固拓展脱贫攻坚成果同乡村振兴有效衔接领导小组办"  # 28 characters: more than 26
    letter = _letter(world, office_name=OFFICE_NAME, short_name=too_long)
    pdf = letter_pdf(letter)
    name, date, _above = _signature(pdf)
    assert len(name) == 2 and "".join(line.text for line in name) == too_long
    for line in name:
        assert line.x0 >= pdfs.block(line.page).left - 0.1
        assert line.x1 <= pdfs.block(line.page).right - 2 * CELL_MM + TOLERANCE_MM
    assert date.x0 - name[0].x0 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)
    assert pdfs.outside_block(pdf) == []


def test_a_name_longer_than_the_date_keeps_two_characters_on_the_right(world):
    letter = _letter(
        world, office_name="市巩固衔接领导小组办公室", short_name="市巩固办", issuing_body="市巩固衔接领导小组"
    )
    pdf = letter_pdf(letter)
    [name], date, _above = _signature(pdf)
    block = pdfs.block(name.page)
    assert name.text == "市巩固衔接领导小组"
    assert block.right - name.x1 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)
    assert date.x0 - name.x0 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)


def test_a_date_as_long_as_the_name_starts_two_characters_in_and_stays_inside(world):
    """Eight characters of name and a date a little shorter (2026年11月23日: 3 characters and 8
    digits, about 7.4): the date is not the longer, so the name keeps its two characters on the
    right and the date ends less than two characters from the edge — as 7.3.5.2 reads — but
    inside the block."""
    letter = _letter(world, office_name="市巩固衔接办公室", short_name="", issuing_body="市巩固衔接工作组")
    pdf = letter_pdf(letter)
    [name], date, _above = _signature(pdf)
    block = pdfs.block(name.page)
    assert name.text == "市巩固衔接工作组"
    assert block.right - name.x1 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)
    assert date.x0 - name.x0 == pytest.approx(2 * CELL_MM, abs=TOLERANCE_MM)
    assert 0 <= block.right - date.x1 < 2 * CELL_MM


def test_a_leading_group_without_a_short_form_signs_as_the_office_in_short(world):
    group = "吕梁市巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作领导小组"  # 28 characters
    letter = _letter(world, office_name=OFFICE_NAME, short_name=OFFICE_SHORT, issuing_body=group)
    [name], _date, _above = _signature(letter_pdf(letter))
    assert name.text == OFFICE_SHORT
    # A unit of that name with a short form of its own signs with it.
    Unit.objects.create(name=group, short_name="市巩固衔接领导小组", kind=UnitKind.DEPARTMENT)
    [name], _date, _above = _signature(letter_pdf(letter))
    assert name.text == "市巩固衔接领导小组"


# --- the rule itself, with widths in characters ------------------------------------------------


def _rule(name: str, date_chars: float) -> layout.Signature:
    """layout.signature with every character one grid cell wide and a date of ``date_chars``."""
    cell = 1.0

    def width(text: str) -> float:
        return date_chars if text == "DATE" else float(len(text))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout, "BLOCK_WIDTH_MM", 28.0)
        patch.setattr(layout, "MM", 1.0)
        return layout.signature(
            [name], "DATE", width=width, cell_pt=cell, wrap=lambda text, limit: [text[:13], text[13:]]
        )


@pytest.mark.parametrize(
    ("name", "date", "name_left", "date_left"),
    [
        ("一二三四五六七八九十", 7.0, 16, 18),  # 10 characters: right space 2, date 2 in
        ("一二三四五六七", 7.0, 19, 21),  # as long: the date ends on the edge
        ("一二三四五六七", 6.5, 19, 21),  # shorter date: still two in
        ("一二三四五六", 7.0, 17, 19),  # the date is longer: it keeps 2 on the right
        ("一二", 7.0, 17, 19),
    ],
)
def test_the_rule_of_7_3_5_2(name, date, name_left, date_left):
    found = _rule(name, date)
    assert (found.name_left_pt, found.date_left_pt) == (name_left, date_left)
    assert found.date_left_pt + date <= 28  # never past the block
    assert found.date_longer == (date > len(name))


def test_a_signature_signed_today_uses_the_local_date(world):
    """The date under the name is the letter's signing day in the office's time zone."""
    letter = sign_and_issue(world, draft_letter(world))
    day = timezone.localdate(letter.signed_at)
    _name, date, _above = _signature(letter_pdf(letter), date=f"{day.year}年{day.month}月{day.day}日")
    assert date.size == 16
