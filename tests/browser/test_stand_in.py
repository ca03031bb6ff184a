"""A stand-in in a browser: the liaison names the unit's leader to act for them, the leader does
the liaison's claimed work, and the task's timeline records it as done for the liaison."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision import clock
from supervision.models import AuditEvent, StandIn
from tests.helpers import drive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_stand_in_acts_and_the_timeline_says_for_whom(people, open_page):
    world = people
    case = drive(world, "accepted")  # claimed by liaison_a
    today = clock.today()

    liaison = open_page(world.liaison_a, "/stand-ins/", language="en-US")
    liaison.select_option("select[name=deputy]", f"{world.unit_a.pk}:{world.leader_a.pk}")
    liaison.fill("input[name=starts_on]", today.isoformat())
    liaison.fill("input[name=ends_on]", (today + dt.timedelta(days=7)).isoformat())
    liaison.get_by_role("button", name="Name stand-in").click()
    liaison.locator(".sv-msg--success").filter(has_text="stands in for you").wait_for()
    assert liaison.locator("table.sv-table tbody tr").filter(has_text="Running").count() == 1
    assert StandIn.objects.filter(principal=world.liaison_a, deputy=world.leader_a).exists()

    leader = open_page(world.leader_a, f"/tasks/{case.assignment.pk}/", language="en-US")
    leader.get_by_role("button", name="Start work", exact=True).click()
    line = leader.locator(".sv-timeline li").filter(has_text="Work started")
    line.wait_for()
    assert "leader_a (for liaison_a)" in line.inner_text()
    event = AuditEvent.objects.filter(assignment=case.assignment, action="assignment.started").get()
    assert (event.actor, event.on_behalf_of) == (world.leader_a, world.liaison_a)
