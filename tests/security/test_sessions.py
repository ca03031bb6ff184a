"""Sessions end: after SESSION_COOKIE_AGE at the latest, and after SESSION_IDLE_TIMEOUT idle."""

from __future__ import annotations

import time

from django.conf import settings

from project.sessions import LAST_ACTIVITY_KEY


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
