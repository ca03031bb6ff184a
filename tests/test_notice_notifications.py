"""Notifications of the biweekly rhythm: a published notice, an escalation, a near-due reminder.
Each is an inbox row linking to its object and a live push after commit. The links come from the
pages the web layer registers for each kind (workflows/links.py): every kind must open its page."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import resolve, reverse

from supervision import clock, links, services
from supervision.models import Cycle, Notice, Notification, Role, Unit, UnitKind
from tests.conftest import make_user
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.inbox_sockets import inbox_socket


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


def _socket(user) -> WebsocketCommunicator:
    return inbox_socket(user)


async def _connect(*users) -> list[WebsocketCommunicator]:
    sockets = [_socket(u) for u in users]
    for s in sockets:
        assert (await s.connect())[0]
        assert (await s.receive_json_from(timeout=5))["type"] == "catch_up"
    return sockets


def _a_closed_cycle(world: SimpleNamespace) -> Cycle:
    """Cycle 1 closed: A reported, B did nothing (B is last among the counties), C held nothing."""
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=2, deadline=dt.date(2024, 6, 28))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    return Cycle.objects.get(number=1)


def _signed_notice(world: SimpleNamespace, cycle: Cycle) -> Notice:
    with clock.frozen(at("2024-01-15")):
        notice = services.notice_draft(actor=world.clerk, office=world.office, cycle=cycle)
        return services.notice_sign(actor=world.director, notice=notice)


def _publish(world: SimpleNamespace, notice: Notice) -> Notice:
    with clock.frozen(at("2024-01-15", "11:00")):
        return services.notice_publish(actor=world.clerk, notice=notice.pk)


# --- a published notice ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_published_notice_reaches_every_member_of_every_ranked_unit_live(world):
    notice = _signed_notice(world, _a_closed_cycle(world))
    # A unit set up after the cycle closed is not in its ranking, nor is an outsider.
    later = Unit.objects.create(name="丙县人民政府", short_name="丙县", kind=UnitKind.COUNTY, peer_group="county")
    newcomer = make_user("liaison_later", later, Role.LIAISON)

    async def scenario():
        sockets = await _connect(world.liaison_a, world.leader_c, newcomer)
        await database_sync_to_async(_publish)(world, notice)
        pushed = [await s.receive_json_from(timeout=5) for s in sockets[:2]]
        nothing = await sockets[2].receive_nothing(timeout=0.3)
        for s in sockets:
            await s.disconnect()
        return pushed, nothing

    pushed, nothing = async_to_sync(scenario)()
    assert nothing
    rows = Notification.objects.filter(verb="notice_published")
    told = sorted(rows.values_list("recipient__username", flat=True))
    # One row each: the members of A, B and C (C held nothing but is listed in the ranking).
    assert told == sorted(["liaison_a", "leader_a", "liaison_b", "leader_b", "liaison_c", "leader_c"])
    assert set(rows.values_list("notice_id", flat=True)) == {notice.pk}
    assert "cycle 1" in rows.first().text and notice.title in rows.first().text
    for user, message in zip((world.liaison_a, world.leader_c), pushed, strict=True):
        row = rows.get(recipient=user)
        assert (message["type"], message["id"], message["verb"]) == ("notification", row.pk, "notice_published")
        assert (message["notice"], message["text"]) == (notice.pk, row.text)
        assert message["url"] == links.notification_url(row) == reverse("cycles:notice", args=[notice.pk])


def test_publishing_twice_is_refused_and_tells_nobody_again(world):
    notice = _publish(world, _signed_notice(world, _a_closed_cycle(world)))
    before = Notification.objects.count()
    with pytest.raises(services.InvalidTransition):
        _publish(world, notice)
    assert Notification.objects.count() == before


def test_the_drafter_is_told_of_the_signature_with_a_link_to_the_notice(world):
    notice = _signed_notice(world, _a_closed_cycle(world))
    row = Notification.objects.get(verb="notice_signed")
    assert (row.recipient, row.notice_id) == (world.clerk, notice.pk)


# --- escalations and reminders ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_escalation_is_pushed_to_the_unit_and_the_office_linking_to_the_unit(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=2, deadline=dt.date(2024, 6, 28))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))

    async def scenario():
        sockets = await _connect(world.leader_b, world.clerk, world.leader_a)
        await database_sync_to_async(tick)(cutoff(0))
        pushed = [await s.receive_json_from(timeout=5) for s in sockets[:2]]
        quiet = [await s.receive_nothing(timeout=0.3) for s in sockets]
        for s in sockets:
            await s.disconnect()
        return pushed, quiet

    pushed, quiet = async_to_sync(scenario)()
    assert quiet == [True, True, True]  # one push each, and none for the unit ranked first
    for user, message in zip((world.leader_b, world.clerk), pushed, strict=True):
        row = Notification.objects.get(verb="ranking_escalation", recipient=user)
        assert (message["verb"], message["id"], message["unit"]) == ("ranking_escalation", row.pk, world.unit_b.pk)
        assert row.unit_id == world.unit_b.pk
        assert message["url"] == reverse("cycles:unit", args=[world.unit_b.pk])


@pytest.mark.django_db(transaction=True)
def test_a_near_due_reminder_is_pushed_exactly_once_across_two_ticks(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    a = mine(letter, world.unit_a)[0]

    async def scenario():
        (socket,) = await _connect(world.liaison_a)
        first = await database_sync_to_async(tick)(at("2024-01-07", "08:00"))
        pushed = await socket.receive_json_from(timeout=5)
        second = await database_sync_to_async(tick)(at("2024-01-07", "08:01"))
        quiet = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return first.reminders, second.reminders, pushed, quiet

    first, second, pushed, quiet = async_to_sync(scenario)()
    assert (first, second, quiet) == (1, 0, True)
    row = Notification.objects.get(verb="deadline_near", recipient=world.liaison_a)
    assert (pushed["id"], pushed["assignment"], pushed["url"]) == (row.pk, a.pk, reverse("tasks:detail", args=[a.pk]))
    assert "Due in 3 days" in pushed["text"]


# --- every kind links to a page its recipient may open ----------------------------------------------


def _letter_issued(world):
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a])
    row = Notification.objects.get(verb="letter_issued", recipient=world.liaison_a)
    return world.liaison_a, row, ("letters:detail", letter.pk)


def _reminder(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    tick(at("2024-01-07", "08:00"))
    row = Notification.objects.get(verb="deadline_near", recipient=world.leader_a)
    return world.leader_a, row, ("tasks:detail", mine(letter, world.unit_a)[0].pk)


def _notice(world):
    notice = _publish(world, _signed_notice(world, _a_closed_cycle(world)))
    row = Notification.objects.get(verb="notice_published", recipient=world.liaison_b)
    return world.liaison_b, row, ("cycles:notice", notice.pk)


def _escalation(world):
    _a_closed_cycle(world)
    row = Notification.objects.get(verb="ranking_escalation", recipient=world.leader_b)
    return world.leader_b, row, ("cycles:unit", world.unit_b.pk)


def test_the_web_layer_gives_every_kind_of_link_a_page():
    # A kind left unregistered would leave its notifications without a link, silently.
    assert links.registered_kinds() == set(links.KINDS)


@pytest.mark.parametrize("make", [_letter_issued, _reminder, _notice, _escalation], ids=lambda f: f.__name__[1:])
def test_each_kind_of_notification_opens_its_page_and_its_recipient_may_see_it(world, client, make):
    user, row, (page, pk) = make(world)
    url = links.notification_url(row)
    # The link opens the page of the object the notification is about, not merely some page.
    match = resolve(url)
    assert (match.view_name, list(match.kwargs.values())) == (page, [pk])
    client.force_login(user)
    assert client.get(url).status_code == 200
    # The inbox page links to it, and "Open" marks it read on the way.
    assert f'href="{url}"' in client.get(reverse("tasks:inbox")).content.decode()
    opened = client.post(reverse("tasks:inbox_read", args=[row.pk]), {"open": "1"})
    assert (opened.status_code, opened["Location"]) == (302, url)
    assert Notification.objects.get(pk=row.pk).read_at is not None


def test_a_notification_without_an_object_has_no_link(world):
    row = Notification.objects.create(recipient=world.clerk, verb="x", text="x", created_at=clock.now())
    assert links.notification_target(row) is None
    assert links.notification_url(row) == ""
