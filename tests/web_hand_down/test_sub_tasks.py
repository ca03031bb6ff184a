"""The sub-tasks on the pages: a sub-task's page names the task above it; the parent's panel lists
its sub-tasks with their states, lights, latest reports and evidence, in the same number of
queries for 3 as for 50; the county acts on them as the office acts on its own tasks; once all
are written off, the county reports its completion with theirs in one click."""

from __future__ import annotations

from django.urls import reverse

from supervision.models import Assignment, AssignmentState, Evidence, ProgressReport
from tests.helpers import signed_in, snapshot
from tests.web_hand_down.scene import (
    broken_down,
    claimed_task,
    township_done,
    townships,
    written_off_by_county,
)


def _page(client, a):
    return client.get(reverse("tasks:detail", args=[a.pk]))


def _keys(page) -> set[str]:
    return {b.key for b in page.context["actions"]}


def test_a_sub_task_names_the_task_above_and_shows_its_own_measures(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    sub = broken_down(w, a, [w.town_a1])[0]
    page = _page(signed_in(client, w.liaison_town_a1), sub)
    html = page.content.decode()
    assert f"Broken down by 甲县 from task #{a.pk}" in html
    # The township does not see the county's task: no link to it.
    assert page.context["tree"].parent_linked is False
    assert f'href="/tasks/{a.pk}/"' not in html
    assert "东镇负责整改" in html  # its own measures first, the item's below
    assert "The item's measures" in html
    # The county opening its township's sub-task goes up with a link.
    county = _page(signed_in(client, w.liaison_a), sub)
    assert county.context["tree"].parent_linked is True
    assert f'href="/tasks/{a.pk}/"' in county.content.decode()


def test_siblings_and_other_counties_do_not_see_a_sub_task(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    sub_1, sub_2 = broken_down(w, a, [w.town_a1, w.town_a2])
    assert _page(signed_in(client, w.liaison_town_a2), sub_1).status_code == 404
    assert _page(signed_in(client, w.liaison_town_a1), sub_2).status_code == 404
    for who in (w.liaison_b, w.liaison_town_b1, w.outsider):
        assert _page(signed_in(client, who), sub_1).status_code == 404, who
    # The office sees the whole tree under its letter, and acts on none of the sub-tasks.
    office = _page(signed_in(client, w.director), sub_1)
    assert office.status_code == 200 and not _keys(office)


def test_the_panel_lists_each_sub_task_with_its_latest_report_and_evidence(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    sub_1, _sub_2 = broken_down(w, a, [w.town_a1, w.town_a2])
    township_done(w, sub_1, liaison=w.liaison_town_a1, leader=w.leader_town_a1, text="东镇已完成\n详见附件", file=True)
    for who in (w.liaison_a, w.leader_a, w.clerk):
        page = _page(signed_in(client, who), a)
        rows = {r.unit_name: r for r in page.context["sub_tasks"]}
        assert rows["东镇"].state == AssignmentState.AWAITING_VERIFICATION
        assert rows["东镇"].evidence_count == 1 and rows["西乡"].evidence_count == 0
        html = page.content.decode()
        assert "Sub-tasks" in html and "0 of 2 sub-tasks written off." in html
        # The latest report's date and first line only.
        assert "东镇已完成" in html and "详见附件" not in html
        assert f'href="/tasks/{sub_1.pk}/"' in html


def test_the_county_verifies_and_writes_off_its_township_s_work_from_the_sub_task_page(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    sub = broken_down(w, a, [w.town_a1])[0]
    township_done(w, sub, liaison=w.liaison_town_a1, leader=w.leader_town_a1, text="东镇已完成")
    # The office does not verify a sub-task: the county does.
    assert not _keys(_page(signed_in(client, w.inspector), sub))
    county = signed_in(client, w.liaison_a)
    page = _page(county, sub)
    labels = {b.key: str(b.label) for b in page.context["actions"]}
    assert {"verify", "reject"} <= set(labels) and labels["verify"] == "Verify"
    county.post(reverse("tasks:act", args=[sub.pk, "verify"]), {"comment": "核验属实"})
    leader = signed_in(client, w.leader_a)
    page = _page(leader, sub)
    assert "close" in _keys(page)
    assert {b.key: str(b.label) for b in page.context["actions"]}["close"] == "Write off"
    response = leader.post(reverse("tasks:act", args=[sub.pk, "close"]), {"comment": "同意销号"}, follow=True)
    assert Assignment.objects.get(pk=sub.pk).state == AssignmentState.CLOSED, response.context["messages"]


def test_the_township_returns_to_the_unit_above_not_to_the_office(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    sub = broken_down(w, a, [w.town_a1])[0]
    c = signed_in(client, w.liaison_town_a1)
    c.post(reverse("tasks:act", args=[sub.pk, "claim"]))
    labels = {b.key: str(b.label) for b in _page(c, sub).context["actions"]}
    assert labels["request_return"] == "Return to the unit above"


def test_roll_up_once_every_sub_task_is_written_off(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    subs = broken_down(w, a, [w.town_a1, w.town_a2])
    for sub, liaison, leader, text in (
        (subs[0], w.liaison_town_a1, w.leader_town_a1, "东镇已完成"),
        (subs[1], w.liaison_town_a2, w.leader_town_a2, "西乡已完成"),
    ):
        township_done(w, sub, liaison=liaison, leader=leader, text=text, file=True)
    county = signed_in(client, w.liaison_a)
    # One township still open: no prompt, and no plain completion either.
    written_off_by_county(w, subs[0])
    page = _page(county, a)
    assert not page.context["roll_up_ready"] and "submit_completion" not in _keys(page)
    written_off_by_county(w, subs[1])
    page = _page(county, a)
    assert page.context["roll_up_ready"] and "roll_up" in _keys(page)
    html = page.content.decode()
    assert "Every sub-task is written off: submit the completion report (with the sub-tasks' reports)" in html
    assert f'action="/tasks/{a.pk}/do/roll_up/"' in html and "data-confirm" in html
    # The leader reads that the liaison is to submit it; the button is the liaison's.
    leader_page = _page(signed_in(client, w.leader_a), a)
    assert leader_page.context["roll_up_ready"] and "roll_up_form" not in leader_page.context
    assert "the liaison who claimed this task submits" in leader_page.content.decode()
    before = snapshot()
    assert signed_in(client, w.leader_a).post(reverse("tasks:roll_up", args=[a.pk])).status_code == 302
    assert snapshot() == before
    response = signed_in(client, w.liaison_a).post(reverse("tasks:roll_up", args=[a.pk]), {"text": "本县已全部完成"})
    assert response.status_code == 302
    assert Assignment.objects.get(pk=a.pk).state == AssignmentState.COMPLETION_REQUESTED
    report = ProgressReport.objects.filter(assignment=a).latest("created_at")
    assert "本县已全部完成" in report.text and "东镇已完成" in report.text and "西乡已完成" in report.text
    assert Evidence.objects.filter(report=report, copied_from__isnull=False).count() == 2
    # Still signed off by the county's leader.
    assert "approve_completion" in _keys(_page(signed_in(client, w.leader_a), a))


def test_the_task_page_reads_as_many_queries_for_50_sub_tasks_as_for_3(client, hierarchy, django_assert_num_queries):
    w = hierarchy
    below = townships(w, 50)
    few = claimed_task(w)
    broken_down(w, few, below[:3])
    many = claimed_task(w)
    broken_down(w, many, below)
    c = signed_in(client, w.liaison_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _page(c, few)  # sessions, caches
    with CaptureQueriesContext(connection) as small:
        assert len(_page(c, few).context["sub_tasks"]) == 3
    with django_assert_num_queries(len(small)):
        assert len(_page(c, many).context["sub_tasks"]) == 50
