"""催办 in the browser: the office sends a reminder from the task page in one click, the page
says so and counts it, and the button is gone until tomorrow."""

from __future__ import annotations

import pytest

from supervision.models import AuditEvent, Notification
from tests.helpers import drive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_office_reminds_a_stalled_task_from_its_page(people, open_page):
    world = people
    a = drive(world, "issued").assignment
    page = open_page(world.clerk, f"/tasks/{a.pk}/", language="en")
    form = page.locator("form", has=page.get_by_role("button", name="Send a reminder"))
    form.locator("textarea[name=comment]").fill("请于本周五前签收并报送进展")
    form.get_by_role("button", name="Send a reminder").click()
    page.get_by_text("Reminder sent to the unit.").wait_for()
    assert page.locator(".sv-reminders").inner_text().startswith("Reminded 1 time, last on")
    assert page.get_by_text("请于本周五前签收并报送进展").count() >= 1  # on the timeline
    assert page.get_by_role("button", name="Send a reminder").count() == 0
    event = AuditEvent.objects.get(assignment=a, action="assignment.reminded")
    assert (event.actor_id, event.comment) == (world.clerk.pk, "请于本周五前签收并报送进展")
    told = set(Notification.objects.filter(verb="assignment_reminded").values_list("recipient__username", flat=True))
    assert told == {"liaison_a", "leader_a"}
