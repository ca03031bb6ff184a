"""分解, 转办 and the roll-up through the API: one POST per step as the step table generates them,
the task's place in the tree on its detail (parent, depth, how it was handed down, its measures,
its sub-tasks, the steps allowed), the level and parent filters of the task list, and refusals as
the JSON errors of every endpoint, having changed nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision import services
from supervision.models import Assignment, AssignmentState, Evidence, ProgressReport
from tests.helpers import snapshot
from tests.web_hand_down.scene import broken_down, claimed_task, township_done, written_off_by_county


def _parts(*rows) -> dict:
    return {"parts": [{"unit": u.pk, "measures": m, "deadline": d.isoformat()} for u, m, d in rows]}


@pytest.fixture
def task(hierarchy) -> Assignment:
    return claimed_task(hierarchy)


def test_the_claimer_breaks_a_task_down_through_the_api(hierarchy, api, task):
    w = hierarchy
    liaison = api("liaison_a")
    shown = liaison.get(f"/api/assignments/{task.pk}/").json()
    offered = {x["key"]: x for x in shown["actions"]}
    assert {"break_down", "forward"} <= set(offered)
    assert offered["break_down"]["needs"] == "parts" and offered["break_down"]["url"].endswith(
        f"/api/assignments/{task.pk}/break_down/"
    )
    early = task.deadline - dt.timedelta(days=7)
    r = liaison.post(
        f"/api/assignments/{task.pk}/break_down/",
        {**_parts((w.town_a1, "东镇：排查", task.deadline), (w.town_a2, "西乡：整改", early)), "comment": "按期完成"},
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["done"] == "Broken down: each unit below has its sub-task and has been told."
    parent = body["assignment"]
    assert parent["state"] == AssignmentState.IN_PROGRESS and parent["depth"] == 0 and parent["parent"] is None
    rows = {s["unit"]["name"]: s for s in parent["sub_tasks"]}
    assert set(rows) == {"东镇", "西乡"}
    assert rows["西乡"]["deadline"] == early.isoformat() and rows["西乡"]["measures"] == "西乡：整改"
    assert rows["东镇"]["state"] == "issued" and rows["东镇"]["latest_report"] is None
    # The sub-task as its township reads it: where it came from, its own measures.
    sub = api("liaison_town_a1").get(f"/api/assignments/{rows['东镇']['id']}/").json()
    assert sub["parent"] == {"id": task.pk, "unit": {"id": w.unit_a.pk, "name": w.unit_a.name, "short_name": "甲县"}}
    assert (sub["depth"], sub["handed_down_as"], sub["measures"]) == (1, "breakdown", "东镇：排查")
    assert "claim" in {x["key"] for x in sub["actions"]}


def test_forward_the_whole_task_with_the_default_deadline(hierarchy, api, task):
    w = hierarchy
    r = api("liaison_a").post(f"/api/assignments/{task.pk}/forward/", {"unit": w.town_a2.pk, "comment": "转办西乡"})
    assert r.status_code == 200, r.json()
    (row,) = r.json()["assignment"]["sub_tasks"]
    assert (row["unit"]["id"], row["deadline"], row["measures"], row["handed_down_as"]) == (
        w.town_a2.pk,
        task.deadline.isoformat(),
        "",
        "forward",
    )
    sub = api("liaison_town_a2").get(f"/api/assignments/{row['id']}/").json()
    assert sub["measures"] == "完善配套设施"  # the item's: forwarded whole


def test_bad_input_is_a_400_naming_the_field_and_nothing_changes(hierarchy, api, task):
    w = hierarchy
    liaison = api("liaison_a")
    url = f"/api/assignments/{task.pk}/break_down/"
    late = task.deadline + dt.timedelta(days=3)
    cases = [
        ({}, "parts"),
        ({"parts": []}, "parts"),
        ({"parts": [{"unit": w.town_a1.pk, "measures": "x"}]}, "parts"),  # no deadline
        ({"parts": [{"unit": "东镇", "measures": "x", "deadline": task.deadline.isoformat()}]}, "parts"),
        (_parts((w.town_a1, "", task.deadline)), "parts"),  # the service: measures required
        (_parts((w.town_a1, "东镇", late)), "parts"),  # after the task's deadline
        (_parts((w.town_b1, "乙县的镇", task.deadline)), "parts"),  # not below 甲县
        (_parts((w.town_a1, "一", task.deadline), (w.town_a1, "二", task.deadline)), "parts"),
    ]
    for body, field in cases:
        before = snapshot()
        r = liaison.post(url, body)
        assert r.status_code == 400, (body, r.json())
        error = r.json()
        assert set(error) >= {"code", "message", "fields"} and field in error["fields"], error
        assert snapshot() == before, body
    r = liaison.post(url, _parts((w.town_a1, "东镇", late)))
    assert "after this task's own deadline" in r.json()["message"]
    r = liaison.post(f"/api/assignments/{task.pk}/forward/", {"unit": w.village_a1.pk})
    assert r.status_code == 400 and "not directly below" in r.json()["message"]


def test_errors_are_in_the_caller_s_language(hierarchy, api, task):
    w = hierarchy
    url = f"/api/assignments/{task.pk}/break_down/"
    english = api("liaison_a").post(url, {"parts": [{"unit": w.town_a1.pk, "measures": "x"}]}).json()
    chinese = api("liaison_a", language="zh-hans").post(url, {"parts": [{"unit": w.town_a1.pk, "measures": "x"}]})
    assert chinese.status_code == 400 and chinese.json()["code"] == english["code"] == "invalid"
    assert chinese.json()["message"] != english["message"]
    assert chinese.json()["fields"]["parts"] != english["fields"]["parts"]


@pytest.mark.parametrize("step", ["break_down", "forward"])
def test_the_role_matrix_of_handing_down(hierarchy, api, task, step):
    """Only the liaison who claimed the task hands it down. Its leader and the office see it and
    are refused (403); the townships below, the other county and the outsider do not see it (404)."""
    w = hierarchy
    body = _parts((w.town_a1, "东镇", task.deadline)) if step == "break_down" else {"unit": w.town_a1.pk}
    url = f"/api/assignments/{task.pk}/{step}/"
    for who, expected in (
        ("leader_a", 403),
        ("clerk", 403),
        ("inspector", 403),
        ("director", 403),
        ("observer", 403),
        ("liaison_town_a1", 404),
        ("liaison_b", 404),
        ("outsider", 404),
    ):
        client = api(who)
        before = snapshot()
        r = client.post(url, body)
        assert r.status_code == expected, (who, r.json())
        assert r["Content-Type"] == "application/json" and snapshot() == before, who
        if expected == 403:
            shown = client.get(f"/api/assignments/{task.pk}/").json()
            assert step not in {x["key"] for x in shown["actions"]}, who
    # A read token never writes, whoever holds it.
    r = api("liaison_a", scope="read").post(url, body)
    assert r.status_code == 403
    assert api("liaison_a").post(url, body).status_code == 200


def test_a_task_not_claimed_or_already_done_is_not_handed_down(hierarchy, api, task):
    w = hierarchy
    services.assignment_unclaim(actor=w.liaison_a, assignment=task.pk)
    liaison = api("liaison_a")
    before = snapshot()
    r = liaison.post(f"/api/assignments/{task.pk}/forward/", {"unit": w.town_a1.pk})
    assert r.status_code in (403, 409) and snapshot() == before


def test_roll_up_through_the_api(hierarchy, api, task):
    w = hierarchy
    subs = broken_down(w, task, [w.town_a1, w.town_a2])
    liaison = api("liaison_a")
    # Not before every sub-task is written off.
    before = snapshot()
    r = liaison.post(f"/api/assignments/{task.pk}/roll_up/", {"text": "本县完成"})
    assert r.status_code == 409 and snapshot() == before
    for sub, who in ((subs[0], "town_a1"), (subs[1], "town_a2")):
        liaison_below, leader_below = getattr(w, f"liaison_{who}"), getattr(w, f"leader_{who}")
        township_done(w, sub, liaison=liaison_below, leader=leader_below, text=f"{who}完成", file=True)
        written_off_by_county(w, sub)
    shown = liaison.get(f"/api/assignments/{task.pk}/").json()
    assert shown["roll_up_ready"] is True and "roll_up" in {x["key"] for x in shown["actions"]}
    rows = shown["sub_tasks"]
    assert {r["state"] for r in rows} == {"closed"} and all(r["evidence_count"] == 1 for r in rows)
    assert all(r["latest_report"]["kind"] == "completion" for r in rows)
    r = liaison.post(f"/api/assignments/{task.pk}/roll_up/", {"text": "本县完成"})
    assert r.status_code == 200, r.json()
    assert r.json()["assignment"]["state"] == AssignmentState.COMPLETION_REQUESTED
    report = ProgressReport.objects.filter(assignment=task).latest("created_at")
    assert report.text.startswith("本县完成") and "town_a1完成" in report.text
    assert Evidence.objects.filter(report=report).count() == 2
    # The leader signs it off, as any completion.
    leader = {x["key"] for x in api("leader_a").get(f"/api/assignments/{task.pk}/").json()["actions"]}
    assert "approve_completion" in leader


def test_the_task_list_filters_by_level_and_parent(hierarchy, api, task):
    w = hierarchy
    subs = broken_down(w, task, [w.town_a1, w.town_a2])
    office = api("clerk")

    def ids(**query) -> set[int]:
        r = office.get("/api/assignments/", query)
        assert r.status_code == 200, r.json()
        return {row["id"] for row in r.json()["results"]}

    sub_ids = {s.pk for s in subs}
    assert ids(level="sub") == sub_ids
    assert task.pk in ids(level="direct") and not ids(level="direct") & sub_ids
    assert ids(parent=task.pk) == sub_ids
    row = next(r for r in office.get("/api/assignments/", {"level": "sub"}).json()["results"])
    assert row["parent"]["id"] == task.pk and row["parent"]["unit"]["short_name"] == "甲县"
    assert office.get("/api/assignments/", {"level": "sideways"}).status_code == 400
    # The county's own queue of what it handed down; a township's parent filter opens nothing.
    county = api("liaison_a").get("/api/assignments/", {"queue": "handed_down"}).json()
    assert {r["id"] for r in county["results"]} == sub_ids
    town = api("liaison_town_a1").get("/api/assignments/", {"parent": task.pk}).json()
    assert {r["id"] for r in town["results"]} == {subs[0].pk}


def test_the_task_detail_reads_the_same_queries_for_3_and_30_sub_tasks(hierarchy, api, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.web_hand_down.scene import townships

    w = hierarchy
    below = townships(w, 30)
    few, many = claimed_task(w), claimed_task(w)
    broken_down(w, few, below[:3])
    broken_down(w, many, below)
    liaison = api("liaison_a")
    liaison.get(f"/api/assignments/{few.pk}/")
    with CaptureQueriesContext(connection) as small:
        assert len(liaison.get(f"/api/assignments/{few.pk}/").json()["sub_tasks"]) == 3
    with django_assert_num_queries(len(small)):
        assert len(liaison.get(f"/api/assignments/{many.pk}/").json()["sub_tasks"]) == 30
