"""The office's overview: the figures match the data, units never see it, queries are bounded."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision import clock
from tests.conftest import issue_letter
from tests.helpers import draft_letter, drive


def _get(client, user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    return client.get(reverse("home"))


def test_the_overview_counts_what_the_office_has(client, world):
    today = clock.today()
    issue_letter(world, items=2, deadline=today - dt.timedelta(days=2))  # 4 overdue
    issue_letter(world, items=1, deadline=today + dt.timedelta(days=3))  # 2 due soon
    drive(world, "awaiting_verification")
    drive(world, "returned")
    draft_letter(world)
    o = _get(client, world.inspector).context["o"]
    assert o.overdue == 4
    assert o.lights["yellow"] == 2
    assert o.to_verify == 1 and o.returned == 1
    assert o.letters_to_sign == 1
    assert sum(n for _s, _l, n in o.by_state) == o.open_total
    assert o.worst_units[0]["n"] == 2


def test_a_unit_goes_to_its_assignments(client, world):
    issue_letter(world, items=1)
    response = _get(client, world.liaison_a)
    assert response.status_code == 302 and response["Location"] == reverse("tasks:list")


def test_overview_queries_do_not_grow(client, world):
    issue_letter(world, items=1)
    _get(client, world.director)
    with CaptureQueriesContext(connection) as small:
        _get(client, world.director)
    for _ in range(3):
        issue_letter(world, items=5)
        drive(world, "verified")
    with CaptureQueriesContext(connection) as large:
        _get(client, world.director)
    assert len(large) == len(small)
