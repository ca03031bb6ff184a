"""The app shell in a real browser: signing in in Chinese, the office overview, the language
switch, signing out; the drawer on a phone. viewflow's own assets (CSS, JS, icon font) must load
from the live server: the shell is unusable without them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from supervision import clock
from tests.conftest import issue_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHELL_RED = "rgb(183, 28, 28)"  # SupervisionSite.primary_color, applied only if viewflow's CSS loaded


def _watch_failures(page) -> list[str]:
    """Every request of the page that failed or answered with an error. The live inbox's
    websocket is left out: this live server speaks WSGI only (test_live.py runs it on daphne)."""
    failures: list[str] = []

    def note(what: str, url: str) -> None:
        if "/ws/" not in url:
            failures.append(f"{what} {url}")

    page.on("requestfailed", lambda r: note("failed", r.url))
    page.on("response", lambda r: note(str(r.status), r.url) if r.status >= 400 else None)
    return failures


def _sign_in(page, user) -> None:
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-browser-1")
    page.get_by_role("button", name=re.compile("^(登录|Log in)$")).click()


def test_an_office_member_signs_in_in_chinese_switches_to_english_and_signs_out(people, browser, live_server):
    world = people
    issue_letter(world, items=1, deadline=clock.today() - dt.timedelta(days=1))  # two overdue (A and B)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        failures = _watch_failures(page)
        page.goto(live_server.url + "/")
        # Signed out: the sign-in page, in Chinese, remembering where the person was going.
        assert "/accounts/login/?next=/" in page.url
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        _sign_in(page, world.clerk)
        page.wait_for_url(re.compile(r"/office/$"))
        page.get_by_role("heading", name="工作概览").wait_for()
        overdue = page.locator(".sv-stat", has_text="逾期").first
        assert overdue.locator(".sv-stat__n").inner_text() == "2"
        # viewflow's stylesheet and the site's colour are applied; the drawer is open beside the page.
        bar = page.locator("header.mdc-top-app-bar")
        assert bar.evaluate("e => getComputedStyle(e).backgroundColor") == SHELL_RED
        assert page.locator("aside.vf-page__menu").is_visible()
        current = page.locator("aside.vf-page__menu a[aria-current=page] .mdc-list-item__content")
        assert current.inner_text() == "工作概览"

        page.get_by_role("button", name="English").click()
        page.get_by_role("heading", name="Overview").wait_for()
        assert page.locator(".sv-stat", has_text="Overdue").first.locator(".sv-stat__n").inner_text() == "2"

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(re.compile(r"/accounts/login/$"))
        # Still English: the choice outlives the session.
        page.get_by_role("button", name="Log in").wait_for()
        assert not [f for f in failures if "/static/" in f], failures
        assert not failures, failures
    finally:
        context.close()


def test_the_drawer_opens_and_leads_on_a_phone(people, browser, live_server):
    world = people
    issue_letter(world, items=2, units=[world.unit_a])
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        failures = _watch_failures(page)
        page.goto(live_server.url + "/accounts/login/")
        _sign_in(page, world.liaison_a)
        page.wait_for_url(re.compile(r"/unit/$"))
        page.locator(".sv-stat", has_text="待签收").wait_for()
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        drawer = page.locator("aside.vf-page__menu")
        claim = drawer.get_by_role("link", name="待签收")
        # A phone hides the drawer behind the menu button in the top bar.
        assert not claim.is_visible()
        page.get_by_role("button", name="Open navigation menu").click()
        claim.wait_for(state="visible")
        assert "mdc-drawer--open" in (drawer.get_attribute("class") or "")
        claim.click()
        page.wait_for_url(re.compile(r"/tasks/\?queue=unclaimed$"))
        page.get_by_role("heading", name="待签收").wait_for()
        assert page.locator("table.sv-table tbody tr").count() == 2
        # The drawer closed behind the new page; the item is marked as the current one.
        page.get_by_role("button", name="Open navigation menu").click()
        current = drawer.locator("a[aria-current=page] .mdc-list-item__content")
        current.wait_for(state="visible")
        assert current.inner_text() == "待签收"
        assert not failures, failures
    finally:
        context.close()
