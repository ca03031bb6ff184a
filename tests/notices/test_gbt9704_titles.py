"""标题 (GB/T 9704-2012 7.3.1): a title that wraps breaks between words — never inside one, a
quotation or a book title — into balanced lines shaped as a trapezoid or a diamond; a drafter may
break it elsewhere (Letter.title_lines). Measured on the PDF, and the breaking on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import pytest
from django.urls import reverse

from notices import layout, title_breaks
from notices.letters import letter_pdf
from supervision import services
from supervision.models import Letter
from supervision.services.errors import InvalidInput
from tests.helpers import draft_letter, page_messages, signed_in

from . import pdfs

THREE_ASSETS = "关于加快推进基层治理和农村集体“三资”管理问题整改的督办函"


def _width(text: str) -> float:
    """Characters of 2号: full-width one, others a little over half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F") else 0.56 for c in text)


def _lines(title: str) -> list[str]:
    return title_breaks.balanced_lines(title, width=_width, limit=20.1, em=1.0)


def _cuts(lines: list[str]) -> list[int]:
    """Where the lines were cut, as offsets into the title."""
    cuts, at = [], 0
    for line in lines[:-1]:
        at += len(line)
        cuts.append(at)
    return cuts


def _word_bounds(text: str) -> set[int]:
    bounds, at = {0}, 0
    for word in title_breaks.words(text):
        at += len(word)
        bounds.add(at)
    return bounds


TITLES = [
    THREE_ASSETS,
    "关于抓紧制定问题整改方案和建立整改台账的督办函",
    "关于加快推进易地扶贫搬迁后续扶持问题整改的督办函",
    "关于做好汛期农村住房和饮水安全隐患排查整改的督办函",
    "关于加快推进东西部协作和定点帮扶问题整改的督办函",
    "吕梁市巩固拓展脱贫攻坚成果同乡村振兴有效衔接领导小组办公室关于印发《问题整改工作方案》的通知",
    "市巩固衔接领导小组办公室关于进一步做好2024年度巩固拓展脱贫攻坚成果同乡村振兴有效衔接考核评估反馈问题整改工作的通知",
]


@pytest.mark.parametrize("title", TITLES)
def test_titles_break_between_words_into_lines_that_fit(title):
    lines = _lines(title)
    assert "".join(lines) == title
    assert len(lines) >= 2
    assert all(_width(line) <= 20.1 for line in lines)
    bounds = _word_bounds(title)
    for cut in _cuts(lines):
        assert cut in bounds, (lines, cut)
    # 关于 never ends a line; the kind stays with its 的; quotations and book titles stay whole.
    assert not any(line.endswith("关于") for line in lines[:-1])
    assert lines[-1].endswith(("的督办函", "的通知"))
    for line in lines:
        assert line.count("“") == line.count("”") and line.count("《") == line.count("》")


def test_the_three_assets_title_keeps_its_quotation_and_its_words():
    """The title that printed as …“三资”管 / 理问题… before."""
    assert _lines(THREE_ASSETS) == ["关于加快推进基层治理和农村集体", "“三资”管理问题整改的督办函"]


def test_lines_are_a_trapezoid_or_a_diamond_never_an_hourglass():
    for title in TITLES:
        sizes = [_width(line) for line in _lines(title)]
        if len(sizes) == 3:
            assert not (sizes[1] < sizes[0] and sizes[1] < sizes[2]), sizes
        # Balanced: no line less than half as long as the longest.
        assert min(sizes) >= max(sizes) / 2, sizes
    # Two lines: the longer above when the words allow it.
    assert [len(line) for line in _lines(THREE_ASSETS)] == [15, 14]


def test_the_issuer_is_broken_off_before_about_in_a_diamond():
    lines = _lines("吕梁市巩固拓展脱贫攻坚成果同乡村振兴有效衔接领导小组办公室关于加快推进问题整改的通知")
    assert lines == ["吕梁市巩固拓展脱贫攻坚成果", "同乡村振兴有效衔接领导小组办公室", "关于加快推进问题整改的通知"]


def test_a_quotation_wider_than_a_line_breaks_between_its_words():
    title = "关于印发《吕梁市巩固拓展脱贫攻坚成果同乡村振兴有效衔接问题整改工作方案》的通知"
    lines = _lines(title)
    assert "".join(lines) == title and all(_width(line) <= 20.1 for line in lines)
    bounds = _word_bounds(title[5:-4])  # inside the book title
    for cut in _cuts(lines):
        assert cut in {b + 5 for b in bounds} or cut in _word_bounds(title)


def test_latin_titles_break_at_spaces_and_keep_letter_numbers_whole():
    lines = _lines("Reminder on the overdue items of 吕巩办督〔2026〕1号 and 吕巩办交〔2026〕12号")
    assert all(not line.startswith(" ") and not line.endswith(" ") for line in lines)
    assert any("吕巩办督〔2026〕1号" in line for line in lines)
    assert any("吕巩办交〔2026〕12号" in line for line in lines)


def test_a_title_that_fits_is_left_alone():
    assert _lines("关于加快整改反馈问题的督办函") == ["关于加快整改反馈问题的督办函"]


