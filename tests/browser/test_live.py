"""Live notifications in real browsers: two people side by side on a real ASGI server.

The server is a separate process (daphne, as `make run` serves), so it needs a database both
processes share and the Redis layer: the test runs in the PostgreSQL + Redis pass of `make test`.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from supervision import services
from tests.helpers import draft_letter
from tests.servers import shared_database_url, start_daphne

pytestmark = [
    pytest.mark.browser,
    pytest.mark.every_database,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (settings.REDIS_URL and connection.vendor == "postgresql"),
        reason="a separate server process needs the shared PostgreSQL database and Redis",
    ),
]


@pytest.fixture
def server():
    # As `make run` serves: daphne's runserver, which also serves the static files (inbox.js).
    env = {"DATABASE_URL": shared_database_url(), "REDIS_URL": settings.REDIS_URL, "DEBUG": "1"}
    with start_daphne(env=env, runserver=True) as (_proc, url):
        yield url


def _login(browser, url: str, user):
    # The tests hash with MD5 for speed; the server process knows only the real hashers.
    user.password = PBKDF2PasswordHasher().encode("pw-browser-1", PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-browser-1")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda u: "/accounts/login/" not in u)
    return page


def test_the_liaison_sees_a_letter_arrive_while_the_clerk_issues_it(people, browser, server):
    world = people
    letter = draft_letter(world, units=[world.unit_a])
    services.letter_sign(actor=world.director, letter=letter)
    liaison = _login(browser, server, world.liaison_a)
    liaison.goto(server + "/tasks/")
    bell = liaison.locator(".sv-inbox")
    # The page's script marks the bell once its socket is up (a locator, not an evaluated string:
    # the Content-Security-Policy allows no eval).
    liaison.locator(".sv-inbox[data-unread]").wait_for(state="attached")
    assert bell.get_attribute("data-unread") == "0"

    clerk = _login(browser, server, world.clerk)
    clerk.on("dialog", lambda d: d.accept())
    clerk.goto(server + f"/letters/{letter.pk}/")
    clerk.get_by_role("button", name="印发").click()
    clerk.locator(".sv-msg--success").wait_for()

    # Without reloading, the liaison's page shows the toast and the badge.
    liaison.locator(".sv-toast").filter(has_text="测巩办督").wait_for()
    assert bell.get_attribute("data-unread") == "1"
    assert liaison.locator(".sv-badge").inner_text() == "1"
