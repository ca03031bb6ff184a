"""Cooperating tasks in step with their lead, seen in a browser: the office approves the lead
unit's extension and writes the lead off on its pages; the cooperating unit's page follows."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision import services
from supervision.models import Assignment
from tests.browser.actions import ok, press
from tests.factories import FUTURE, draft_letter, sign_and_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cooperating_task_follows_the_leads_extension_and_write_off(people, open_page):
    world = people
    letter = draft_letter(world, units=[world.unit_a, world.unit_b], items=[(world.unit_a, [world.unit_b])])
    sign_and_issue(world, letter)
    lead = Assignment.objects.get(letter=letter, unit=world.unit_a)
    coop = Assignment.objects.get(letter=letter, unit=world.unit_b)
    services.assignment_claim(actor=world.liaison_a, assignment=lead.pk)
    services.assignment_claim(actor=world.liaison_b, assignment=coop.pk, responsible_person="李科长")
    new = FUTURE + dt.timedelta(days=30)
    ext = services.extension_request(
        actor=world.liaison_a, assignment=lead.pk, requested_deadline=new, reason="施工周期长"
    )
    services.extension_sign(actor=world.leader_a, extension=ext.pk)

    # The clerk approves the lead unit's extension on the lead task's page, which lists B.
    clerk = open_page(world.clerk, f"/tasks/{lead.pk}/", language="en")
    clerk.on("dialog", lambda dialog: dialog.accept())
    partners = clerk.locator("dd.sv-partners")
    assert "乙县" in partners.inner_text() and "Accepted" in partners.inner_text()
    press(clerk, "Approve the new deadline")
    ok(clerk, "New deadline approved.")

    # B's page: its deadline moved with the lead's, the item's own one is marked superseded.
    liaison_b = open_page(world.liaison_b, f"/tasks/{coop.pk}/", language="en")
    assert liaison_b.locator("dd.sv-deadline").inner_text().startswith(new.isoformat())
    assert "superseded by the lead unit's extension on" in liaison_b.locator("dd.sv-required").inner_text()
    assert "甲县" in liaison_b.locator("dd.sv-partners").inner_text()
    assert "responsible person: 李科长" in liaison_b.locator(".sv-dl").inner_text()
    assert "Deadline moved with the lead unit's extension" in liaison_b.locator(".sv-timeline").inner_text()

    # The lead is done and verified; the director writes it off on its page.
    services.assignment_start(actor=world.liaison_a, assignment=lead.pk)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=lead.pk, text="已全部完成整改")
    services.assignment_approve_completion(actor=world.leader_a, assignment=lead.pk)
    services.assignment_verify(actor=world.inspector, assignment=lead.pk)
    director = open_page(world.director, f"/tasks/{lead.pk}/", language="en")
    director.on("dialog", lambda dialog: dialog.accept())
    press(director, "Write off", comment="同意销号")
    ok(director, "Written off.")
    director.locator("dd.sv-partners").filter(has_text="Closed").wait_for()

    # B's task closed with it: its page says so, and the lead task shows as written off.
    liaison_b.reload()
    assert liaison_b.locator(".sv-dl .sv-state").first.inner_text() == "Closed"
    assert "Closed with the lead unit's write-off" in liaison_b.locator(".sv-timeline").inner_text()
    assert "Closed" in liaison_b.locator("dd.sv-partners").inner_text()
    assert Assignment.objects.get(pk=coop.pk).state == "closed"
