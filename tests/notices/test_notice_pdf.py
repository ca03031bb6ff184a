"""The biweekly notice (双周通报) as a GB/T 9704 PDF: what it says, in Chinese, from the cycle's
snapshot; fonts embedded and subset; the letters' page; who may download it; the command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from notices import layout
from notices.notice import notice_html, notice_pdf
from supervision import clock, services
from supervision.models import Cycle, JobState, Notice
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.helpers import signed_in
from tests.jobs.helpers import content_of, job_of, run_jobs

from . import pdfs

TOLERANCE_MM = 1.0
OPENING = "现将第1期双周调度情况通报如下。各单位要对照问题清单，逐项抓好整改落实。"


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


@pytest.fixture
def closed(world) -> Cycle:
    """Cycle 1 closed: county A claimed and reported both its assignments, county B did nothing
    (last of the counties: named), the department held nothing (not ranked)."""
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=2, deadline=dt.date(2024, 1, 10))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    return Cycle.objects.get(number=1)


def _notice(world, cycle, *, publish: bool) -> Notice:
    with clock.frozen(at("2024-01-15")):
        notice = services.notice_draft(
            actor=world.clerk, office=world.office, cycle=cycle, title="第1期双周调度情况通报", opening=OPENING
        )
        if publish:
            services.notice_sign(actor=world.director, notice=notice)
            notice = services.notice_publish(actor=world.clerk, notice=notice)
    return notice


@pytest.fixture
def published(world, closed) -> Notice:
    return _notice(world, closed, publish=True)


@pytest.fixture
def draft(world, closed) -> Notice:
    return _notice(world, closed, publish=False)


def test_the_notice_says_in_chinese_what_the_snapshot_holds(published):
    pdf = notice_pdf(published)
    text = pdfs.text(pdf)
    for words in [
        "市巩固衔接领导小组办公室",  # the red mark: the office issues its notices
        "双周通报",
        "第1期",
        "第1期双周调度情况通报",
        "（2024年1月1日至1月14日）",  # the year once, as an office writes it
        OPENING,
        "一、总体情况",
        # Two counties and the department took part; only the counties were ranked.
        "共有3个责任单位参加双周调度，其中2个单位参加排队",
        "各单位共承担整改任务4项",
        "逾期任务4项",
        "二、排队情况",
        "名次单位得分承担任务逾期报送进展本期销号备注",
        "以下单位本期承担任务不足，不参加排队：农业农村局。",
        "三、逾期情况",
        "四、点名通报",
        "乙县（县（市、区），连续1期排名末位）",
        "2024年1月15日印发",
        "—1—",
    ]:
        assert words in text, words
    # The counties' ranking table, as the snapshot froze it: place, unit, score, held, overdue,
    # reports made/due, written off. A reported everything; B nothing.
    assert "1甲县40.00222/20" in text and "2乙县0.00220/20" in text
    # Overdue units, most first, with their share.
    assert "1甲县县（市、区）22100.0%" in text
    html = notice_html(published)
    # The charts are inline SVG in the document's own fonts, with Chinese labels.
    assert html.count("<svg") >= 3 and "近1期各组平均得分" in html


def test_fonts_are_embedded_and_subset_on_a4_with_the_standard_margins(published):
    pdf = notice_pdf(published)
    found = pdfs.fonts(pdf)
    assert found and all(f.embedded for f in found)
    assert all(pdfs.SUBSET.match(f.name) for f in found), found
    for width, height in pdfs.page_sizes(pdf):
        assert pdfs.mm(width) == pytest.approx(210, abs=0.5) and pdfs.mm(height) == pytest.approx(297, abs=0.5)
    lines = pdfs.lines(pdf)
    first = [line for line in lines if line.page == 1]
    # The red mark's line box starts at the top of the text block (its glyphs a little lower).
    assert layout.TOP_MM <= min(line.top for line in first) <= layout.TOP_MM + 6
    # Body lines wrapped onto the grid start at the binding-side edge of an odd page.
    flush = [line for line in first if line.size == layout.BODY_PT and len(line.text) >= 24]
    assert flush and min(line.x0 for line in flush) == pytest.approx(layout.INNER_MM, abs=TOLERANCE_MM)
    # Nothing runs outside the block but the page number.
    for line in lines:
        if line.text.startswith("—"):
            continue
        odd = line.page % 2 == 1
        left = layout.INNER_MM if odd else layout.OUTER_MM
        assert line.x0 >= left - TOLERANCE_MM, line
        assert line.x1 <= left + layout.BLOCK_WIDTH_MM + TOLERANCE_MM, line
        assert line.bottom <= layout.TOP_MM + layout.BLOCK_HEIGHT_MM + TOLERANCE_MM, line
    red = [line for line in first if line.color[:1] and line.color[0] > 0.8 and line.color[1:2] == (0,)]
    assert any("领导小组办公室" in line.text for line in red)


def stamps(pdf: bytes) -> dict[int, str]:
    """The large slanted words across each page (page → its characters, sorted)."""
    found: dict[int, str] = {}
    for line in pdfs.lines(pdf):
        if line.size > 50:
            found[line.page] = "".join(sorted(found.get(line.page, "") + line.text))
    return found


def test_until_it_is_published_the_notice_says_so_on_every_page(world, draft):
    pdf = notice_pdf(draft)
    assert stamps(pdf) == {page: "".join(sorted("草稿")) for page in range(1, len(pdfs.page_sizes(pdf)) + 1)}
    with clock.frozen(at("2024-01-15")):
        notice = services.notice_sign(actor=world.director, notice=draft)
        assert set(stamps(notice_pdf(notice)).values()) == {"".join(sorted("未印发"))}
        notice = services.notice_publish(actor=world.clerk, notice=notice)
    assert stamps(notice_pdf(notice)) == {}


# --- the download ------------------------------------------------------------------------------------


def test_units_download_published_notices(client, world, published, django_capture_on_commit_callbacks):
    # About twenty pages: asking for the notice (the button's POST) sends the reader to a
    # background job's page.
    url = reverse("notices:notice_pdf", args=[published.pk])
    with django_capture_on_commit_callbacks(execute=True):
        asked = signed_in(client, world.liaison_a).post(url)
    assert "no-store" in asked["Cache-Control"]
    first = job_of(asked)
    assert first.state == JobState.QUEUED
    run_jobs()
    # A published notice prints the same for every reader, and the job kept it as published
    # (services/issued_documents.py): the next ones get that file at once, with no job.
    for user in (world.liaison_a, world.leader_b, world.liaison_c, world.observer):
        response = signed_in(client, user).post(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_a_unit_cannot_fetch_an_unpublished_notice(client, world, draft, django_capture_on_commit_callbacks):
    url = reverse("notices:notice_pdf", args=[draft.pk])
    for user in (world.liaison_a, world.outsider):
        assert signed_in(client, user).get(url).status_code == 404
        assert signed_in(client, user).post(url).status_code == 404
    # The office reads its draft, marked as one.
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(signed_in(client, world.clerk).post(url))
    run_jobs()
    assert stamps(content_of(client, job))[1] == "".join(sorted("草稿"))
    assert signed_in(client, world.clerk).post(reverse("notices:notice_pdf", args=[999999])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302 and client.post(url).status_code == 302


# --- the command ---------------------------------------------------------------------------------------


def test_render_notice_writes_the_published_notice_else_the_draft(world, closed, tmp_path):
    out = tmp_path / "通报.pdf"
    with pytest.raises(CommandError, match="No notice"):
        call_command("render", "notice", "1", "-o", str(out))
    with pytest.raises(CommandError, match="No notice"):
        call_command("render", "notice", "7", "-o", str(out))
    notice = _notice(world, closed, publish=False)
    stdout = io.StringIO()
    call_command("render", "notice", "1", "-o", str(out), stdout=stdout)
    assert stamps(out.read_bytes()) and str(out) in stdout.getvalue()
    with clock.frozen(at("2024-01-15")):
        services.notice_sign(actor=world.director, notice=notice)
        services.notice_publish(actor=world.clerk, notice=notice)
    call_command("render", "notice", "1", "-o", str(out))
    assert not stamps(out.read_bytes()) and "第1期双周调度情况通报" in pdfs.text(out.read_bytes())
    with pytest.raises(CommandError, match=r"\.pdf"):
        call_command("render", "notice", "1", "-o", str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError):
        call_command("render", "notice", "one", "-o", str(out))