def test_jieba_loads_quietly_once_with_its_cache_in_a_private_temporary_directory():
    """A fresh process: nothing on stderr or stdout, the cache under the system's temporary
    directory (not in the repository or site-packages), the second load from that cache."""
    code = (
        "import time, notices.title_breaks as t\n"
        "s = time.perf_counter(); t.tokenizer(); print(round(time.perf_counter() - s, 3))\n"
        "s = time.perf_counter(); t.tokenizer(); print(round(time.perf_counter() - s, 6))\n"
        "print(t.tokenizer().tmp_dir)\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONWARNINGS": "default"}
    for _ in range(2):  # the second process reads the cache the first wrote
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root)
        elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    first, again, cache = done.stdout.split()
    assert float(again) < 0.001  # once per process
    assert float(first) < 3 and elapsed < 10
    assert Path(cache).is_relative_to(tempfile.gettempdir())
    assert (Path(cache) / "jieba.cache").is_file()
    assert not Path(cache).is_relative_to(root)
    assert os.stat(cache).st_mode & 0o077 == 0


# --- on the PDF ------------------------------------------------------------------------------------


def _titles(pdf: bytes) -> list[pdfs.Line]:
    return [line for line in pdfs.lines(pdf) if line.page == 1 and line.size == layout.TITLE_PT]


def test_the_printed_title_is_broken_between_words_and_centred(world):
    letter = draft_letter(world)
    services.letter_update_draft(actor=world.clerk, letter=letter, title=THREE_ASSETS)
    pdf = letter_pdf(letter)
    lines = _titles(pdf)
    assert [line.text for line in lines] == ["关于加快推进基层治理和农村集体", "“三资”管理问题整改的督办函"]
    block = pdfs.block(1)
    for line in lines:
        assert (line.x0 + line.x1) / 2 == pytest.approx(block.centre, abs=0.5)
        assert block.left <= line.x0 and line.x1 <= block.right
    assert lines[1].top - lines[0].top == pytest.approx(layout.BLOCK_HEIGHT_MM / layout.LINES_PER_PAGE, abs=0.3)
    assert pdfs.outside_block(pdf) == []


def test_the_drafter_breaks_the_title_where_they_want(world):
    letter = draft_letter(world)
    services.letter_update_draft(
        actor=world.clerk,
        letter=letter,
        title=THREE_ASSETS,
        title_lines="关于加快推进基层治理\n和农村集体“三资”管理问题整改的督办函\n",
    )
    letter = Letter.objects.get(pk=letter.pk)
    assert letter.title_lines == "关于加快推进基层治理\n和农村集体“三资”管理问题整改的督办函"
    assert [line.text for line in _titles(letter_pdf(letter))] == [
        "关于加快推进基层治理",
        "和农村集体“三资”管理问题整改的督办函",
    ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("关于加快推进基层治理\n和农村集体管理问题整改的督办函", "read exactly as the title"),
        ("关于加快推进基层治理和农村集体“三资”管理问题\n整改的督办函", "too long to print"),
    ],
)
def test_title_lines_that_do_not_spell_the_title_or_do_not_fit_are_refused(world, lines, message):
    letter = draft_letter(world)
    services.letter_update_draft(actor=world.clerk, letter=letter, title=THREE_ASSETS)
    with pytest.raises(InvalidInput, match=message) as refused:
        services.letter_update_draft(actor=world.clerk, letter=letter, title_lines=lines)
    assert refused.value.field == "title_lines"
    assert Letter.objects.get(pk=letter.pk).title_lines == ""
    with pytest.raises(InvalidInput, match=message):
        services.letter_create(
            actor=world.clerk, office=world.office, kind="supervision", title=THREE_ASSETS, title_lines=lines
        )
    assert Letter.objects.filter(title=THREE_ASSETS).count() == 1


def test_a_new_title_drops_breaks_that_no_longer_spell_it(world):
    letter = services.letter_create(
        actor=world.clerk,
        office=world.office,
        kind="supervision",
        title=THREE_ASSETS,
        title_lines="关于加快推进基层治理\n和农村集体“三资”管理问题整改的督办函",
    )
    assert letter.title_lines
    # The same title typed with spaces keeps them; a new one loses them.
    services.letter_update_draft(actor=world.clerk, letter=letter, title=THREE_ASSETS, body="请按时完成整改。")
    assert Letter.objects.get(pk=letter.pk).title_lines
    services.letter_update_draft(actor=world.clerk, letter=letter, title="关于加快整改反馈问题的督办函")
    assert Letter.objects.get(pk=letter.pk).title_lines == ""
    # One line is no break at all.
    services.letter_update_draft(actor=world.clerk, letter=letter, title_lines="关于加快整改反馈问题的督办函")
    assert Letter.objects.get(pk=letter.pk).title_lines == ""


def test_the_letter_form_takes_the_title_lines(client, world):
    c = signed_in(client, world.clerk)
    form = c.get(reverse("letters:new")).content.decode()
    assert 'name="title_lines"' in form
    data = {"kind": "supervision", "title": THREE_ASSETS, "addressees": [world.unit_a.pk]}
    response = c.post(
        reverse("letters:new"), {**data, "title_lines": "关于加快推进基层治理\n和农村集体管理"}, follow=True
    )
    assert not Letter.objects.exists()
    assert "title" in page_messages(response).lower() or "标题" in page_messages(response)
    c.post(
        reverse("letters:new"), {**data, "title_lines": "关于加快推进基层治理和农村集体\n“三资”管理问题整改的督办函"}
    )
    letter = Letter.objects.get()
    assert letter.title_lines == "关于加快推进基层治理和农村集体\n“三资”管理问题整改的督办函"
    # The draft's edit form shows them, and saving it keeps them.
    assert (
        "“三资”管理问题整改的督办函</textarea>" in c.get(reverse("letters:detail", args=[letter.pk])).content.decode()
    )
