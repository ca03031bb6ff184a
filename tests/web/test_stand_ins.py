"""The stand-in page (授权代理) through the test client: name a colleague, see it, end it; the task
page's timeline says who acted for whom; the admin shows stand-ins and one-person units."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision import clock
from supervision.models import StandIn
from supervision.services.stand_ins import standin_create
from supervision.services.units import unit_one_person_set
from tests.conftest import make_user
from tests.helpers import drive, signed_in


def _form(deputy, unit, *, days: int = 3, starts: int = 0) -> dict[str, str]:
    today = clock.today()
    return {
        "deputy": f"{unit.pk}:{deputy.pk}",
        "starts_on": (today + dt.timedelta(days=starts)).isoformat(),
        "ends_on": (today + dt.timedelta(days=starts + days)).isoformat(),
    }


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_user_menu_leads_to_the_stand_in_page(client, world):
    page = signed_in(client, world.liaison_a).get(reverse("unit:index"))
    assert reverse("standins:list") in page.content.decode()


def test_a_liaison_names_a_colleague_and_sees_it(client, world):
    c = signed_in(client, world.liaison_a)
    page = c.get(reverse("standins:list"))
    assert page.status_code == 200
    # Only colleagues of their own unit are offered.
    offered = dict(page.context["form"].fields["deputy"].choices)
    assert f"{world.unit_a.pk}:{world.leader_a.pk}" in offered
    assert not any(key.endswith(f":{world.liaison_b.pk}") for key in offered)

    response = c.post(reverse("standins:list"), _form(world.leader_a, world.unit_a), follow=True)
    assert response.status_code == 200
    assert any("stands in for you" in m for m in _messages(response))
    s = StandIn.objects.get()
    assert (s.principal, s.deputy, s.unit) == (world.liaison_a, world.leader_a, world.unit_a)
    [(row, endable, running)] = response.context["rows"]
    assert (row, endable, running) == (s, True, True)
    # Someone of another unit does not see it.
    other = signed_in(client.__class__(), world.liaison_b).get(reverse("standins:list"))
    assert other.context["rows"] == []


def test_a_refused_stand_in_shows_why(client, world):
    c = signed_in(client, world.liaison_a)
    # A colleague of another unit, posted by hand: the form offers no such choice.
    response = c.post(reverse("standins:list"), _form(world.liaison_b, world.unit_b))
    assert response.status_code == 400
    assert not StandIn.objects.exists()
    # Dates the service refuses come back on the form.
    response = c.post(reverse("standins:list"), _form(world.leader_a, world.unit_a, starts=-2))
    assert response.status_code == 400
    assert "cannot start before today" in response.content.decode()
    assert not StandIn.objects.exists()


def test_ending_a_stand_in_from_the_page(client, world):
    s = standin_create(
        actor=world.liaison_a,
        deputy=world.leader_a,
        unit=world.unit_a,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=3),
    )
    stranger = signed_in(client.__class__(), world.liaison_b)
    response = stranger.post(reverse("standins:end", args=[s.pk]), follow=True)
    assert any("can end this stand-in" in m for m in _messages(response))
    assert StandIn.objects.get(pk=s.pk).ended_at is None

    response = signed_in(client, world.liaison_a).post(reverse("standins:end", args=[s.pk]), follow=True)
    assert any("has ended" in m for m in _messages(response))
    assert StandIn.objects.get(pk=s.pk).ended_by == world.liaison_a


def test_the_page_reads_the_same_number_of_queries_however_many_stand_ins(client, world):
    c = signed_in(client, world.leader_a)
    today = clock.today()
    standin_create(actor=world.liaison_a, deputy=world.leader_a, unit=world.unit_a, starts_on=today, ends_on=today)
    c.get(reverse("standins:list"))
    with CaptureQueriesContext(connection) as small:
        c.get(reverse("standins:list"))
    for n in range(5):
        colleague = make_user(f"colleague_{n}", world.unit_a, "liaison")
        standin_create(
            actor=colleague,
            deputy=world.liaison_a,
            unit=world.unit_a,
            starts_on=today + dt.timedelta(days=n),
            ends_on=today + dt.timedelta(days=n + 1),
        )
    with CaptureQueriesContext(connection) as large:
        response = c.get(reverse("standins:list"))
    assert len(response.context["rows"]) == 6  # the leader sees the unit's stand-ins
    assert len(large) == len(small)


def test_the_timeline_says_who_acted_for_whom(client, world):
    case = drive(world, "accepted")
    deputy = make_user("deputy_a", world.unit_a, "liaison", full_name="王代理")
    standin_create(
        actor=world.liaison_a,
        deputy=deputy,
        unit=world.unit_a,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=3),
    )
    c = signed_in(client, deputy)
    response = c.post(reverse("tasks:act", args=[case.assignment.pk, "start"]), follow=True)
    assert response.status_code == 200
    page = c.get(reverse("tasks:detail", args=[case.assignment.pk])).content.decode()
    assert "王代理 (for liaison_a)" in page


def test_the_admin_shows_stand_ins_and_one_person_units(client, world, django_user_model):
    standin_create(
        actor=world.liaison_a,
        deputy=world.leader_a,
        unit=world.unit_a,
        starts_on=clock.today(),
        ends_on=clock.today(),
    )
    unit_one_person_set(actor=world.director, unit=world.unit_c, one_person=True, reason="编制仅一人")
    admin = django_user_model.objects.create_superuser(username="root", password="pw-root-0123456789")
    c = signed_in(client, admin)
    page = c.get(reverse("admin:supervision_standin_changelist"))
    assert page.status_code == 200 and "leader_a" in page.content.decode()
    page = c.get(reverse("admin:supervision_unit_changelist"))
    assert page.status_code == 200 and "one_person" in page.content.decode()
    # The admin's action goes through the service: a superuser without an office role is refused.
    response = c.post(
        reverse("admin:supervision_unit_changelist"),
        {"action": "clear_one_person", "_selected_action": [world.unit_c.pk]},
        follow=True,
    )
    assert response.status_code == 200
    world.unit_c.refresh_from_db()
    assert world.unit_c.one_person
    assert any("Only the office" in m for m in _messages(response))
