"""Sign-in throttling: per account and address, per address, per account, expiring, and lifted in the admin."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.urls import reverse

from supervision.models import User

LOGIN = "/accounts/login/"


def sign_in(client, username: str, password: str, address: str = "10.0.0.1", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username: str, times: int, address: str = "10.0.0.1", **headers) -> None:
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", address, **headers)
        assert response.status_code in (200, 429)


def test_five_wrong_passwords_lock_the_account_at_that_address(client, world, caplog):
    caplog.set_level(logging.WARNING)
    fail(client, "clerk", 5)
    response = sign_in(client, "clerk", "pw-clerk", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    # The sign-in layout with a message that says what happened and when to come back.
    assert "Sign-in locked" in page and "Please try again in 15 minutes" in page
    assert 'href="/accounts/login/"' in page
    # Every failure is on record (five wrong passwords, then the refused right one; those from
    # the lockout on are marked so), and in the log for the administrator.
    assert AccessFailureLog.objects.filter(username="clerk").count() == 6
    assert AccessFailureLog.objects.filter(username="clerk", locked_out=True).exists()
    assert any("clerk" in r.getMessage() and r.levelno >= logging.WARNING for r in caplog.records)


def test_four_wrong_passwords_are_not_yet_a_lockout(client, world):
    fail(client, "clerk", 4)
    assert sign_in(client, "clerk", "pw-clerk").status_code == 302
    assert signed_in(client)


def test_the_lockout_expires_after_the_cool_off(client, world, settings):
    fail(client, "clerk", 5)
    assert sign_in(client, "clerk", "pw-clerk").status_code == 429
    # Fifteen minutes (LOGIN_COOLOFF_MINUTES) and a second pass.
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )
    response = sign_in(client, "clerk", "pw-clerk")
    assert response.status_code == 302 and signed_in(client)


def test_other_accounts_and_the_same_account_elsewhere_are_not_locked(client, world):
    fail(client, "clerk", 5, address="10.0.0.1")
    # A colleague at the same address, and the clerk at their own desk, still sign in.
    assert sign_in(client, "inspector", "pw-inspector", address="10.0.0.1").status_code == 302
    client.logout()
    assert sign_in(client, "clerk", "pw-clerk", address="10.0.0.2").status_code == 302
    assert signed_in(client)


def test_one_address_trying_many_accounts_is_locked_out(client, world):
    # Twenty failures spread over accounts (four each: none locked by itself) lock the address.
    for username in ("clerk", "inspector", "director", "observer", "liaison_a"):
        fail(client, username, 4, address="10.0.0.3")
    response = sign_in(client, "leader_a", "pw-leader_a", address="10.0.0.3")
    assert response.status_code == 429 and not signed_in(client)
    # Another address is unaffected.
    assert sign_in(client, "leader_a", "pw-leader_a", address="10.0.0.4").status_code == 302


def test_one_account_tried_from_many_addresses_is_locked_out_everywhere(client, world, settings):
    assert settings.LOGIN_FAILURES_PER_USERNAME == 50
    # Forty-nine wrong passwords from forty-nine addresses, one each: the owner still signs in.
    for n in range(49):
        fail(client, "clerk", 1, address=f"198.51.100.{n + 1}")
    assert sign_in(client, "clerk", "pw-clerk", address="10.0.0.9").status_code == 302
    client.logout()
    # Sixty in all: the account is locked, from an address that never failed as well.
    for n in range(49, 60):
        fail(client, "clerk", 1, address=f"198.51.100.{n + 1}")
    response = sign_in(client, "clerk", "pw-clerk", address="203.0.113.77")
    assert response.status_code == 429 and not signed_in(client)
    # Only that account: a colleague signs in from the same new address.
    assert sign_in(client, "inspector", "pw-inspector", address="203.0.113.77").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, world):
    # Without a proxy in front, X-Forwarded-For is whatever the client says.
    for n in range(5):
        sign_in(client, "clerk", "wrong-password", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert sign_in(client, "clerk", "pw-clerk", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_behind_the_proxy_the_address_is_the_one_nginx_saw(client, world, settings):
    settings.BEHIND_PROXY = True
    # A proxy that appends puts the peer it saw right-most (the shipped nginx sends only that one);
    # what the client sent stays to the left and is not trusted.
    fail(client, "clerk", 5, address="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 10.0.0.7")
    locked = sign_in(client, "clerk", "pw-clerk", address="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.2, 10.0.0.7")
    assert locked.status_code == 429
    other = sign_in(client, "clerk", "pw-clerk", address="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.7, 10.0.0.8")
    assert other.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.7"}


def test_an_administrator_lifts_the_lockout_in_the_admin(client, world):
    fail(client, "clerk", 5)
    assert sign_in(client, "clerk", "pw-clerk").status_code == 429
    admin = User.objects.create_superuser(username="root", password="pw-root-admin")
    staff = client.__class__()
    staff.force_login(admin)
    listing = staff.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "clerk" in listing.content.decode()
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = staff.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    # The failures stay on record; the lock is gone.
    assert AccessFailureLog.objects.filter(username="clerk").count() == 6
    assert sign_in(client, "clerk", "pw-clerk").status_code == 302


@pytest.mark.parametrize("method", ["login", "force_login"])
def test_the_test_clients_sign_in_still_works(client, world, method):
    if method == "login":
        assert client.login(username="clerk", password="pw-clerk")
    else:
        client.force_login(world.clerk)
    assert client.get("/").status_code in (200, 302)
    assert signed_in(client)
