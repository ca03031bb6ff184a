"""Every page of every kind of letter (督办函, 交办函, 催办函) with its attachment table, measured on the
PDF against GB/T 9704-2012: every glyph and rule inside the page's 156 × 225 mm text block (the
binding side alternating), the page numbers in place, and every full body line holding 28
characters edge to edge — or, where the 29th would be a point that may not start a line, 27
spread to the edges (the character before the point is carried down with it)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from notices import layout
from notices.letters import letter_pdf
from supervision import services
from supervision.models import Letter, LetterKind
from tests.cycles import at, issue_at, tick, use_calendar
from tests.helpers import draft_letter, sign_and_issue

from . import pdfs

SPACING = layout.grid().letter_spacing_pt
# Phrases as offices write them: points, quotations, brackets, book titles, dates and figures.
PHRASES = (
    "经查",
    "部分县（市、区）整改进度滞后",
    "措施落实不到位",
    "“三资”管理不规范",
    "对照《巩固拓展脱贫攻坚成果同乡村振兴有效衔接问题整改方案》",
    "于2026年10月31日前",
    "涉及农户1,325户、4.5万人",
    "完成率仅为62.5%",
    "请高度重视",
    "逐项对照整改",
    "建立整改台账",
    "实行销号管理",
    "切实做到“问题不查清不放过、整改不到位不放过”",
    "及时报送市巩固衔接办",
    "确保整改取得实效",
    "——",
    "防止出现规模性返贫",
)
POINTS = "，，，、；。：！？"


def _paragraphs(seed: int, count: int = 6) -> str:
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(count):
        text = ""
        for _ in range(rng.randint(6, 16)):
            text += rng.choice(PHRASES) + rng.choice(POINTS)
        paragraphs.append(text.rstrip(POINTS) + "。")
    return "\n".join(paragraphs)


def _items(world, letter: Letter, count: int) -> None:
    for n in range(1, count + 1):
        services.item_add(
            actor=world.clerk,
            letter=letter,
            description=f"问题{n}：" + "安置点配套设施不完善，" * (n % 4 + 1) + "群众反映强烈。",
            measures="完善配套设施，建立长效管护机制，" * (n % 3 + 1),
            deadline=dt.date(2026, 12, 31),
            lead_unit_id=world.unit_a.pk if n % 2 else None,
            cooperating_unit_ids=[world.unit_b.pk] if n % 6 == 3 else [],
        )


def check(pdf: bytes) -> list[str]:
    """What breaks GB/T 9704 on these pages, as measured."""
    return pdfs.outside_block(pdf) + pdfs.folio_problems(pdf) + pdfs.full_line_problems(pdf, spacing_pt=SPACING)


def _issued(world, kind: str, seed: int, items: int) -> Letter:
    letter = draft_letter(world, kind=kind, cc=[world.unit_c], items=[])
    services.letter_update_draft(actor=world.clerk, letter=letter, body=_paragraphs(seed))
    _items(world, letter, items)
    return sign_and_issue(world, letter)


@pytest.mark.parametrize(("kind", "seed"), [(LetterKind.SUPERVISION, 1), (LetterKind.ASSIGNMENT, 2)])
def test_supervision_and_assignment_letters_keep_to_the_block_on_every_page(world, kind, seed):
    letter = _issued(world, kind, seed, items=24)
    pdf = letter_pdf(letter)
    pages = len(pdfs.page_sizes(pdf))
    assert pages >= 5  # body over two pages, the table over more
    assert check(pdf) == []
    full = pdfs.full_lines(pdf)
    # The measure bites: lines of Chinese alone hold 28 characters, a few fewer where the rules
    # carried characters down; lines with figures are measured by width.
    cells = [f.cells for f in full if f.cells is not None]
    assert cells.count(28) >= 3 and max(cells) == 28
    assert len(full) >= 15
    # Both sides of the binding are measured: even and odd pages carry text and table.
    assert {line.page % 2 for line in pdfs.lines(pdf) if line.size == 12} == {0, 1}


def test_a_reminder_letter_keeps_to_the_block_on_every_page(world, settings):
    use_calendar(settings)
    issue_at(at("2024-01-02"), world, items=12, deadline=dt.date(2024, 1, 10))
    tick(at("2024-01-11", "00:01"))
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    services.letter_update_draft(actor=world.clerk, letter=reminder, body=_paragraphs(3, count=3))
    services.letter_sign(actor=world.director, letter=reminder)
    reminder = services.letter_issue(actor=world.clerk, letter=reminder)
    pdf = letter_pdf(reminder)
    assert len(pdfs.page_sizes(pdf)) >= 2
    assert check(pdf) == []
    assert any(f.cells == 28 for f in pdfs.full_lines(pdf))


@pytest.mark.parametrize("seed", range(10, 16))
def test_full_lines_hold_all_that_fits_whatever_the_points(world, seed):
    """Bodies of points, quotations, dates and figures in every order: no full line ends short,
    none starts with a point, none runs past the edge."""
    letter = draft_letter(world)
    services.letter_update_draft(actor=world.clerk, letter=letter, body=_paragraphs(seed, count=4))
    pdf = letter_pdf(letter)
    assert check(pdf) == []
    for line in pdfs.lines(pdf):
        if line.size == 16:
            assert line.text[0] not in pdfs.NO_START, line.text
            assert line.text[-1] not in pdfs.NO_END, line.text


def test_a_latin_body_is_justified_between_its_words(world):
    letter = draft_letter(world)
    body = " ".join(["The items below are past their deadline; please finish them without delay."] * 6)
    services.letter_update_draft(actor=world.clerk, letter=letter, body=body)
    pdf = letter_pdf(letter)
    assert check(pdf) == []
    assert len(pdfs.full_lines(pdf)) >= 4


def test_a_ragged_line_is_found(world):
    """The measure itself: the same letter with its lines left to weasyprint (justified only at
    spaces, as before) fails it."""
    letter = draft_letter(world)
    services.letter_update_draft(actor=world.clerk, letter=letter, body=_paragraphs(21, count=3))
    import notices.typeset as typeset

    with pytest.MonkeyPatch.context() as patch:
        # Lines as weasyprint alone would set them: every line at the grid's spacing.
        patch.setattr(
            typeset.Setter,
            "_justify",
            lambda self, text, indent, last: typeset.SetLine(text, indent, self.spacing_pt, 0.0, full=False),
        )
        ragged = letter_pdf(letter)
    assert any("from the right edge" in problem for problem in check(ragged))
    assert check(letter_pdf(letter)) == []
