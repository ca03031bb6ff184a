"""The lists down the tree cost the same number of queries however much was handed down: a county's
queues and handed-down counts, an office's list with its filters. The handed-down queues are
counted over the sub-tasks the county handed down (one IN), and a list picks its page's ids
before joining what a row shows: the figures and rows stay those a person expects."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import services
from supervision.models import Assignment, User
from supervision.selectors import queues
from supervision.selectors.search import AssignmentFilters, Level, Light, assignment_search
from supervision.services import SubTaskPart
from tests.factories import FUTURE, issue_letter


def fresh(user: User) -> User:
    # The roles a user object read once stay cached on it.
    return User.objects.get(pk=user.pk)


def hand_down(w: SimpleNamespace, items: int) -> list[Assignment]:
    """A letter of ``items`` items to county A, each claimed and broken down to its two townships."""
    letter = issue_letter(w, items=items, units=[w.unit_a], deadline=FUTURE)
    made = []
    for a in Assignment.objects.filter(letter=letter, unit=w.unit_a):
        services.assignment_claim(actor=w.liaison_a, assignment=a.pk)
        parts = [
            SubTaskPart(unit_id=u.pk, deadline=a.deadline - dt.timedelta(days=1), measures="负责辖区内整改")
            for u in (w.town_a1, w.town_a2)
        ]
        made += services.assignment_break_down(actor=w.liaison_a, assignment=a.pk, parts=parts)
    return made


def queries(do) -> int:
    do()  # the content types and roles a first call caches
    with CaptureQueriesContext(connection) as ctx:
        do()
    return len(ctx.captured_queries)


def county_pages(w: SimpleNamespace) -> dict[str, int]:
    liaison = fresh(w.liaison_a)
    found = {"counts": queries(lambda: queues.queue_counts(fresh(w.liaison_a)))}
    for key in ("mine", "handed_down", "sub_to_verify"):
        base = queues.ALL_QUEUES[key].assignments(liaison)
        found[key] = queries(lambda base=base: assignment_search(liaison, base=base))
    return found


def office_pages(w: SimpleNamespace) -> dict[str, int]:
    clerk = fresh(w.clerk)
    filters = {
        "all": AssignmentFilters(),
        "red": AssignmentFilters(light=Light.RED),
        "sub": AssignmentFilters(level=Level.SUB),
        "state": AssignmentFilters(states=["in_progress"]),
        "unit": AssignmentFilters(units=[w.town_a1.pk]),
    }
    return {key: queries(lambda f=f: assignment_search(clerk, f)) for key, f in filters.items()}


def test_a_county_s_queues_and_counts_cost_the_same_with_more_handed_down(hierarchy):
    w = hierarchy
    hand_down(w, 1)
    few = county_pages(w)
    subs = hand_down(w, 6)
    assert county_pages(w) == few
    counts = queues.queue_counts(fresh(w.liaison_a))
    # 7 tasks broken down to two townships each; none awaits the county's verification yet.
    assert (counts["handed_down"], counts["sub_to_verify"], counts["sub_returned"]) == (14, 0, 0)
    assert counts["mine"] == 7
    # A township counts what it holds, and nothing handed down by it.
    town = queues.queue_counts(fresh(w.liaison_town_a1))
    assert town["handed_down"] == 0 and town["unclaimed"] == 7
    page = assignment_search(fresh(w.liaison_a), base=queues.ALL_QUEUES["handed_down"].assignments(w.liaison_a))
    assert {a.pk for a in page.rows} == {s.pk for s in subs} | {
        a.pk for a in Assignment.objects.filter(parent__unit=w.unit_a)
    }


def test_the_office_s_filtered_lists_cost_the_same_with_more_handed_down_and_keep_their_order(hierarchy):
    w = hierarchy
    hand_down(w, 1)
    few = office_pages(w)
    hand_down(w, 6)
    assert office_pages(w) == few
    clerk = fresh(w.clerk)
    rows = assignment_search(clerk, AssignmentFilters(level=Level.SUB), size=5).rows
    assert len(rows) == 5 and all(a.parent_id for a in rows)
    assert [(a.deadline, a.pk) for a in rows] == sorted((a.deadline, a.pk) for a in rows)
    # The row shows who handed it down, read with the page (no query per row).
    with CaptureQueriesContext(connection) as ctx:
        assert {a.parent.unit.pk for a in rows} == {w.unit_a.pk}
    assert not ctx.captured_queries
