"""Carrying a report forward from the assignment page (最多报一次): offered once a cycle to the
liaison who claimed the work, when there is an earlier report and none yet in this cycle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from supervision import clock
from supervision.models import Assignment, ProgressReport
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.helpers import signed_in

FAR = dt.date(2024, 6, 28)


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


@pytest.fixture
def reported(world) -> Assignment:
    """Unit A's assignment, reported in cycle 1; cycle 2 is under way."""
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, deadline=FAR)
    [a] = mine(letter, world.unit_a)
    claim_and_report(at("2024-01-03"), world.liaison_a, [a], text="已完成排查，正在整改")
    tick(cutoff(0))
    return a


def keys(response) -> list[str]:
    return [action.key for action in response.context["actions"]]


def test_carry_forward_once_per_cycle(client, world, reported):
    c = signed_in(client, world.liaison_a)
    detail = reverse("tasks:detail", args=[reported.pk])
    act = reverse("tasks:act", args=[reported.pk, "carry_forward"])
    with clock.frozen(at("2024-01-16")):
        page = c.get(detail)
        assert "carry_forward" in keys(page)
        html = page.content.decode()
        assert "Nothing changed: carry the last report forward" in html
        assert "This cycle's report is not made yet: due by 2024-01-26 17:00." in html

        response = c.post(act, follow=True)
        assert "The last report was carried forward for this cycle." in [str(m) for m in response.context["messages"]]
        first, carried = ProgressReport.objects.filter(assignment=reported).order_by("created_at")
        assert (carried.text, carried.carried_from_id, carried.author) == (
            "已完成排查，正在整改",
            first.pk,
            world.liaison_a,
        )
        html = response.content.decode()
        assert "This cycle's report is made" in html and "no change since the last report" in html
        assert "carry_forward" not in keys(response)

        # A second time in the same cycle: refused with a message, nothing written.
        response = c.post(act, follow=True)
        assert response.status_code == 200
        assert "Progress was already reported in this cycle." in [str(m) for m in response.context["messages"]]
        assert ProgressReport.objects.filter(assignment=reported).count() == 2

    # The next cycle: offered again.
    tick(cutoff(1))
    with clock.frozen(at("2024-01-30")):
        assert "carry_forward" in keys(c.get(detail))


def test_not_offered_in_the_cycle_already_reported(client, world, reported):
    with clock.frozen(at("2024-01-04")):
        page = signed_in(client, world.liaison_a).get(reverse("tasks:detail", args=[reported.pk]))
    assert "carry_forward" not in keys(page)
    assert "This cycle's report is made" in page.content.decode()


def test_not_offered_to_others(client, world, reported):
    url = reverse("tasks:detail", args=[reported.pk])
    with clock.frozen(at("2024-01-16")):
        assert "carry_forward" not in keys(signed_in(client, world.leader_a).get(url))
        # The office sees whether the report is made, and has nothing to carry.
        page = signed_in(client, world.clerk).get(url)
        assert "carry_forward" not in keys(page) and "report is not made yet" in page.content.decode()
        # Someone else than the claimer gets a message, not a report.
        response = signed_in(client, world.leader_a).post(
            reverse("tasks:act", args=[reported.pk, "carry_forward"]), follow=True
        )
    assert response.status_code == 200 and list(response.context["messages"])
    assert ProgressReport.objects.filter(assignment=reported).count() == 1


def test_nothing_to_carry_without_an_earlier_report(client, world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, deadline=FAR)
    [b] = mine(letter, world.unit_b)
    with clock.frozen(at("2024-01-03")):
        c = signed_in(client, world.liaison_b)
        c.post(reverse("tasks:act", args=[b.pk, "claim"]))
        page = c.get(reverse("tasks:detail", args=[b.pk]))
        assert "carry_forward" not in keys(page)
        response = c.post(reverse("tasks:act", args=[b.pk, "carry_forward"]), follow=True)
    assert "There is no earlier progress report to carry forward." in [str(m) for m in response.context["messages"]]
    assert not ProgressReport.objects.filter(assignment=b).exists()
