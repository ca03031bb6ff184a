"""What people do in a real browser: Chinese pages, a claim and a report from the unit's side,
the office's verification with its confirmation, the phone layout."""

from __future__ import annotations

import re

import pytest

from supervision.models import Assignment, Evidence
from tests.conftest import issue_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_liaison_claims_and_reports_in_chinese(people, open_page, tmp_path):
    world = people
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    page = open_page(world.liaison_a, "/tasks/?queue=unclaimed")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_role("link", name=re.compile("问题描述1")).click()
    page.get_by_placeholder("责任人（默认为您本人）").fill("王主任")
    page.get_by_role("button", name="签收").click()
    page.get_by_text("已签收，已加入“我签收的”。").wait_for()
    evidence = tmp_path / "现场照片说明.pdf"
    evidence.write_bytes(b"%PDF-1.4 evidence")
    form = page.locator("form", has=page.get_by_role("button", name="报送整改进展"))
    form.get_by_placeholder("做了哪些整改").fill("已完成排查，正在组织施工")
    form.locator("input[type=file]").set_input_files(str(evidence))
    form.get_by_role("button", name="报送整改进展").click()
    page.get_by_text("进展已报送。").wait_for()
    a = Assignment.objects.get(pk=a.pk)
    assert (a.state, a.responsible_person) == ("in_progress", "王主任")
    assert Evidence.objects.get().original_name == "现场照片说明.pdf"
    assert page.get_by_role("link", name="现场照片说明.pdf").is_visible()


def test_a_refused_claim_shows_who_has_it(people, open_page):
    world = people
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    page = open_page(world.liaison_a, f"/tasks/{a.pk}/")
    from supervision import services
    from tests.conftest import make_user

    colleague = make_user("liaison_a_late", world.unit_a, "liaison")
    services.assignment_claim(actor=colleague, assignment=a)
    # The page still shows the claim button; pressing it explains instead of taking it twice.
    page.get_by_role("button", name="签收").click()
    page.locator(".sv-msg--error").get_by_text(re.compile("已由.*签收")).wait_for()
    assert Assignment.objects.get(pk=a.pk).claimed_by == colleague


def test_the_inspector_confirms_before_a_weighty_step(people, open_page):
    world = people
    from tests.helpers import drive

    a = drive(world, "verified").assignment
    page = open_page(world.director, f"/tasks/{a.pk}/")
    seen, answer = [], {"ok": False}

    def on_dialog(dialog):
        seen.append(dialog.message)
        dialog.accept() if answer["ok"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    page.get_by_role("button", name="销号").click()
    assert seen and "无法撤销" in seen[0]
    assert Assignment.objects.get(pk=a.pk).state == "verified"
    answer["ok"] = True
    page.get_by_role("button", name="销号").click()
    page.get_by_text("已销号。").wait_for()
    assert Assignment.objects.get(pk=a.pk).state == "closed"


def test_the_language_switch_and_the_phone_layout(people, open_page):
    world = people
    issue_letter(world, items=2, units=[world.unit_a])
    page = open_page(world.liaison_a, "/tasks/", width=390, height=844)
    # On a phone the table turns into cards: each cell carries its label.
    first = page.locator("table.sv-table tbody tr").first
    assert first.locator("td[data-label='问题']").is_visible()
    assert page.locator("table.sv-table thead").is_hidden()
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="All assignments").wait_for()
    page.get_by_role("button", name="中文").click()
    page.get_by_role("heading", name="全部任务").wait_for()
