"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

Never downloads a browser: the system chromium is used, and the tests are skipped with the
reason when it is missing (the Makefile installs it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API runs an event loop in this thread while the browser is
    # open, which later async_to_sync calls (the websocket tests) must not find.
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it: apt-get install chromium)")
    # Playwright's sync API refuses to run inside an event loop; Django's async-unsafe guard
    # must let the test thread touch the database while the browser runs.
    # Only while the browser runs: subprocesses of later tests (check --deploy) must not inherit it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield b
            b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser, live_server):
    """open_page(user, path, width=1280, language="zh-CN") → a logged-in page."""
    contexts = []

    def _open(user, path: str = "/", *, width: int = 1280, height: int = 900, language: str = "zh-CN"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=language)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", "pw-browser-1")
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.goto(live_server.url + path)
        return page

    yield _open
    for c in contexts:
        c.close()


@pytest.fixture
def people(world):
    """The world's people with a known password, for logging in through the form."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.all()
    for u in users:
        u.set_password("pw-browser-1")
    get_user_model().objects.bulk_update(users, ["password"])
    return world
