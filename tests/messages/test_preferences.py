"""Message preferences: saved through the page and read back, refused input says why and
changes nothing, the address lives on the account, and the page says that urgent reminders
still come in quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from supervision.models import AuditEvent, MessagePreference, User
from supervision.selectors.messages import preference_of
from supervision.services import InvalidInput, NotAllowed
from supervision.services.preferences import preference_update
from tests.helpers import page_messages, signed_in

FORM = {
    "email": "on",
    "email_address": "lisi@lvliang.example.gov.cn",
    "events": ["todo", "reminders"],
    "digest": "on",
    "quiet_start": "22:00",
    "quiet_end": "07:30",
    "quiet_rest_days": "on",
}


def test_the_user_menu_page_shows_the_defaults_until_saved(client, world):
    page = signed_in(client, world.liaison_a).get(reverse("messages:preferences"))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["email"] is True and set(form.initial["events"]) == {"todo", "issued", "returned", "reminders"}
    assert (form.initial["quiet_start"], form.initial["quiet_end"]) == (dt.time(21), dt.time(8))
    assert "urgent reminders still come in quiet hours" in page.content.decode()


@pytest.mark.parametrize("who", ["liaison_a", "clerk", "outsider"])
def test_preferences_are_saved_and_read_back(client, world, who):
    user = getattr(world, who)
    browser = signed_in(client, user)
    response = browser.post(reverse("messages:preferences"), FORM, follow=True)
    assert "Your message settings are saved." in page_messages(response)
    pref = MessagePreference.objects.get(user=user)
    assert (pref.email, pref.events, pref.digest) == (True, ["todo", "reminders"], True)
    assert (pref.quiet_start, pref.quiet_end, pref.quiet_rest_days) == (dt.time(22), dt.time(7, 30), True)
    assert User.objects.get(pk=user.pk).email == "lisi@lvliang.example.gov.cn"
    form = browser.get(reverse("messages:preferences")).context["form"]
    assert form.initial["events"] == ["todo", "reminders"] and form.initial["email_address"] == FORM["email_address"]
    row = AuditEvent.objects.get(action="message_preference.updated")
    assert row.actor == user and row.data["email_address_changed"] is True
    assert FORM["email_address"] not in str(row.data)


def test_turning_everything_off_needs_no_address(world):
    pref = preference_update(
        actor=world.liaison_a,
        email=False,
        events=[],
        digest=False,
        quiet_start=dt.time(21),
        quiet_end=dt.time(8),
        quiet_rest_days=False,
    )
    assert (pref.email, pref.events) == (False, [])
    # Saved again unchanged: no second audit row.
    preference_update(
        actor=world.liaison_a,
        email=False,
        events=[],
        digest=False,
        quiet_start=dt.time(21),
        quiet_end=dt.time(8),
        quiet_rest_days=False,
    )
    assert AuditEvent.objects.filter(action="message_preference.updated").count() == 1
    assert preference_of(world.liaison_a).pk == pref.pk


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"email_address": ""}, "Give your e-mail address"),
        ({"email_address": "not-an-address"}, "Enter a valid e-mail address"),
        ({"email_address": "a@" + "b" * 260 + ".cn"}, "Ensure this value has at most 254"),
        ({"events": ["todo", "everything"]}, "Select a valid choice"),
        ({"quiet_start": "25:00"}, "Enter a valid time"),
        ({"quiet_end": ""}, "This field is required"),
    ],
)
def test_refused_preferences_say_why_and_change_nothing(client, world, change, why):
    response = signed_in(client, world.leader_a).post(reverse("messages:preferences"), FORM | change)
    assert response.status_code == 400
    assert why in response.content.decode()
    assert not MessagePreference.objects.exists() and User.objects.get(pk=world.leader_a.pk).email == ""


def test_the_service_refuses_what_the_form_would_not_send(world):
    base = {
        "email": False,
        "events": ["todo"],
        "digest": False,
        "quiet_start": dt.time(21),
        "quiet_end": dt.time(8),
        "quiet_rest_days": True,
    }
    for change, field in (({"events": ["x"]}, "events"), ({"quiet_start": "21:00"}, "quiet_start")):
        with pytest.raises(InvalidInput) as refused:
            preference_update(actor=world.liaison_a, **(base | change))
        assert refused.value.field == field
    world.liaison_a.is_active = False
    with pytest.raises(NotAllowed):
        preference_update(actor=world.liaison_a, **base)
    assert not MessagePreference.objects.exists()
