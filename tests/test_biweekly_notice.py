"""The biweekly notice (双周通报) as a domain object: drafted from a closed cycle, signed by a
director who did not draft it, published; units see published notices only."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision import clock, services
from supervision.models import AuditEvent, Cycle, Notice, Notification
from supervision.selectors.rankings import notice_content, notice_get, notices_visible_to
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from tests.conftest import make_user
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


@pytest.fixture
def closed(world) -> Cycle:
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=2, deadline=dt.date(2024, 6, 28))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    return Cycle.objects.get(number=1)


def _draft(world, cycle, **kwargs) -> Notice:
    with clock.frozen(at("2024-01-15")):
        return services.notice_draft(actor=world.clerk, office=world.office, cycle=cycle, **kwargs)


def test_draft_sign_publish(world, closed):
    notice = _draft(world, closed)
    assert (notice.state, notice.title) == ("draft", "Biweekly notice, cycle 1")
    assert "cycle 1 (January 1 to January 14)" in notice.opening  # days as a notice writes them
    with clock.frozen(at("2024-01-15", "11:00")):
        notice = services.notice_update_draft(
            actor=world.clerk, notice=notice, opening="现将第1期双周调度情况通报如下。"
        )
        with pytest.raises(NotAllowed):
            services.notice_sign(actor=world.clerk, notice=notice)
        notice = services.notice_sign(actor=world.director, notice=notice, comment="同意")
        with pytest.raises(InvalidTransition):
            services.notice_update_draft(actor=world.clerk, notice=notice, title="改")
        notice = services.notice_publish(actor=world.clerk, notice=notice)
    notice = Notice.objects.get(pk=notice.pk)
    assert (notice.state, notice.signer, notice.opening) == (
        "published",
        world.director,
        "现将第1期双周调度情况通报如下。",
    )
    assert notice.published_at == at("2024-01-15", "11:00")
    actions = list(AuditEvent.objects.filter(action__startswith="notice.").values_list("action", "actor__username"))
    assert actions == [
        ("notice.drafted", "clerk"),
        ("notice.edited", "clerk"),
        ("notice.signed", "director"),
        ("notice.published", "clerk"),
    ]
    told = set(Notification.objects.filter(verb="notice_published").values_list("recipient__username", flat=True))
    assert told == {"liaison_a", "leader_a", "liaison_b", "leader_b", "liaison_c", "leader_c"}


def test_the_director_who_drafted_cannot_sign(world, closed):
    drafting_director = make_user("director_clerk", world.office, "clerk", "director")
    with clock.frozen(at("2024-01-15")):
        notice = services.notice_draft(actor=drafting_director, office=world.office, cycle=closed)
        with pytest.raises(NotAllowed, match="someone other than its drafter"):
            services.notice_sign(actor=drafting_director, notice=notice)
        with pytest.raises(InvalidTransition):
            services.notice_publish(actor=world.clerk, notice=notice)
    assert Notice.objects.get().state == "draft"


def test_only_a_clerk_drafts_and_only_from_a_closed_cycle(world, closed):
    with pytest.raises(NotAllowed):
        services.notice_draft(actor=world.liaison_a, office=world.office, cycle=closed)
    with pytest.raises(InvalidTransition, match="closed"):
        services.notice_draft(actor=world.clerk, office=world.office, cycle=Cycle.objects.get(number=2))
    with pytest.raises(InvalidInput):
        services.notice_draft(actor=world.clerk, office=world.office, cycle=closed, title="   ", opening="x" * 20001)
    _draft(world, closed)
    with pytest.raises(InvalidTransition, match="already has a notice"):
        _draft(world, closed)


def test_units_see_published_notices_only(world, closed):
    notice = _draft(world, closed)
    assert list(notices_visible_to(world.clerk)) == [notice]
    assert list(notices_visible_to(world.observer)) == [notice]
    assert list(notices_visible_to(world.liaison_a)) == []
    assert notice_get(world.leader_b, notice.pk) is None
    with clock.frozen(at("2024-01-15")):
        services.notice_sign(actor=world.director, notice=notice)
    assert list(notices_visible_to(world.liaison_a)) == []
    with clock.frozen(at("2024-01-15")):
        services.notice_publish(actor=world.director, notice=notice)
    assert notice_get(world.leader_b, notice.pk) == notice
    assert list(notices_visible_to(world.outsider)) == []


def test_what_the_notice_says_comes_from_the_frozen_snapshot(world, closed):
    content = notice_content(_draft(world, closed))
    [counties] = [g for g in content.groups if g.key == "county"]
    assert [(r.unit, r.rank, str(r.score)) for r in counties.rows] == [("甲县", 1, "80.00"), ("乙县", 2, "40.00")]
    assert [e.unit.short_name for e in content.named] == ["乙县"]
    assert content.interview == [] and content.referral == []
    assert content.rule_set_version == 1
    [departments] = [g for g in content.groups if g.key == "department"]
    assert departments.rows == [] and departments.unranked == ["农业农村局"]
