"""Unit isolation through the API, as on the pages: the outsider sees nothing anywhere; unit B sees
none of unit A's tasks, reports or evidence and cannot act on them (404, never 403, so nothing
leaks); a unit sees its own ranking rows only; the office sees everything its letters reach."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision import services
from supervision.models import Assignment, Cycle, OutboxEvent, ProgressReport
from supervision.selectors import visibility
from supervision.selectors.rankings import results_visible_to
from tests.helpers import snapshot

LISTS = ("/api/units/", "/api/letters/", "/api/items/", "/api/assignments/", "/api/notices/", "/api/events/")


def _ids(client, url: str, **params) -> set:
    r = client.get(url, params)
    assert r.status_code == 200, (url, r.content)
    return {row["id"] for row in r.json()["results"]}


@pytest.fixture
def reported(world, letter):
    """Unit A's first task claimed and reported on with a file; B's untouched."""
    a = Assignment.objects.filter(letter=letter, unit=world.unit_a).order_by("pk").first()
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    pdf = SimpleUploadedFile("照片.pdf", b"%PDF-1.4 a", "application/pdf")
    services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="进展", files=[pdf])
    return a


def test_the_outsider_sees_nothing(world, reported, api):
    outsider = api("outsider")
    for url in LISTS:
        assert _ids(outsider, url) == set(), url
    assert _ids(outsider, "/api/cycles/") == set()
    for url in (
        f"/api/assignments/{reported.pk}/",
        f"/api/assignments/{reported.pk}/reports/",
        f"/api/letters/{reported.letter_id}/",
        f"/api/letters/{reported.letter_id}/items/",
        f"/api/items/{reported.item_id}/",
        f"/api/units/{world.unit_a.pk}/",
    ):
        assert outsider.get(url).status_code == 404, url


def test_unit_b_neither_sees_nor_acts_on_unit_a_s_work(world, reported, api):
    b = api("liaison_b")
    a_tasks = set(Assignment.objects.filter(unit=world.unit_a).values_list("pk", flat=True))
    b_tasks = set(Assignment.objects.filter(unit=world.unit_b).values_list("pk", flat=True))
    assert _ids(b, "/api/assignments/") == b_tasks
    assert _ids(b, "/api/assignments/", unit=world.unit_a.pk) == set()
    assert _ids(b, "/api/units/") == {world.unit_b.pk}
    evidence = ProgressReport.objects.get(assignment=reported).evidence.get()
    for url in (
        f"/api/assignments/{reported.pk}/",
        f"/api/assignments/{reported.pk}/reports/",
        f"/api/assignments/{reported.pk}/timeline/",
        f"/api/evidence/{evidence.pk}/file/",
        f"/api/units/{world.unit_a.pk}/",
    ):
        r = b.get(url)
        assert r.status_code == 404 and r.json()["code"] == "not_found", url
    before = snapshot()
    for key, body in (("unclaim", {}), ("report_progress", {"text": "冒名报送"}), ("request_return", {"reason": "x"})):
        assert b.post(f"/api/assignments/{reported.pk}/{key}/", body).status_code == 404
    assert snapshot() == before
    # The letter itself is addressed to B too: B reads it, with its own figures only.
    letter = b.get(f"/api/letters/{reported.letter_id}/").json()
    assert letter["figures"]["whole_letter"] is False
    assert letter["figures"]["total"] == len(b_tasks)
    assert letter["actions"] == []
    assert a_tasks.isdisjoint(_ids(b, "/api/assignments/"))


def test_the_lists_hold_exactly_what_the_pages_selectors_give(world, reported, api):
    for who in ("clerk", "observer", "liaison_a", "leader_b", "liaison_c"):
        user = getattr(world, who)
        client = api(who)
        assert _ids(client, "/api/assignments/") == set(
            visibility.assignments_visible_to(user).values_list("pk", flat=True)
        ), who
        assert _ids(client, "/api/letters/") == set(visibility.letters_visible_to(user).values_list("pk", flat=True))
        assert _ids(client, "/api/items/") == set(visibility.items_visible_to(user).values_list("pk", flat=True))


def test_the_rankings_show_a_unit_its_own_rows_and_the_office_all(ranked, api):
    cycle = Cycle.objects.filter(state="closed").order_by("-number").first()
    for who, user in (("clerk", ranked.clerk), ("liaison_a", ranked.liaison_a), ("outsider", ranked.outsider)):
        r = api(who).get(f"/api/cycles/{cycle.pk}/ranking/")
        if who == "outsider":
            assert r.status_code == 404
            continue
        units = [row["unit"]["id"] for row in r.json()["results"]]
        expected = set(
            results_visible_to(user).filter(cycle=cycle).exclude(peer_group="office").values_list("unit_id", flat=True)
        )
        assert set(units) == expected and expected
    rows = api("liaison_a").get(f"/api/cycles/{cycle.pk}/ranking/").json()["results"]
    assert {row["unit"]["id"] for row in rows} == {ranked.unit_a.pk}
    everyone = api("clerk").get(f"/api/cycles/{cycle.pk}/ranking/", {"peer_group": "county"}).json()["results"]
    assert [row["rank"] for row in everyone] == sorted(row["rank"] for row in everyone)
    assert {ranked.unit_a.pk, ranked.unit_b.pk} <= {row["unit"]["id"] for row in everyone}


def test_the_event_feed_holds_the_events_about_what_one_sees(world, reported, api):
    assert OutboxEvent.objects.exists(), "the transitions write outbox events"
    b = api("liaison_b")
    feed = b.get("/api/events/").json()["results"]
    seen = {e["data"]["assignment"] for e in feed if e["data"].get("assignment")}
    assert reported.pk not in seen
    office = api("clerk").get("/api/events/").json()["results"]
    assert any(e["data"].get("assignment") == reported.pk for e in office)
    outsider = api("outsider").get("/api/events/").json()["results"]
    assert outsider == []


def test_the_event_feed_leaves_out_test_messages_and_digests(world, reported, api):
    # A channel's test message names the unit and the person who sent it, but it is nobody's event.
    from supervision.outbox.services import channel_test_message
    from supervision.services.channels import channel_create

    saved = channel_create(
        actor=world.clerk,
        unit_id=world.unit_b.pk,
        kind="wecom",
        name="work group",
        url="http://127.0.0.1:9/cgi-bin/webhook/send?key=693a91f6-7d2b-4e8c-9a51-2f0c3b6e1d44",
    )
    channel_test_message(actor=world.clerk, channel=saved.channel)
    names = {e["event"] for e in api("clerk").get("/api/events/").json()["results"]}
    assert "channel.test" not in names and names
