"""The first sign-in with a one-time password: it signs in, and until its owner has chosen a
password of their own every page leads to the page where they choose it; the project's validators
apply; afterwards the one-time password no longer works."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notices.contacts import parse_directory
from supervision.models import AuditEvent, User
from supervision.services.onboarding import directory_import
from tests.onboarding.sheets import workbook

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qiu-Shui-2026-lvliang"


@pytest.fixture
def newcomer(world):
    """A liaison of a unit just imported, with their one-time password."""
    sheet = workbook([["丙县人民政府", "丙县", "县（市、区）", "", 1, "张三", "股长", "13900000001"]])
    (account,) = directory_import(actor=world.clerk, parsed=parse_directory(sheet)).accounts
    return User.objects.get(pk=account.user_id), account.password


def _sign_in(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _choose(client: Client, old: str, new: str, again: str | None = None, next_: str = ""):
    data = {"old_password": old, "new_password1": new, "new_password2": again or new}
    if next_:
        data["next"] = next_
    return client.post(reverse("first_password"), data)


def test_every_page_leads_to_the_password_change_until_it_is_made(newcomer):
    user, password = newcomer
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _sign_in(client, user.username, password)
    assert response.status_code == 302
    for path in ("/", reverse("unit:index"), reverse("tasks:list"), reverse("tasks:inbox"), "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("first_password")), path
    assert client.get(reverse("tasks:list"))["Location"] == reverse("first_password") + "?next=%2Ftasks%2F"
    # A POST elsewhere does nothing either.
    assert client.post(reverse("tasks:inbox"), {})["Location"] == reverse("first_password")
    page = client.get(reverse("first_password"))
    assert page.status_code == 200
    assert "Choose your own password" in page.content.decode()
    assert "no-store" in page.headers["Cache-Control"]

    response = _choose(client, password, NEW_PASSWORD, next_=reverse("tasks:list"))
    assert response.status_code == 302 and response["Location"] == reverse("tasks:list")
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get(reverse("unit:index")).status_code == 200  # signed in still, and free to go
    assert AuditEvent.objects.filter(action="account.password_chosen", actor=user).count() == 1
    assert "one_time_password_replaced" in AuditEvent.objects.get(action="account.password_chosen").data

    # The one-time password has done its work: it no longer signs in; the new one does.
    assert _sign_in(Client(), user.username, password).status_code == 200  # the form again, with an error
    assert _sign_in(Client(), user.username, NEW_PASSWORD).status_code == 302


def test_signing_out_and_the_language_switch_stay_open(newcomer):
    user, password = newcomer
    client = Client()
    _sign_in(client, user.username, password)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.get("/static/workflows/app.css").status_code in (200, 404)  # never sent to the page
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("12345678", None, "This password is too common."),
        ("abc", None, "This password is too short."),
        ("duban2024", None, "first that password-guessing tools try"),
        ("abababababab", None, "repeats too few characters"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two password fields"),
    ],
)
def test_the_projects_validators_apply(newcomer, new, again, message):
    user, password = newcomer
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _sign_in(client, user.username, password)
    response = _choose(client, password, new, again)
    assert response.status_code == 400
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(password)


def test_the_one_time_password_is_asked_again(newcomer):
    user, password = newcomer
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _sign_in(client, user.username, password)
    response = _choose(client, "not-the-one", NEW_PASSWORD)
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.must_change_password


def test_the_one_time_password_itself_is_not_a_choice(newcomer):
    from supervision.services import InvalidInput
    from supervision.services.onboarding import account_password_choose

    user, password = newcomer
    with pytest.raises(InvalidInput):
        account_password_choose(actor=user, password=password)


def test_people_without_the_flag_never_see_the_page(world):
    client = Client()
    client.force_login(world.clerk)
    assert client.get(reverse("office:index")).status_code == 200
    assert client.get(reverse("first_password"))["Location"] == reverse("home")


def test_an_api_token_request_is_not_stopped(newcomer):
    """A token request carries no session: the flag does not stop it (it answers by its own rules)."""
    user, _password = newcomer
    response = Client().get("/api/assignments/", HTTP_AUTHORIZATION="Token nothing-valid")
    assert response.status_code == 401
