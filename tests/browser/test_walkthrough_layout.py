"""What the walkthrough of issue 12 found in a real browser: a long 工作专班 name ran over the
score beside it in 双周排队; a live notification updated the bell but not the figures on the page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from playwright.sync_api import expect

from supervision import services
from tests.cycles import two_closed_cycles, use_calendar
from tests.helpers import draft_letter
from tests.servers import shared_database_url, start_daphne

LONG_NAME = "乡村振兴产业发展与易地搬迁后续扶持工作专班"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_long_unit_name_stays_in_its_column_of_the_ranking(people, settings, open_page):
    use_calendar(settings)
    w = two_closed_cycles(people)
    w.unit_a.short_name = LONG_NAME
    w.unit_a.save(update_fields=["short_name"])
    page = open_page(w.clerk, "/cycles/ranking/", width=1366)
    row = page.locator(f'tr[data-unit="{w.unit_a.pk}"]')
    name = row.get_by_role("link", name=LONG_NAME).bounding_box()
    score = row.locator("td").nth(2).bounding_box()
    assert name["x"] + name["width"] <= score["x"] + 1, (name, score)


@pytest.fixture
def server():
    # As `make run` serves: daphne's runserver, which also serves the static files (inbox.js).
    env = {"DATABASE_URL": shared_database_url(), "REDIS_URL": settings.REDIS_URL, "DEBUG": "1"}
    with start_daphne(env=env, runserver=True) as (_proc, url):
        yield url


@pytest.mark.browser
@pytest.mark.every_database
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not (settings.REDIS_URL and connection.vendor == "postgresql"),
    reason="a separate server process needs the shared PostgreSQL database and Redis",
)
def test_a_live_notification_updates_the_figures_on_the_page(people, browser, server):
    world = people
    letter = draft_letter(world, units=[world.unit_a])
    services.letter_sign(actor=world.director, letter=letter)
    # The tests hash with MD5 for speed; the server process knows only the real hashers.
    liaison = world.liaison_a
    liaison.password = PBKDF2PasswordHasher().encode("pw-browser-1", PBKDF2PasswordHasher().salt())
    liaison.save(update_fields=["password"])
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(server + "/accounts/login/")
    page.fill("input[name=username]", liaison.username)
    page.fill("input[name=password]", "pw-browser-1")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda u: "/accounts/login/" not in u)
    page.goto(server + "/unit/")
    page.locator(".sv-inbox[data-unread]").wait_for(state="attached")
    to_claim = page.locator("[data-live=cards] .sv-stat__n").first
    assert to_claim.inner_text() == "0"

    services.letter_issue(actor=world.clerk, letter=letter)
    page.locator(".sv-toast").first.wait_for()
    # Without a reload: the card counts the new tasks, as the bell counts the notification.
    expect(to_claim).to_have_text(str(letter.items.count()))
    context.close()
