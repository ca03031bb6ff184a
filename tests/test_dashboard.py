"""The office dashboard (挂图作战): its figures match the data, it is the office's only, and its
queries do not grow with the data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from supervision.models import Assignment, AssignmentState
from supervision.selectors.dashboard import office_dashboard
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.helpers import signed_in

FAR = dt.date(2024, 6, 28)
DAY = dt.date(2024, 1, 20)  # in cycle 3, well before the deadline
# Session, user, memberships, then the dashboard's own reads: offices, the cycles, the two
# breakdowns, one aggregate for the burndown, the overdue sums, lights, the bottom and its places.
DASHBOARD_QUERIES = 12


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


# `ranked` (tests/conftest.py): two closed cycles; unit A claims and reports, unit B never does.
def test_the_dashboard_counts_what_the_office_has(ranked):
    d = office_dashboard(ranked.inspector, today=DAY)
    assert d.by_group.rows == [("county", "Counties")]
    counts = d.by_group.counts["county"]
    assert sum(counts.values()) == 4
    assert counts[AssignmentState.ISSUED] == 2  # unit B's, never claimed
    assert d.by_category.rows == [("specific", "Specific problem")]
    assert d.by_category.total("specific") == 4

    assert [(p.number, p.open_at_cutoff, p.overdue_at_cutoff) for p in d.burndown] == [(1, 4, 0), (2, 4, 0)]

    # Unit B missed its reports (yellow); unit A is on track (green). Worst first.
    assert [(row.name, row.red, row.yellow, row.green) for row in d.lights] == [
        ("乙县人民政府", 0, 2, 0),
        ("甲县人民政府", 0, 0, 2),
    ]

    assert d.rank_cycles == [1, 2]
    assert [(line.name, line.ranks, line.last_rank, line.last_group_size) for line in d.bottom] == [
        ("乙县", [2, 2], 2, 2),
        ("甲县", [1, 1], 1, 2),
    ]


def test_the_burndown_follows_work_written_off(ranked):
    a = mine(ranked.letter, ranked.unit_a)[0]
    # Written off between the two cut-offs: open at the first, not at the second.
    Assignment.objects.filter(pk=a.pk).update(
        state=AssignmentState.CLOSED, verified_at=at("2024-01-19"), closed_at=at("2024-01-20")
    )
    d = office_dashboard(ranked.clerk, today=DAY)
    assert [p.open_at_cutoff for p in d.burndown] == [4, 3]
    assert d.by_group.counts["county"][AssignmentState.CLOSED] == 1


def test_only_the_office_has_a_dashboard(client, ranked):
    assert office_dashboard(ranked.liaison_a) is None
    assert office_dashboard(ranked.outsider) is None
    for who in (ranked.liaison_a, ranked.leader_b, ranked.outsider):
        client.force_login(who)
        assert client.get(reverse("office:dashboard")).status_code == 403


def test_an_empty_office_gets_an_empty_dashboard(client, world):
    d = office_dashboard(world.director)
    assert (d.by_group.rows, d.burndown, d.lights, d.bottom) == ([], [], [], [])
    client.force_login(world.director)
    assert client.get(reverse("office:dashboard")).status_code == 200


def test_the_dashboard_page(client, ranked, django_assert_max_num_queries):
    signed_in(client, ranked.observer)
    url = reverse("office:dashboard")
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(url)
    html = response.content.decode()
    assert html.count("<svg") == 4
    tasks = reverse("tasks:list")
    # Each light count opens the list of exactly those assignments.
    assert f"{tasks}?filtered=1&amp;open=on&amp;unit={ranked.unit_b.pk}&amp;light=yellow" in html
    assert reverse("cycles:unit", args=[ranked.unit_b.pk]) in html

    # More letters, units and cycles: the same number of queries.
    for _ in range(3):
        letter = issue_at(at("2024-01-30"), ranked, items=3, deadline=FAR, units=[ranked.unit_a, ranked.unit_c])
        claim_and_report(at("2024-01-31"), ranked.liaison_c, mine(letter, ranked.unit_c))
    tick(cutoff(2))
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(url)
    assert len(response.context["d"].burndown) == 3
    assert {row.unit_id for row in response.context["d"].lights} == {
        ranked.unit_a.pk,
        ranked.unit_b.pk,
        ranked.unit_c.pk,
    }
