"""Letters as GB/T 9704-2012 PDFs: the words, the fonts, the page and where the text sits on it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notices import layout
from notices.letters import letter_html, letter_pdf
from supervision import services
from supervision.models import Letter, LetterKind, LetterPrefix
from tests.cycles import at, issue_at, tick, use_calendar
from tests.helpers import draft_letter, sign_and_issue

from . import pdfs

# Plain characters (no punctuation, which may not start a line) so every full line holds 28.
HAN = (
    "整改工作方案深入贯彻落实省市巩固拓展脱贫攻坚成果同乡村振兴有效衔接问题切实整改年度易地扶贫搬迁后续扶持考核评估反馈"
)
TOLERANCE_MM = 1.0


def _chinese_date(at) -> str:
    day = timezone.localdate(at)
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def issued(world) -> Letter:
    """Addressed to A and B, copied to C; item 1 led by A with B cooperating, item 2 to every addressee."""
    letter = draft_letter(
        world, units=[world.unit_a, world.unit_b], cc=[world.unit_c], items=[(world.unit_a, [world.unit_b]), (None, [])]
    )
    return sign_and_issue(world, letter)


@pytest.fixture
def long_letter(world) -> Letter:
    """A body long enough to fill page 2 completely."""
    letter = draft_letter(world)
    services.letter_update_draft(actor=world.clerk, letter=letter, body="\n".join([HAN * 6] * 8))
    return sign_and_issue(world, letter)


def test_the_letter_says_what_the_standard_asks_in_chinese(world, issued):
    pdf = letter_pdf(issued)
    text = pdfs.text(pdf)
    issued = Letter.objects.get(pk=issued.pk)
    year = timezone.localdate(issued.issued_at).year
    expected = [
        "市巩固衔接领导小组",  # the issuing body of the prefix, in the red mark and as signature
        "督办函",
        f"测巩办督〔{year}〕1号",
        "关于加快整改反馈问题的督办函",
        "甲县人民政府、乙县人民政府：",
        "请按时完成整改。",
        "附件：整改事项清单",
        _chinese_date(issued.signed_at),
        # 版记
        "抄送：市农业农村局。",
        f"市巩固衔接领导小组办公室{_chinese_date(issued.issued_at)}印发",
        "—1—",
        "—2—",
    ]
    for words in expected:
        assert words in text, words
    # The attachment: one row per item, its units, its deadline as offices write it.
    d = issued.items.get(seq=1).deadline
    deadline = f"{d.year}年{d.month}月{d.day}日前"
    table, imprint = pdfs.tables(pdf, 2)
    # 版记 between its rules.
    assert imprint == [["抄送：市农业农村局。"], [f"市巩固衔接领导小组办公室{_chinese_date(issued.issued_at)}印发"]]
    assert table == [
        ["序号", "问题描述", "整改措施", "牵头单位", "配合单位", "整改时限"],
        ["1", "问题描述1：安置点配套设施不完善", "完善配套设施", "甲县人民政府", "乙县人民政府", deadline],
        ["2", "问题描述2：安置点配套设施不完善", "完善配套设施", "各主送单位", "", deadline],
    ]


def test_the_red_mark_is_red_and_the_sizes_are_2hao_and_3hao(issued):
    lines = pdfs.lines(letter_pdf(issued))
    mark = next(line for line in lines if line.text == "市巩固衔接领导小组" and line.page == 1 and line.size > 22)
    r, g, b = mark.color[:3]
    assert r > 0.8 and g < 0.1 and b < 0.1
    title = next(line for line in lines if line.text == "关于加快整改反馈问题的督办函")
    assert title.size == 22
    body = next(line for line in lines if line.text == "请按时完成整改。")
    assert body.size == 16
    folio = next(line for line in lines if line.text.replace(" ", "") == "—1—")
    assert folio.size == 14


def test_fonts_are_embedded_and_subset(issued):
    fonts = pdfs.fonts(letter_pdf(issued))
    assert fonts
    for font in fonts:
        assert pdfs.SUBSET.match(font.name), font.name
        assert font.embedded, font.name


def test_every_page_is_a4(long_letter):
    for width, height in pdfs.page_sizes(letter_pdf(long_letter)):
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1


def test_text_block_margins_lines_and_characters(long_letter):
    """Page 2 is all body: 22 lines of 28 characters, from 37 mm down, 26 mm in (an even page's
    binding is on the right); odd pages start 28 mm in."""
    lines = [line for line in pdfs.lines(letter_pdf(long_letter)) if line.size == 16]
    page2 = [line for line in lines if line.page == 2]
    assert len(page2) == layout.LINES_PER_PAGE
    # Every line is full but a paragraph's first (indented two) and last.
    assert max(len(line.text) for line in page2) == layout.CHARS_PER_LINE
    assert sum(len(line.text) == layout.CHARS_PER_LINE for line in page2) >= layout.LINES_PER_PAGE - 6
    pitch = (page2[-1].top - page2[0].top) / (len(page2) - 1)
    assert pitch == pytest.approx(layout.BLOCK_HEIGHT_MM / layout.LINES_PER_PAGE, abs=0.05)
    # The first line box starts at the block's top edge: its glyphs sit half a leading lower.
    half_leading = (pitch - 16 / pdfs.PT_PER_MM) / 2
    assert page2[0].top - half_leading == pytest.approx(layout.TOP_MM, abs=1.5)
    assert page2[0].top >= layout.TOP_MM
    assert page2[-1].bottom <= layout.TOP_MM + layout.BLOCK_HEIGHT_MM
    # Left edges: a line that is not a paragraph's first starts at the block's edge.
    flush = [line for line in page2 if len(line.text) == layout.CHARS_PER_LINE]
    assert flush
    for line in flush:
        assert line.x0 == pytest.approx(layout.OUTER_MM, abs=TOLERANCE_MM)
        assert line.x1 <= layout.OUTER_MM + layout.BLOCK_WIDTH_MM + 0.2
    odd = [line for line in lines if line.page == 3 and len(line.text) == layout.CHARS_PER_LINE]
    assert odd
    assert odd[0].x0 == pytest.approx(layout.INNER_MM, abs=TOLERANCE_MM)


def test_page_numbers_sit_7mm_below_the_block_outside(long_letter):
    pdf = letter_pdf(long_letter)
    folios = [line for line in pdfs.lines(pdf) if line.size == 14 and line.text.replace(" ", "").startswith("—")]
    assert [f.text.replace(" ", "") for f in folios][:3] == ["—1—", "—2—", "—3—"]
    block_bottom = layout.TOP_MM + layout.BLOCK_HEIGHT_MM
    for folio in folios:
        # The dash is mid-height of the em box; pdfminer's boxes sit ~1 mm low for CJK fonts.
        middle = (folio.top + folio.bottom) / 2
        assert middle - block_bottom == pytest.approx(layout.FOLIO_GAP_MM, abs=1.5)
        if folio.page % 2:  # odd: right, one character in
            assert folio.x1 == pytest.approx(layout.INNER_MM + layout.BLOCK_WIDTH_MM - 14 / pdfs.PT_PER_MM, abs=1)
        else:
            assert folio.x0 == pytest.approx(layout.OUTER_MM + 14 / pdfs.PT_PER_MM, abs=1)


def test_the_imprint_closes_the_last_page_on_the_block_bottom(issued):
    pdf = letter_pdf(issued)
    last = len(pdfs.page_sizes(pdf))
    bottoms = [bottom for _top, bottom, _x0, _x1 in pdfs.boxes(pdf, last)]
    assert max(bottoms) == pytest.approx(layout.TOP_MM + layout.BLOCK_HEIGHT_MM, abs=0.5)


def test_a_long_issuing_body_is_narrowed_to_fit_the_block(world):
    LetterPrefix.objects.update(issuing_body="XX市巩固拓展脱贫攻坚成果同乡村振兴领导小组办公室")
    letter = draft_letter(world)
    red = [line for line in pdfs.lines(letter_pdf(letter)) if line.page == 1 and line.color[:1] and line.color[0] > 0.8]
    assert any("同乡村振兴领导小组办公室" in line.text for line in red)
    for line in red:
        assert line.x0 >= layout.INNER_MM - 0.5
        assert line.x1 <= layout.INNER_MM + layout.BLOCK_WIDTH_MM + 0.5


def test_a_draft_prints_without_number_and_the_office_stands_in_for_a_blank_issuing_body(world):
    LetterPrefix.objects.update(issuing_body="  ")
    letter = draft_letter(world)
    text = pdfs.text(letter_pdf(letter))
    assert "〔" not in text
    assert text.startswith("市巩固衔接领导小组办公室督办函")


def test_reminder_and_assignment_letters_carry_their_kind(world):
    letter = draft_letter(world, kind="assignment")
    assert "交办函" in letter_html(letter)
    letter = draft_letter(world, kind="reminder")
    assert "催办函" in letter_html(letter)


def _stamp(pdf: bytes) -> dict[int, str]:
    """The large slanted words across each page (page → its characters, sorted)."""
    found: dict[int, str] = {}
    for line in pdfs.lines(pdf):
        if line.size > 50:
            found[line.page] = "".join(sorted(found.get(line.page, "") + line.text))
    return found


def test_a_letter_not_yet_issued_says_so_on_every_page(world):
    letter = draft_letter(world)
    pdf = letter_pdf(letter)
    assert _stamp(pdf) == {page: "".join(sorted("草稿")) for page in range(1, len(pdfs.page_sizes(pdf)) + 1)}
    services.letter_sign(actor=world.director, letter=letter)
    assert set(_stamp(letter_pdf(Letter.objects.get(pk=letter.pk))).values()) == {"".join(sorted("未印发"))}
    issued = services.letter_issue(actor=world.clerk, letter=letter)
    assert _stamp(letter_pdf(issued)) == {}


def test_a_reminder_drafted_by_tick_prints_as_a_cuiban_letter(world, settings):
    """催办函: tick drafts one for the overdue assignments of a letter; signed and issued it is a
    GB/T 9704 letter like the others, its items the chased ones with their units and missed deadlines."""
    use_calendar(settings)
    chased = issue_at(at("2024-01-02"), world, items=2, deadline=dt.date(2024, 1, 10))
    tick(at("2024-01-11", "00:01"))
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    assert _stamp(letter_pdf(reminder))  # the draft is marked as one
    services.letter_sign(actor=world.director, letter=reminder)
    reminder = services.letter_issue(actor=world.clerk, letter=reminder)
    pdf = letter_pdf(reminder)
    text = pdfs.text(pdf)
    year = timezone.localdate(reminder.issued_at).year
    for words in [
        "市巩固衔接领导小组",
        "催办函",
        f"测巩办催〔{year}〕1号",
        reminder.title.replace(" ", ""),
        "甲县人民政府、乙县人民政府：",
        "附件：整改事项清单",
        "—1—",
    ]:
        assert words in text, words
    assert chased.number.replace(" ", "") in text
    assert _stamp(pdf) == {}
    red = [line for line in pdfs.lines(pdf) if line.page == 1 and line.color[:1] and line.color[0] > 0.8]
    assert [line.text for line in red] == ["市巩固衔接领导小组", "催办函"]
    [table, *_rest] = pdfs.tables(pdf, 2)
    # Each overdue item once: the chased problem and measures, the units late on it (short names),
    # the deadline they missed and the days since, counted to the letter's date.
    days = (timezone.localdate(reminder.signed_at) - dt.date(2024, 1, 10)).days
    assert table == [
        ["序号", "问题描述", "整改措施", "逾期单位", "整改时限", "逾期天数"],
        *(
            [str(n), f"问题描述{n}：安置点配套设施不完善", "完善配套设施", "甲县、乙县", "2024年1月10日前", str(days)]
            for n in (1, 2)
        ),
    ]
