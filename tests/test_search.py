"""Searching assignments: filters, the traffic light, keyset pages, isolation, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import clock, services
from supervision.models import Assignment
from supervision.selectors.search import AssignmentFilters, Light, assignment_counts, assignment_search
from tests.conftest import issue_letter


def _all_pages(user, filters=None, size=3) -> list[Assignment]:
    rows, cursor = [], ""
    for _ in range(100):
        page = assignment_search(user, filters, cursor=cursor, size=size)
        rows += page.rows
        cursor = page.next_cursor
        if not cursor:
            return rows
    raise AssertionError("pagination did not end")


def test_pages_walk_every_row_once_in_deadline_order(world):
    today = clock.today()
    for days in (3, 30, 3, -2):
        issue_letter(world, items=2, deadline=today + dt.timedelta(days=days))
    rows = _all_pages(world.clerk, size=3)
    expected = list(Assignment.objects.order_by("deadline", "pk"))
    assert rows == expected
    assert len(rows) == 16


def test_a_bad_cursor_gives_the_first_page(world):
    issue_letter(world, items=2)
    first = assignment_search(world.clerk, size=2)
    for junk in ("x", "!!!", "MjAyNi0xMy0wMXwx", "bm90LWEtY3Vyc29y"):
        assert assignment_search(world.clerk, cursor=junk, size=2).rows == first.rows


def test_units_see_only_their_own(world):
    issue_letter(world, items=3)
    rows = _all_pages(world.liaison_a)
    assert {a.unit_id for a in rows} == {world.unit_a.pk}
    assert _all_pages(world.outsider) == []
    assert len(_all_pages(world.observer)) == 6


def test_light_follows_the_deadline(world, settings):
    settings.LIGHT_YELLOW_DAYS = 7
    today = clock.today()
    issue_letter(world, items=1, units=[world.unit_a], deadline=today - dt.timedelta(days=1))
    issue_letter(world, items=1, units=[world.unit_a], deadline=today + dt.timedelta(days=7))
    issue_letter(world, items=1, units=[world.unit_a], deadline=today + dt.timedelta(days=8))
    rows = assignment_search(world.clerk).rows
    assert [r.light for r in rows] == [Light.RED, Light.YELLOW, Light.GREEN]
    for light, expected in ((Light.RED, 1), (Light.YELLOW, 1), (Light.GREEN, 1)):
        found = assignment_search(world.clerk, AssignmentFilters(light=light)).rows
        assert [r.light for r in found] == [light] * expected
    assert len(assignment_search(world.clerk, AssignmentFilters(overdue=True)).rows) == 1


def test_closed_assignments_show_no_light_and_are_not_overdue(world):
    today = clock.today()
    issue_letter(world, items=1, units=[world.unit_a], deadline=today - dt.timedelta(days=3))
    a = Assignment.objects.get()
    services.assignment_claim(actor=world.liaison_a, assignment=a)
    services.assignment_start(actor=world.liaison_a, assignment=a)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=a, text="已完成")
    services.assignment_approve_completion(actor=world.leader_a, assignment=a)
    services.assignment_verify(actor=world.inspector, assignment=a)
    services.assignment_close(actor=world.director, assignment=a)
    assert assignment_search(world.clerk).rows[0].light == Light.NONE
    assert assignment_search(world.clerk, AssignmentFilters(overdue=True)).rows == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (lambda w: AssignmentFilters(units=[w.unit_b.pk]), 2),
        (lambda w: AssignmentFilters(peer_group="county"), 4),
        (lambda w: AssignmentFilters(states=["accepted"]), 1),
        (lambda w: AssignmentFilters(unclaimed=True), 3),
        (lambda w: AssignmentFilters(claimed_by=w.liaison_a.pk), 1),
        (lambda w: AssignmentFilters(text="问题描述2"), 2),
        (lambda w: AssignmentFilters(text="A县"), 0),
        (lambda w: AssignmentFilters(category="specific"), 4),
        (lambda w: AssignmentFilters(category="common"), 0),
        (lambda w: AssignmentFilters(source="self_inspection", open_only=True), 4),
    ],
)
def test_filters(world, filters, expected):
    letter = issue_letter(world, items=2)
    services.assignment_claim(actor=world.liaison_a, assignment=letter.assignments.filter(unit=world.unit_a).first())
    f = filters(world)
    assert len(_all_pages(world.clerk, f)) == expected
    assert assignment_counts(world.clerk, f)["total"] == expected


def test_filters_apply_to_the_letter(world):
    first = issue_letter(world, items=1)
    issue_letter(world, items=2)
    assert {a.letter_id for a in _all_pages(world.clerk, AssignmentFilters(letter=first.pk))} == {first.pk}


def test_query_count_does_not_grow_with_the_data(world):
    issue_letter(world, items=2)
    assignment_search(world.liaison_a)  # the user's roles are read once per request
    with CaptureQueriesContext(connection) as small:
        page = assignment_search(world.liaison_a, AssignmentFilters(open_only=True))
        [(a.item.description, a.letter.number, a.unit.name, a.claimed_by) for a in page.rows]
    for _ in range(4):
        issue_letter(world, items=10)
    with CaptureQueriesContext(connection) as large:
        page = assignment_search(world.liaison_a, AssignmentFilters(open_only=True))
        [(a.item.description, a.letter.number, a.unit.name, a.claimed_by) for a in page.rows]
    assert len(page.rows) == 42
    assert len(large) == len(small)
