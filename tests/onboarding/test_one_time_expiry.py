"""One-time passwords sign in only for ONE_TIME_PASSWORD_DAYS after they were given; the office
issues a new one for a unit's account, shown once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notices.contacts import parse_directory
from supervision.models import AuditEvent, User
from supervision.services import InvalidInput, NotAllowed
from supervision.services.onboarding import account_one_time_password_reset, directory_import
from tests.factories import browser_for
from tests.onboarding.sheets import workbook

pytestmark = pytest.mark.django_db

EXPIRED = "Your one-time password has expired: ask the office for a new one."


@pytest.fixture
def newcomer(world):
    sheet = workbook([["丙县人民政府", "丙县", "县（市、区）", "", 1, "张三", "股长", "13900000001"]])
    (account,) = directory_import(actor=world.clerk, parsed=parse_directory(sheet)).accounts
    return User.objects.get(pk=account.user_id), account.password


@pytest.fixture
def later(monkeypatch):
    """Move the sign-in's clock ``days`` ahead (audit rows are append-only: time moves, not them)."""
    import project.signin

    def move(days: int) -> None:
        now = timezone.now() + dt.timedelta(days=days)
        monkeypatch.setattr(project.signin.timezone, "now", lambda: now)

    return move


def _sign_in(username: str, password: str):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    return client, client.post(reverse("login"), {"username": username, "password": password})


def test_a_fresh_one_time_password_signs_in(newcomer, later):
    user, password = newcomer
    later(13)
    _client, response = _sign_in(user.username, password)
    assert response.status_code == 302


def test_an_old_one_time_password_is_refused_with_a_message(newcomer, settings, later):
    user, password = newcomer
    later(15)
    client, response = _sign_in(user.username, password)
    assert response.status_code == 200
    assert EXPIRED in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The setting moves the limit.
    settings.ONE_TIME_PASSWORD_DAYS = 30
    _client, response = _sign_in(user.username, password)
    assert response.status_code == 302


def test_a_wrong_password_says_nothing_of_the_expiry(newcomer, later):
    user, _password = newcomer
    later(15)
    _client, response = _sign_in(user.username, "not-the-password")
    assert EXPIRED not in response.content.decode()


def test_an_own_password_never_expires(world, later):
    later(400)
    _client, response = _sign_in("liaison_a", "pw-liaison_a")
    assert response.status_code == 302


def test_the_office_issues_a_new_one_time_password(newcomer, world, later):
    user, old = newcomer
    later(20)
    assert _sign_in(user.username, old)[1].status_code == 200
    password = account_one_time_password_reset(actor=world.clerk, user=user)
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(password) and not user.check_password(old)
    event = AuditEvent.objects.get(action="account.one_time_password_reset")
    assert event.data == {"user": user.pk, "username": user.username} and password not in str(event.data)
    # The new password counts from when it was given: it signs in now, and expires in its turn.
    later(0)
    _client, response = _sign_in(user.username, password)
    assert response.status_code == 302
    later(15)
    assert EXPIRED in _sign_in(user.username, password)[1].content.decode()


@pytest.mark.parametrize("who", ["liaison_a", "leader_a", "inspector", "observer", "outsider"])
def test_only_office_clerks_and_directors_issue_one(newcomer, world, who):
    user, old = newcomer
    with pytest.raises(NotAllowed):
        account_one_time_password_reset(actor=getattr(world, who), user=user)
    user.refresh_from_db()
    assert user.check_password(old)


@pytest.mark.parametrize("whose", ["clerk", "director", "admin", "switched_off", "outsider"])
def test_only_unit_accounts_get_one(world, whose):
    if whose == "admin":
        target = User.objects.create_user(username="root", password="pw-root", is_superuser=True, is_staff=True)
    elif whose == "switched_off":
        target = world.liaison_b
        User.objects.filter(pk=target.pk).update(is_active=False)
    else:
        target = getattr(world, whose)
    with pytest.raises(InvalidInput):
        account_one_time_password_reset(actor=world.director, user=target)
    target.refresh_from_db()
    assert not target.must_change_password
    assert not AuditEvent.objects.filter(action="account.one_time_password_reset").exists()


def test_the_directory_page_issues_one_and_shows_it_once(newcomer, world):
    user, _old = newcomer
    client = browser_for(world.clerk)
    page = client.get(reverse("directory:import")).content.decode()
    assert reverse("directory:reset_password") in page
    response = client.post(reverse("directory:reset_password"), {"username": user.username})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    (password,) = re.findall(r'<code class="directory-password">([^<]+)</code>', response.content.decode())
    user.refresh_from_db()
    assert user.check_password(password)
    missing = client.post(reverse("directory:reset_password"), {"username": "nobody"})
    assert missing.status_code == 400 and "There is no account called nobody." in missing.content.decode()
    office = client.post(reverse("directory:reset_password"), {"username": world.director.username})
    assert office.status_code == 400
    assert (
        browser_for(world.liaison_a).post(reverse("directory:reset_password"), {"username": user.username}).status_code
        == 403
    )
