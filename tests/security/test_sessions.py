"""Sessions end: after SESSION_COOKIE_AGE at the latest, and after SESSION_IDLE_TIMEOUT idle."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.shortcuts import resolve_url
from django.urls import reverse

from project.sessions import EXPIRY_KEY, LAST_ACTIVITY_KEY, is_idle


def set_last_activity(client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_a_session_lasts_a_working_day_not_two_weeks(client, world):
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    client.force_login(world.clerk)
    client.get("/")
    assert 11 * 3600 < client.session.get_expiry_age() <= 12 * 3600


def test_an_idle_session_is_signed_out_with_a_message(client, world, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(world.clerk)
    set_last_activity(client, 31 * 60)
    response = client.get("/letters/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/letters/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "signed out after 30 minutes without activity" in page


def test_activity_keeps_the_session(client, world, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(world.clerk)
    set_last_activity(client, 29 * 60)
    assert client.get("/letters/").status_code == 200
    # The request refreshed the stamp: another 29 minutes later the session is still alive.
    assert time.time() - client.session[LAST_ACTIVITY_KEY] < 5
    set_last_activity(client, 29 * 60)
    assert client.get("/letters/").status_code == 200


def test_the_stamp_is_not_rewritten_on_every_request(client, world, django_assert_num_queries):
    client.force_login(world.clerk)
    set_last_activity(client, 10)
    stamp = client.session[LAST_ACTIVITY_KEY]
    client.get("/letters/")
    assert client.session[LAST_ACTIVITY_KEY] == stamp
    set_last_activity(client, 61)
    client.get("/letters/")
    assert client.session[LAST_ACTIVITY_KEY] > stamp


def test_signing_in_starts_the_idle_clock(client, world):
    client.force_login(world.clerk)
    assert time.time() - client.session[LAST_ACTIVITY_KEY] < 5


def test_zero_turns_the_idle_timeout_off(client, world, settings):
    settings.SESSION_IDLE_TIMEOUT = 0
    client.force_login(world.clerk)
    set_last_activity(client, 10 * 24 * 3600)
    assert client.get("/letters/").status_code == 200


def move_into_the_past(client, seconds: int) -> None:
    """Make everything the session remembers (stamps, stored expiry) ``seconds`` older."""
    store = client.session
    row = Session.objects.get(pk=store.session_key)
    store[LAST_ACTIVITY_KEY] -= seconds
    if EXPIRY_KEY in store:
        store[EXPIRY_KEY] = (dt.datetime.fromisoformat(store[EXPIRY_KEY]) - dt.timedelta(seconds=seconds)).isoformat()
    store.save()
    Session.objects.filter(pk=store.session_key).update(expire_date=row.expire_date - dt.timedelta(seconds=seconds))


def test_a_busy_session_still_ends_a_working_day_after_signing_in(client, world):
    client.force_login(world.clerk)
    # An hour passes between requests, thirteen times: never idle, yet the day is over.
    for hour in range(1, 12):
        move_into_the_past(client, 3600)
        response = client.get("/letters/")
        assert response.status_code == 200, f"signed out after {hour} h"
        # The cookie is dropped by the browser at the same moment, not 12 hours after this page.
        max_age = response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]
        assert int(max_age) <= (12 - hour) * 3600
    move_into_the_past(client, 3600 + 1)
    response = client.get("/letters/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_session_from_before_the_fixed_expiry_gets_one(client, world):
    client.force_login(world.clerk)
    store = client.session
    store.set_expiry(None)
    store.save()
    client.get("/letters/")
    assert EXPIRY_KEY in client.session
    assert client.session.get_expiry_age() <= 12 * 3600


def test_an_idle_form_submission_returns_to_the_form_page_after_signing_in(client, world, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(world.clerk)
    set_last_activity(client, 31 * 60)
    response = client.post(reverse("tasks:inbox_read_all"), HTTP_REFERER="http://testserver/letters/?page=2")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/letters/%3Fpage%3D2"
    # Signing in again lands on that page, not on a URL that only accepts the lost POST.
    landed = client.post(
        response["Location"], {"username": "clerk", "password": "pw-clerk", "next": "/letters/?page=2"}
    )
    assert landed.status_code == 302 and landed["Location"] == "/letters/?page=2"
    assert client.get(landed["Location"]).status_code == 200


@pytest.mark.parametrize("referer", ["", "https://evil.example/letters/", "javascript:alert(1)"])
def test_an_idle_form_submission_from_elsewhere_returns_home(client, world, settings, referer):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(world.clerk)
    set_last_activity(client, 31 * 60)
    response = client.post(reverse("tasks:inbox_read_all"), HTTP_REFERER=referer)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=" + quote(resolve_url(settings.LOGIN_REDIRECT_URL), safe="/")


def test_the_same_idle_rule_serves_pages_and_sockets(settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    now = time.time()
    assert is_idle({LAST_ACTIVITY_KEY: int(now) - 601}, now)
    assert not is_idle({LAST_ACTIVITY_KEY: int(now) - 599}, now)
    assert not is_idle({}, now)
    settings.SESSION_IDLE_TIMEOUT = 0
    assert not is_idle({LAST_ACTIVITY_KEY: 0}, now)
