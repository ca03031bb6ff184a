"""The biweekly cycle's pages in a real browser, in Chinese: the ranking and a unit's breakdown,
a notice from draft to publication and its PDF, what a unit may see, the office dashboard, and
the phone layout of the ranking and notice pages.

Screenshots go to artifacts/browser/cycles-*.png (ignored by git) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from supervision import clock
from supervision.models import Job, Notice, NoticeState
from supervision.services.jobs import job_execute
from tests.conftest import issue_letter
from tests.cycles import two_closed_cycles, use_calendar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
OPENING = "现将第2期双周调度排队情况通报如下，请各单位对照查找差距，抓紧整改。"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"cycles-{name}.png"), full_page=True)


def _clear(page) -> None:
    # Pages are swapped in place (Turbo): drop the last message so the next wait sees the new one.
    page.evaluate("document.querySelectorAll('.sv-msg').forEach(e => e.remove())")


def _label_size(svg) -> float:
    """How tall, in CSS pixels, the chart's 11-unit labels come out once the browser scales it."""
    drawn = svg.evaluate("e => [e.getBoundingClientRect().width, e.viewBox.baseVal.width]")
    return 11 * drawn[0] / drawn[1]


def _no_sideways_scroll(page) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner + 1, f"the page is {width}px wide in a {inner}px window"


@pytest.fixture
def ranked(people, settings):
    """The shared ``ranked`` scene (tests.cycles.two_closed_cycles) with people who sign in
    through the form: county A claims and reports both times, county B never does (named after
    cycle 1, interviewed after cycle 2)."""
    use_calendar(settings)
    return two_closed_cycles(people)


def _drawer(page, name: str) -> None:
    page.locator("aside.vf-page__menu").get_by_role("link", name=name, exact=True).click()


