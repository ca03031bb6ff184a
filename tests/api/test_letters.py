"""A letter from draft to issue through the API, as on the letter pages: a clerk drafts it, changes
it and adds items, sends it to a director (送签), who signs it (签发); the clerk issues it (印发) and
the units get their tasks. Each step by anyone else is refused as the page refuses it."""

from __future__ import annotations

import datetime as dt

from supervision import clock
from supervision.models import Assignment, AuditEvent, Letter
from tests.helpers import snapshot


def test_a_letter_from_draft_to_issue(world, api):
    clerk, director = api("clerk"), api("director")
    r = clerk.post(
        "/api/letters/",
        {"kind": "supervision", "title": "关于推进整改的督办函", "addressees": [world.unit_a.pk, world.unit_b.pk]},
    )
    assert r.status_code == 201, r.json()
    letter = r.json()
    assert r["Location"].endswith(f"/api/letters/{letter['id']}/")
    assert (letter["state"], letter["number"], letter["drafter"]["id"]) == ("draft", None, world.clerk.pk)
    assert {a["key"] for a in letter["actions"]} == {"send"}
    url = f"/api/letters/{letter['id']}/"

    deadline = (clock.today() + dt.timedelta(days=30)).isoformat()
    r = clerk.patch(url, {"body": "请按时整改。", "deadline": deadline})
    assert r.status_code == 200 and r.json()["body"] == "请按时整改。" and r.json()["deadline"] == deadline
    assert r.json()["title"] == "关于推进整改的督办函"  # left out: kept
    r = clerk.patch(url, {"deadline": None})
    assert r.json()["deadline"] is None

    item = {"description": "安置点配套设施不完善", "deadline": deadline, "lead_unit": world.unit_a.pk}
    r = clerk.post(url + "items/", {**item, "cooperating_units": [world.unit_b.pk]})
    assert r.status_code == 201, r.json()
    assert {(u["unit"]["id"], u["role"]) for u in r.json()["units"]} == {
        (world.unit_a.pk, "lead"),
        (world.unit_b.pk, "cooperating"),
    }
    assert clerk.post(url + "items/", {"description": "第二项", "deadline": deadline}).status_code == 201
    assert [i["seq"] for i in clerk.get(url + "items/").json()["results"]] == [1, 2]

    r = clerk.post(url + "send/", {"director": world.director.pk})
    assert r.status_code == 200 and r.json()["letter"]["state"] == "pending_signature"
    assert {a["key"] for a in director.get(url).json()["actions"]} == {"sign", "return"}
    r = director.post(url + "sign/", {"comment": "同意印发"})
    assert r.status_code == 200, r.json()
    assert r.json()["done"] == "Signed. The letter can now be issued."
    r = clerk.post(url + "issue/")
    assert r.status_code == 200, r.json()
    issued = r.json()["letter"]
    assert issued["state"] == "issued" and issued["number"]
    # The first item: A leads, B cooperates; the second names nobody, so A and B each lead it.
    assert Assignment.objects.filter(letter_id=letter["id"]).count() == 4
    actions = list(AuditEvent.objects.filter(letter_id=letter["id"]).values_list("action", flat=True))
    assert actions[:1] == ["letter.drafted"] and {"letter.sent", "letter.signed", "letter.issued"} <= set(actions)
    # Unit A reads it now, with its own task.
    mine = api("liaison_a").get("/api/assignments/", {"letter": letter["id"]}).json()["results"]
    assert {row["unit"]["id"] for row in mine} == {world.unit_a.pk}


def test_drafting_is_refused_to_anyone_but_a_clerk_and_to_bad_input(world, api):
    clients = {who: api(who) for who in ("director", "inspector", "liaison_a", "outsider", "clerk")}
    before = snapshot()
    for who in ("director", "inspector", "liaison_a", "outsider"):
        r = clients[who].post("/api/letters/", {"kind": "supervision", "title": "t"})
        assert r.status_code == 403, (who, r.json())
        assert r.json()["code"] == "not_allowed"
    clerk = clients["clerk"]
    r = clerk.post("/api/letters/", {"kind": "memo", "title": ""})
    assert r.status_code == 400 and set(r.json()["fields"]) == {"kind"}
    r = clerk.post("/api/letters/", {"kind": "supervision", "title": "  "})
    assert r.status_code == 400 and r.json()["fields"] == {"title": ["Title is required."]}
    r = clerk.post("/api/letters/", {"kind": "supervision", "title": "t", "addressees": [world.office.pk]})
    assert r.status_code == 400 and set(r.json()["fields"]) == {"addressees"}
    assert snapshot() == before


def test_a_director_does_not_sign_what_they_drafted_and_nobody_edits_an_issued_letter(world, letter, api):
    clerk, liaison = api("clerk"), api("liaison_a")
    before = snapshot()
    r = clerk.patch(f"/api/letters/{letter.pk}/", {"title": "改标题"})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    r = clerk.post(f"/api/letters/{letter.pk}/items/", {"description": "新增", "deadline": "2030-01-01"})
    assert r.status_code == 409
    assert liaison.post(f"/api/letters/{letter.pk}/withdraw/", {"reason": "x"}).status_code == 403
    assert snapshot() == before
    assert Letter.objects.get(pk=letter.pk).title != "改标题"
