"""The whole job in a browser, as the demo accounts would do it: a letter from draft to
write-off, with a rejection on the way, and a return that the office reassigns.

Screenshots of the main pages go to artifacts/browser/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import re

import pytest

from supervision.models import Assignment, Letter
from tests.browser.actions import clear, ok, press, shot

pytestmark = [pytest.mark.browser, pytest.mark.every_database, pytest.mark.django_db(transaction=True)]


def _open_item(page, live_server, path: str, text: str) -> None:
    page.goto(live_server.url + path)
    page.get_by_role("link", name=re.compile(text)).first.click()


def test_a_letter_from_draft_to_write_off(people, open_page, live_server, tmp_path):
    world = people
    accept = lambda dialog: dialog.accept()  # noqa: E731 - every confirmation is answered yes

    # The clerk drafts a supervision letter with three items for counties A and B.
    clerk = open_page(world.clerk, "/letters/new/")
    clerk.on("dialog", accept)
    clerk.select_option("select[name=kind]", "supervision")
    clerk.fill("input[name=title]", "关于加快推进反馈问题整改的督办函")
    clerk.fill("textarea[name=body]", "请各单位对照问题清单抓紧整改，按期报送整改进展。")
    clerk.select_option("select[name=addressees]", [str(world.unit_a.pk), str(world.unit_b.pk)])
    clear(clerk)
    clerk.get_by_role("button", name="保存草稿").click()
    ok(clerk, "草稿已保存")
    items = [
        ("甲县安置点配套设施不完善", str(world.unit_a.pk)),
        ("乙县产业帮扶项目进展缓慢", str(world.unit_b.pk)),
        ("两县监测对象信息采集不准确", ""),
    ]
    for description, lead in items:
        form = clerk.locator("form[action$='/do/add_item/']")
        form.locator("[name=description]").fill(description)
        form.locator("[name=measures]").fill("制定整改方案，限期完成")
        form.locator("[name=deadline]").fill("2026-12-31")
        form.locator("[name=lead]").select_option([lead] if lead else [])
        clear(clerk)
        form.get_by_role("button", name="添加事项").click()
        ok(clerk, "事项已添加")
        clerk.locator("table.sv-table").get_by_text(description).wait_for()
    assert clerk.locator("table.sv-table tbody tr").count() == 3
    shot(clerk, "01-letter-draft")
    letter = Letter.objects.get()

    # The director signs (not the drafter), the clerk issues.
    director = open_page(world.director, f"/letters/{letter.pk}/")
    director.on("dialog", accept)
    clear(director)
    director.get_by_role("button", name="签发").click()
    ok(director, "已签发")
    clerk.reload()
    clear(clerk)
    clerk.get_by_role("button", name="印发").click()
    ok(clerk, "已印发至各单位")
    letter = Letter.objects.get()
    clerk.get_by_role("heading", name=re.compile(re.escape(letter.number))).wait_for()
    assert Assignment.objects.filter(letter=letter).count() == 4

    # County A's liaison claims the first item, starts and reports it complete with a file.
    liaison_a = open_page(world.liaison_a, "/tasks/?queue=unclaimed")
    liaison_a.on("dialog", accept)
    shot(liaison_a, "02-unit-queue")
    liaison_a.get_by_role("link", name=re.compile("甲县安置点")).click()
    press(liaison_a, "签收", person="张科长")
    ok(liaison_a, "已签收")
    press(liaison_a, "开始整改")
    ok(liaison_a, "已开始整改")
    proof = tmp_path / "验收记录.pdf"
    proof.write_bytes(b"%PDF-1.4 acceptance record")
    form = liaison_a.locator("form.sv-action", has=liaison_a.get_by_role("button", name="报送整改完成"))
    form.locator("[name=text]").fill("配套设施已全部建成并投入使用")
    form.locator("input[type=file]").set_input_files(str(proof))
    clear(liaison_a)
    form.get_by_role("button", name="报送整改完成").click()
    ok(liaison_a, "完成报告已送本单位负责人审签")
    task_url = liaison_a.url

    # Its leader signs off; the inspector rejects once with a reason.
    leader_a = open_page(world.leader_a, "/tasks/?queue=unit_signoff")
    leader_a.get_by_role("link", name=re.compile("甲县安置点")).click()
    press(leader_a, "审签完成报告", comment="同意")
    ok(leader_a, "已审签")
    inspector = open_page(world.inspector, "/tasks/?queue=to_verify")
    inspector.get_by_role("link", name=re.compile("甲县安置点")).click()
    inspector.get_by_role("link", name="验收记录.pdf").wait_for()
    shot(inspector, "03-verification")
    press(inspector, "核验不通过", reason="缺少竣工验收单")
    ok(inspector, "核验不通过")

    # The liaison sees why, reports again; the leader signs; the inspector verifies.
    liaison_a.goto(task_url)
    liaison_a.get_by_text("缺少竣工验收单").first.wait_for()
    press(liaison_a, "报送整改完成", text="已补充竣工验收单")
    ok(liaison_a, "完成报告已送本单位负责人审签")
    leader_a.goto(task_url)
    press(leader_a, "审签完成报告")
    ok(leader_a, "已审签")
    inspector.goto(task_url)
    press(inspector, "核验通过", comment="资料齐全")
    ok(inspector, "已核验通过")

    # The director writes it off (with a confirmation).
    director.goto(live_server.url + "/tasks/?queue=to_close")
    director.get_by_role("link", name=re.compile("甲县安置点")).click()
    press(director, "销号", comment="同意销号")
    ok(director, "已销号")
    shot(director, "04-written-off")
    done = Assignment.objects.get(letter=letter, unit=world.unit_a, item__seq=1)
    assert (done.state, done.rejection_count) == ("closed", 1)

    # Meanwhile county B returns its item; its leader signs; the clerk reassigns it to C.
    liaison_b = open_page(world.liaison_b, "/tasks/?queue=unclaimed")
    liaison_b.get_by_role("link", name=re.compile("乙县产业帮扶")).click()
    press(liaison_b, "退回办公室", reason="该项目由市农业农村局负责实施")
    ok(liaison_b, "退回申请已送本单位负责人审签")
    leader_b = open_page(world.leader_b, "/tasks/?queue=unit_signoff")
    leader_b.get_by_role("link", name=re.compile("乙县产业帮扶")).click()
    press(leader_b, "同意退回（审签）")
    ok(leader_b, "已同意退回")
    clerk.goto(live_server.url + "/tasks/?queue=returned")
    clerk.get_by_role("link", name=re.compile("乙县产业帮扶")).click()
    form = clerk.locator("form.sv-action", has=clerk.get_by_role("button", name="改派其他单位"))
    form.locator("select[name=unit]").select_option(str(world.unit_c.pk))
    clear(clerk)
    form.get_by_role("button", name="改派其他单位").click()
    ok(clerk, "已改派")
    liaison_c = open_page(world.liaison_c, "/tasks/?queue=unclaimed")
    liaison_c.get_by_role("link", name=re.compile("乙县产业帮扶")).click()
    press(liaison_c, "签收")
    ok(liaison_c, "已签收")
    moved = Assignment.objects.get(letter=letter, unit=world.unit_c)
    assert (moved.state, moved.claimed_by_id) == ("accepted", world.liaison_c.pk)
    shot(clerk, "05-reassigned")