def _ranking_rows(page) -> dict[str, list[str]]:
    """Each peer group's table on the ranking page: group heading → unit names, top first."""
    found = {}
    for table in page.locator("table.sv-ranking").all():
        heading = page.locator(f"#{table.get_attribute('aria-labelledby')}").inner_text()
        found[heading] = [t.strip() for t in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    return found


def test_the_clerk_reads_the_ranking_and_a_units_breakdown(ranked, open_page):
    w = ranked
    page = open_page(w.clerk, "/office/")
    _drawer(page, "双周排队")
    page.wait_for_url(re.compile(r"/cycles/ranking/$"))
    # The latest closed cycle, every peer group, in the order of the places.
    page.get_by_role("heading", name=re.compile(r"双周排队.*第\s*2\s*期")).wait_for()
    rows = _ranking_rows(page)
    assert len(rows) == 2
    county, department = rows.values()
    assert county == ["甲县", "乙县"]
    assert department == ["农业农村局"]
    # The groups' tables share their columns: a figure sits at the same place in each.
    scores = [t.locator("th").nth(2).bounding_box() for t in page.locator("table.sv-ranking").all()]
    assert abs(scores[0]["x"] - scores[1]["x"]) < 1 and abs(scores[0]["width"] - scores[1]["width"]) < 1
    b_row = page.locator(f"tr[data-unit='{w.unit_b.pk}']")
    assert "约谈" in b_row.locator(".sv-esc").inner_text()
    _shot(page, "ranking")

    # An older cycle, counties only.
    page.select_option("select[name=cycle]", "1")
    county_label = page.locator("select[name=group] option").nth(1).inner_text()
    page.select_option("select[name=group]", label=county_label)
    page.get_by_role("button", name="显示", exact=True).click()
    page.get_by_role("heading", name=re.compile(r"第\s*1\s*期")).wait_for()
    assert list(_ranking_rows(page)) == [county_label]
    assert page.locator("select[name=cycle]").input_value() == "1"
    assert "通报点名" in b_row.locator(".sv-esc").inner_text()

    # Following county A to its page: each cycle's lines add up to its score.
    page.locator("table.sv-ranking").get_by_role("link", name="甲县").click()
    page.wait_for_url(re.compile(rf"/cycles/units/{w.unit_a.pk}/$"))
    page.get_by_role("heading", name="甲县人民政府").wait_for()
    sections = page.locator("section.sv-breakdown")
    assert sections.count() == 2
    for section in sections.all():
        score = Decimal(section.locator("p.sv-place strong[data-score]").inner_text())
        lines = [Decimal(t) for t in section.locator("td[data-points]").all_inner_texts()]
        assert lines and sum(lines) == score
        assert Decimal(section.locator("tr.sv-total td").last.inner_text()) == score
    chart = page.locator("section.sv-chart svg")
    assert chart.is_visible()
    assert _label_size(chart) >= 10
    # The cycles along the axis are named in Chinese.
    axis = chart.text_content()
    assert "第1期" in axis and "第2期" in axis and "Cycle" not in axis
    _shot(page, "unit")


def test_a_notice_from_draft_to_the_units(ranked, open_page, live_server):
    w = ranked
    clerk = open_page(w.clerk, "/cycles/ranking/")
    clerk.on("dialog", lambda d: d.accept())
    clerk.get_by_role("button", name="起草通报").click()
    clerk.wait_for_url(re.compile(r"/cycles/notices/\d+/$"))
    notice = Notice.objects.get(cycle__number=2)
    url = f"/cycles/notices/{notice.pk}/"
    clerk.locator(".sv-msg--success").wait_for()
    form = clerk.locator("form.sv-action", has=clerk.get_by_role("button", name="保存草稿"))
    form.locator("textarea[name=opening]").fill(OPENING)
    _clear(clerk)
    form.get_by_role("button", name="保存草稿").click()
    clerk.locator(".sv-msg--success").wait_for()
    assert clerk.locator(".sv-notice__opening").inner_text() == OPENING
    assert clerk.get_by_role("button", name="签发通报").count() == 0  # the drafter does not sign
    # The departments have no ranked unit: no empty table, just the line naming the unranked.
    assert clerk.locator("article.sv-notice table").count() == 1
    assert "农业农村局" in clerk.locator("article.sv-notice").inner_text()
    _shot(clerk, "notice-draft")

    director = open_page(w.director, url)
    director.on("dialog", lambda d: d.accept())
    director.get_by_placeholder(re.compile("意见")).fill("同意发布")
    director.get_by_role("button", name="签发通报").click()
    director.locator(".sv-msg--success").wait_for()
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.SIGNED
    assert "director" in director.locator(".sv-notice__signature").inner_text()

    # Signed, not yet published: the unit sees neither the list entry nor the page.
    liaison = open_page(w.liaison_a, "/unit/")
    _drawer(liaison, "双周通报")
    liaison.get_by_role("heading", name="双周通报").wait_for()
    assert liaison.get_by_role("link", name=notice.title).count() == 0
    liaison.goto(live_server.url + url)
    liaison.get_by_role("heading", name="页面不存在").wait_for()

    clerk.goto(live_server.url + url)
    _clear(clerk)
    clerk.get_by_role("button", name="发布至各单位").click()
    clerk.locator(".sv-msg--success").wait_for()
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.PUBLISHED

    liaison.goto(live_server.url + "/unit/")
    _drawer(liaison, "双周通报")
    liaison.get_by_role("link", name=notice.title).click()
    liaison.wait_for_url(re.compile(rf"{url}$"))
    assert liaison.locator(".sv-notice__opening").inner_text() == OPENING
    # Every unit's place, not just its own.
    article = liaison.locator("article.sv-notice")
    assert "甲县" in article.inner_text() and "乙县" in article.inner_text()
    assert liaison.get_by_role("button", name="发布至各单位").count() == 0
    _shot(liaison, "notice-published")
    # The PDF (a score of pages) is made in the background: the button asks for it and opens the
    # job's page, which offers the file once the worker (here, this process) has made it.
    liaison.get_by_role("button", name="下载 PDF").click()
    liaison.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    job = Job.objects.get(kind="notice_pdf", requested_by=w.liaison_a)
    assert job_execute(job.pk) == "done"
    pdf = liaison.locator(f"a[href='/jobs/{job.uuid}/file']")
    pdf.wait_for()
    response = liaison.request.get(live_server.url + pdf.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.body().startswith(b"%PDF")


def test_a_unit_sees_only_its_own_place(ranked, open_page, live_server):
    w = ranked
    page = open_page(w.liaison_a, "/unit/")
    _drawer(page, "本单位排名")
    page.wait_for_url(re.compile(rf"/cycles/units/{w.unit_a.pk}/$"))
    page.get_by_role("heading", name="甲县人民政府").wait_for()
    assert page.locator("section.sv-breakdown").count() == 2
    assert "乙县" not in page.locator("main, .sv-page").first.inner_text()
    # The ranking page shows the unit's own row only.
    page.goto(live_server.url + "/cycles/ranking/")
    assert list(_ranking_rows(page).values()) == [["甲县"]]
    assert page.get_by_role("button", name="起草通报").count() == 0
    # Another unit's page is no different from a page that does not exist.
    page.goto(live_server.url + f"/cycles/units/{w.unit_b.pk}/")
    page.get_by_role("heading", name="页面不存在").wait_for()
    assert "乙县" not in page.content()


def test_the_dashboard_charts_and_lights(ranked, open_page):
    w = ranked
    # Alongside the 2024 letter, long overdue (red), one due in three days (yellow) and one far off (green).
    issue_letter(w, items=1, units=[w.unit_a], deadline=clock.today() + dt.timedelta(days=3))
    issue_letter(w, items=3, units=[w.unit_a, w.unit_c])
    page = open_page(w.clerk, "/office/")
    _drawer(page, "挂图作战")
    page.get_by_role("heading", name="挂图作战").wait_for()
    charts = page.locator(".sv-chart svg")
    assert charts.count() == 4
    for chart in charts.all():
        assert chart.is_visible()
        assert _label_size(chart) >= 10
    _shot(page, "dashboard")

    row = page.locator(f"tr[data-unit='{w.unit_a.pk}']")
    counts = {light: int(row.locator(f"a[data-light={light}]").inner_text()) for light in ("red", "yellow", "green")}
    assert counts == {"red": 2, "yellow": 1, "green": 3}
    row.locator("a[data-light=red]").click()
    page.wait_for_url(re.compile(r"/tasks/\?.*light=red"))
    assert page.locator("select[name=light]").input_value() == "red"
    listed = page.locator("table.sv-table tbody tr")
    assert listed.count() == 2
    for line in listed.all():
        assert line.locator("td[data-label='单位']").inner_text().startswith("甲县")
        assert "sv-light--red" in line.locator(".sv-light").get_attribute("class")


@pytest.mark.parametrize("who", ["clerk", "liaison_a"])
def test_the_phone_layout_of_the_ranking_and_notice_pages(ranked, open_page, live_server, who):
    w = ranked
    notice = _published(w)
    page = open_page(getattr(w, who), "/cycles/ranking/", **PHONE)
    page.locator("table.sv-ranking").first.wait_for()
    _no_sideways_scroll(page)
    _shot(page, f"ranking-phone-{who}")
    for path, name in (
        (f"/cycles/notices/{notice.pk}/", "notice"),
        ("/cycles/notices/", "notices"),
        (f"/cycles/units/{w.unit_a.pk}/", "unit"),
    ):
        page.goto(live_server.url + path)
        page.locator("h1").wait_for()
        _no_sideways_scroll(page)
        _shot(page, f"{name}-phone-{who}")
    # Charts shrink to the screen's width and stay readable.
    assert _label_size(page.locator(".sv-chart svg")) >= 8
    if who == "clerk":
        page.goto(live_server.url + "/office/dashboard/")
        page.locator(".sv-chart svg").first.wait_for()
        _no_sideways_scroll(page)
        for chart in page.locator(".sv-chart svg").all():
            assert _label_size(chart) >= 8
        _shot(page, "dashboard-phone")


def _published(w) -> Notice:
    from supervision import services

    cycle = Notice._meta.get_field("cycle").related_model.objects.get(number=2)
    notice = services.notice_draft(actor=w.clerk, office=w.office, cycle=cycle)
    services.notice_update_draft(actor=w.clerk, notice=notice.pk, title="第2期双周通报", opening=OPENING)
    services.notice_sign(actor=w.director, notice=notice.pk, comment="")
    return services.notice_publish(actor=w.clerk, notice=notice.pk)
