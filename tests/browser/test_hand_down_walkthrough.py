"""Handing a task down and rolling it back up, in a browser, as the people of a county and two of
its townships would do it (the issue's "done when", on a small scene of its own): the county's
liaison claims the office's task and breaks it down to two townships; each township's liaison
claims its part and reports completion with a file, its leader signs; the county's liaison
verifies both and its leader writes them off; the county's liaison submits its own completion
with their reports, its leader signs; the office's inspector verifies and the director writes
it off.

Pages in English: the assertions read the source strings, whatever the catalog holds. Screenshots
go to artifacts/browser/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from supervision.models import Assignment, AssignmentState, Evidence, LetterState

# The SQLite pass only (90 s of pages): the same loop runs on PostgreSQL through the services
# (tests/test_hand_down_loop.py, tests/hand_down) and the web client (tests/offices/test_city_office_flow.py),
# and the row locks it depends on are raced there (tests/hand_down/test_races.py).
from tests.browser.actions import clear, ok, press, shot
from tests.factories import build_hierarchy, issue_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEM = "问题描述1：安置点配套设施不完善"  # what issue_letter writes for its first item
S = AssignmentState


@pytest.fixture
def scene(world):
    """The world with townships below its counties, everyone with a password to log in with, and
    a one-item letter issued to 甲县 alone."""
    w = build_hierarchy(world)
    users = get_user_model().objects.all()
    for u in users:
        u.set_password("pw-browser-1")
    get_user_model().objects.bulk_update(users, ["password"])
    w.letter = issue_letter(w, items=1, units=[w.unit_a])
    w.task = Assignment.objects.get(letter=w.letter)
    return w


def test_a_county_breaks_a_task_down_rolls_it_up_and_the_office_writes_it_off(scene, open_page, live_server, tmp_path):
    w = scene
    accept = lambda dialog: dialog.accept()  # noqa: E731 - every confirmation is answered yes
    task_url = f"/tasks/{w.task.pk}/"
    part_deadline = (w.task.deadline.replace(day=1)).isoformat()

    # 甲县's liaison claims the office's task and breaks it down to its two townships.
    county = open_page(w.liaison_a, task_url, language="en")
    county.on("dialog", accept)
    press(county, "Claim", person="县乡村振兴局张股长")
    ok(county, "Claimed.")
    county.locator("#break-down summary").click()
    county.select_option("[name=part-0-unit]", str(w.town_a1.pk))
    county.fill("[name=part-0-measures]", "负责东镇12个行政村的配套设施整改，逐村建立台账")
    county.fill("[name=part-0-deadline]", part_deadline)
    county.get_by_role("button", name="+ Add another unit").click()
    county.select_option("[name=part-1-unit]", str(w.town_a2.pk))
    county.fill("[name=part-1-measures]", "负责西乡9个行政村的配套设施整改，逐村建立台账")
    county.fill("[name=part-1-deadline]", part_deadline)
    county.fill("#break-down-comment", "按属地分解，县乡村振兴局统筹调度")
    clear(county)
    county.locator("#break-down").get_by_role("button", name="Break down", exact=True).click()
    ok(county, "Broken down into 2 sub-tasks")
    panel = county.locator("#sub-tasks")
    assert panel.locator("tr[data-sub-task]").count() == 2
    assert "东镇" in panel.inner_text() and "西乡" in panel.inner_text()
    shot(county, "hand-down-01-broken-down")
    subs = {s.unit_id: s for s in Assignment.objects.filter(parent=w.task)}
    assert set(subs) == {w.town_a1.pk, w.town_a2.pk}

    # Each township's liaison claims its part in its queue, reports progress and completion with a
    # file each;
    # its leader signs, and the report goes to 甲县, not to the office.
    towns = (
        (w.town_a1, w.liaison_town_a1, w.leader_town_a1),
        (w.town_a2, w.liaison_town_a2, w.leader_town_a2),
    )
    for town, liaison, leader in towns:
        page = open_page(liaison, "/tasks/?queue=unclaimed", language="en")
        page.on("dialog", accept)
        page.get_by_role("link", name=ITEM).first.click()
        page.get_by_text(f"负责{town.short_name}").first.wait_for()  # its own measures
        press(page, "Claim", person=f"{town.short_name}副镇长")
        ok(page, "Claimed.")
        for button, text, name in (
            ("Report progress", "已完成入户摸排，正在逐村整改", "摸排台账"),
            ("Report completion", f"{town.short_name}各村配套设施已全部整改到位", "验收记录"),
        ):
            proof = tmp_path / f"{town.short_name}{name}.pdf"
            proof.write_bytes(b"%PDF-1.4 " + town.name.encode() + name.encode())
            form = page.locator("form.sv-action", has=page.get_by_role("button", name=button, exact=True))
            form.locator("[name=text]").fill(text)
            form.locator("input[type=file]").set_input_files(str(proof))
            clear(page)
            form.get_by_role("button", name=button, exact=True).click()
            if button == "Report progress":
                ok(page, "Progress reported.")
        ok(page, "Completion report sent to your unit leader for signature.")
        signer = open_page(leader, "/tasks/?queue=unit_signoff", language="en")
        signer.get_by_role("link", name=ITEM).first.click()
        press(signer, "Sign the completion report", comment="同意")
        ok(signer, "Signed and sent to the unit above for verification.")
    assert all(s.state == S.AWAITING_VERIFICATION for s in Assignment.objects.filter(parent=w.task))

    # 甲县's liaison sees both in its verification queue and verifies them; its leader writes them off.
    county.goto(live_server.url + "/tasks/?queue=sub_to_verify")
    assert county.get_by_role("link", name=ITEM).count() == 2
    shot(county, "hand-down-02-county-to-verify")
    leader_a = open_page(w.leader_a, task_url, language="en")
    leader_a.on("dialog", accept)
    for town, _liaison, _leader in towns:
        sub_url = f"/tasks/{subs[town.pk].pk}/"
        county.goto(live_server.url + sub_url)
        county.get_by_role("link", name=f"{town.short_name}验收记录.pdf").wait_for()
        press(county, "Verify", comment="抽查到位")
        ok(county, "Verified.")
        leader_a.goto(live_server.url + sub_url)
        press(leader_a, "Write off", comment="同意销号")
        ok(leader_a, "Written off.")
    assert all(s.state == S.CLOSED for s in Assignment.objects.filter(parent=w.task))

    # Every part written off: the liaison is prompted to submit 甲县's completion with their reports.
    county.goto(live_server.url + task_url)
    roll_up = county.locator("form.sv-roll-up")
    roll_up.locator("[name=text]").fill("两乡镇均已整改到位，经县里逐一核验销号")
    clear(county)
    roll_up.get_by_role("button", name="Submit completion with the sub-tasks' reports").click()
    ok(county, "Completion report with the sub-tasks' reports sent to your unit leader for signature.")
    shot(county, "hand-down-03-rolled-up")
    leader_a.goto(live_server.url + task_url)
    press(leader_a, "Sign the completion report", comment="同意，报市里核验")
    ok(leader_a, "Signed and sent to the office for verification.")

    # The office's inspector finds it in the queue with the townships' files, and verifies it;
    # the director writes it off.
    inspector = open_page(w.inspector, "/tasks/?queue=to_verify", language="en")
    inspector.get_by_role("link", name=ITEM).first.click()
    for town, _liaison, _leader in towns:
        inspector.get_by_role("link", name=f"{town.short_name}验收记录.pdf").first.wait_for()
    assert inspector.locator("#sub-tasks tr[data-sub-task]").count() == 2  # the office sees the tree
    shot(inspector, "hand-down-04-office-verifies")
    press(inspector, "Verify", comment="核验到位")
    ok(inspector, "Verified.")
    director = open_page(w.director, task_url, language="en")
    director.on("dialog", accept)
    press(director, "Write off", comment="同意销号")
    ok(director, "Written off.")

    task = Assignment.objects.get(pk=w.task.pk)
    assert task.state == S.CLOSED
    assert task.letter.state == LetterState.CLOSED
    rolled = Evidence.objects.filter(report__assignment=task)
    # 甲县's completion carries the townships' four files as theirs (the same stored files).
    assert rolled.count() == 4 and not rolled.filter(copied_from=None).exists()
