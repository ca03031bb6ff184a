"""The Content-Security-Policy allows no inline script, and no page of ours needs one: the
browser reports no violation on the office overview, a task page, the letter editor and the admin."""

from __future__ import annotations

import pytest

from supervision.models import User
from tests.helpers import draft_letter, drive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded in the page before any of its scripts run.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


def violations(page) -> list[str]:
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__cspViolations")


def watched(page, console: list[str]):
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.context.add_init_script(WATCH)
    return page


def test_no_page_trips_the_policy(people, open_page, live_server):
    world = people
    case = drive(world, "issued")
    letter = draft_letter(world)
    console: list[str] = []
    page = watched(open_page(world.clerk, "/"), console)
    for path in ("/", f"/tasks/{case.assignment.pk}/", f"/letters/{letter.pk}/", "/letters/new/"):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
        assert violations(page) == [], path
    # A confirmation still asks first (it used to be an inline onsubmit= handler).
    page.goto(live_server.url + f"/letters/{letter.pk}/")
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.locator("form[data-confirm] button").first.click()
    page.wait_for_timeout(300)
    assert asked and violations(page) == []
    assert console == []


def test_the_admin_works_under_the_policy(people, open_page, live_server):
    world = people
    User.objects.filter(pk=world.director.pk).update(is_staff=True, is_superuser=True)
    console: list[str] = []
    page = watched(open_page(world.director, "/"), console)
    for path in ("/admin/", "/admin/supervision/unit/", "/admin/axes/accessattempt/"):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert violations(page) == [], path
    assert console == []
