"""分解 in the browser: the county liaison breaks a claimed task down into two townships through
the task page's form, adding the second row with the page's script (no round trip), and sees the
sub-tasks' panel; no script or style is refused by the Content-Security-Policy on the way."""

from __future__ import annotations

import pytest

from supervision.models import Assignment, AssignmentState
from tests.web_hand_down.scene import claimed_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_county_breaks_a_task_down_into_two_townships(hierarchy, people, open_page):
    w = hierarchy
    a = claimed_task(w)
    page = open_page(w.liaison_a, f"/tasks/{a.pk}/", language="en")
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    page.get_by_role("link", name="Break down to units below").click()
    form = page.locator("#break-down form")
    form.wait_for(state="visible")
    rows = form.locator("[data-part]")
    assert rows.count() == 1
    rows.nth(0).locator("select").select_option(label="甲县东镇人民政府")
    rows.nth(0).locator("textarea").fill("东镇：完成安置点排水沟整修")
    # The second row comes from the page's script: the page is not sent, what was typed stays.
    page.evaluate("window.svStillHere = true")
    form.get_by_role("button", name="+ Add another unit").click()
    assert rows.count() == 2
    assert page.evaluate("window.svStillHere") is True
    assert form.locator("input[name=part-TOTAL_FORMS]").input_value() == "2"
    # A row taken out again, and added anew, numbers the rows again.
    rows.nth(1).get_by_role("button", name="Remove").click()
    assert rows.count() == 1 and form.locator("input[name=part-TOTAL_FORMS]").input_value() == "1"
    assert rows.nth(0).get_by_role("button", name="Remove").is_hidden()  # the last row stays
    form.get_by_role("button", name="+ Add another unit").click()
    second = rows.nth(1)
    assert second.locator("select").get_attribute("name") == "part-1-unit"
    assert second.locator("input[type=date]").input_value() == a.deadline.isoformat()
    second.locator("select").select_option(label="甲县西乡人民政府")
    second.locator("textarea").fill("西乡：完成饮水设施验收")
    # Every unit below has a row now: no third.
    assert form.get_by_role("button", name="+ Add another unit").is_disabled()
    form.locator("textarea[name=comment]").fill("请两镇按期完成")
    form.get_by_role("button", name="Break down", exact=True).click()

    page.get_by_text("Broken down into 2 sub-tasks").wait_for()
    panel = page.locator("#sub-tasks")
    assert panel.locator("[data-sub-task]").count() == 2
    text = panel.inner_text()
    assert "东镇" in text and "西乡" in text and "0 of 2 sub-tasks written off." in text
    assert "东镇：完成安置点排水沟整修" in text
    subs = {s.unit_id: s for s in Assignment.objects.filter(parent=a)}
    assert subs[w.town_a2.pk].measures == "西乡：完成饮水设施验收"
    assert Assignment.objects.get(pk=a.pk).state == AssignmentState.IN_PROGRESS
    # From the panel to a township's task, which names the county's task above it.
    panel.locator(f'a[href="/tasks/{subs[w.town_a1.pk].pk}/"]').click()
    page.get_by_text(f"Broken down by 甲县 from task #{a.pk}").wait_for()
    assert refused == []
