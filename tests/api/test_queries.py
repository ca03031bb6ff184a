"""Every list of the API reads a page in a fixed number of queries, however many rows there are:
the count with one letter is the count with four, and stays under a small bound."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import services
from supervision.models import Assignment, Cycle, Unit, UnitKind
from tests.factories import issue_letter
from tests.helpers import drive

# Authentication (the token, its last use), the person's roles, then the page itself.
MAX_QUERIES = 12


def _count(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        r = client.get(url, params)
    assert r.status_code == 200, (url, r.content)
    assert r.json()["results"], f"{url} lists nothing: the test would prove nothing"
    return len(queries)


def _grow(world, letters: int = 3) -> None:
    """More of everything the lists show: letters, items, tasks, reports with files, events, units."""
    for n in range(letters):
        letter = issue_letter(world, items=3)
        for a in Assignment.objects.filter(letter=letter, unit=world.unit_a):
            services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
            pdf = SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4 " + bytes([65 + n]), "application/pdf")
            services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="进展", files=[pdf])
        Unit.objects.create(name=f"新增单位{n}", kind=UnitKind.COUNTY, peer_group="county")


def test_the_lists_cost_the_same_whatever_the_data(world, api):
    case = drive(world, "ext_awaiting_signoff")  # a task with a claim, an extension request, events
    services.assignment_report_progress(actor=world.liaison_a, assignment=case.assignment.pk, text="第一次")
    a, letter = case.assignment, case.assignment.letter_id
    lists = [
        ("/api/units/", {}),
        ("/api/letters/", {}),
        ("/api/letters/", {"state": "issued", "q": "督办"}),
        (f"/api/letters/{letter}/items/", {}),
        ("/api/items/", {}),
        ("/api/assignments/", {}),
        ("/api/assignments/", {"open": "true", "light": "green", "q": "问题"}),
        (f"/api/assignments/{a.pk}/reports/", {}),
        (f"/api/assignments/{a.pk}/extensions/", {}),
        (f"/api/assignments/{a.pk}/timeline/", {}),
        ("/api/events/", {}),
    ]
    clients = {who: api(who) for who in ("clerk", "liaison_a")}
    for c in clients.values():
        c.get("/api/me/")  # the token's first use is written once, and is not the list's cost
    asked = [(who, url, p) for who in clients for url, p in lists] + [
        ("liaison_a", "/api/assignments/", {"queue": "mine"}),
        ("clerk", "/api/assignments/", {"unit": world.unit_a.pk, "state": "in_progress"}),
    ]
    for who, url, p in asked:  # process-wide caches (content types) filled: not the list's cost
        clients[who].get(url, p)
    before = [(who, url, p, _count(clients[who], url, **p)) for who, url, p in asked]
    _grow(world)
    services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="第二次，附件", files=[
        SimpleUploadedFile("x.pdf", b"%PDF-1.4 x", "application/pdf")])  # fmt: skip
    for who, url, p, n in before:
        after = _count(clients[who], url, **p)
        assert after == n, f"{who} {url} {p}: {n} queries before, {after} after"
        assert n <= MAX_QUERIES, f"{who} {url} {p}: {n} queries"


@pytest.mark.parametrize("who", ["clerk", "liaison_a"])
def test_the_ranking_and_cycles_cost_a_fixed_number_of_queries(ranked, api, who):
    client = api(who)
    client.get("/api/me/")
    cycle = Cycle.objects.filter(state="closed").order_by("-number").first()
    assert _count(client, "/api/cycles/") <= MAX_QUERIES
    assert _count(client, f"/api/cycles/{cycle.pk}/ranking/") <= MAX_QUERIES
