"""The inbox and its live pushes: persistent rows first, a websocket hint after commit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.urls import reverse

from project.asgi import application
from project.sessions import LAST_ACTIVITY_KEY
from supervision import services
from supervision.models import Assignment, Notification
from supervision.selectors import visibility
from supervision.services import NotAllowed, push
from tests.conftest import issue_letter
from tests.inbox_sockets import inbox_socket, leave_idle, signed_in_session

ROOT = Path(__file__).resolve().parent.parent


def _socket(user) -> WebsocketCommunicator:
    return inbox_socket(user)


def _claimable(world) -> Assignment:
    letter = issue_letter(world, items=1, units=[world.unit_a])
    return Assignment.objects.get(letter=letter)


# --- the inbox itself ---------------------------------------------------------------------------


def test_mark_read_only_touches_the_recipients_own_rows(world):
    issue_letter(world, items=1)
    mine = Notification.objects.filter(recipient=world.liaison_a).get()
    theirs = Notification.objects.filter(recipient=world.liaison_b).get()
    assert visibility.unread_count(world.liaison_a) == 1
    services.notification_mark_read(actor=world.liaison_a, notification=mine.pk)
    assert visibility.unread_count(world.liaison_a) == 0
    with pytest.raises(NotAllowed):
        services.notification_mark_read(actor=world.liaison_a, notification=theirs.pk)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_and_read_time_is_kept(world):
    issue_letter(world, items=1)
    issue_letter(world, items=1)
    assert services.notification_mark_all_read(actor=world.leader_a) == 2
    first = Notification.objects.filter(recipient=world.leader_a).first().read_at
    # Reading again changes nothing: the first reading time stays.
    services.notification_mark_read(
        actor=world.leader_a, notification=Notification.objects.filter(recipient=world.leader_a).first()
    )
    assert Notification.objects.filter(recipient=world.leader_a).first().read_at == first
    assert services.notification_mark_all_read(actor=world.leader_a) == 0


def test_a_rolled_back_transition_pushes_nothing(world, django_capture_on_commit_callbacks):
    a = _claimable(world)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotAllowed):
        services.assignment_claim(actor=world.liaison_b, assignment=a)
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        services.assignment_claim(actor=world.liaison_a, assignment=a)
    # The claim tells the unit leader; the push, and waking the outbox's worker, wait for the commit.
    assert sorted(c.__name__ for c in callbacks) == ["<lambda>", "_dispatch_enqueue"]


# --- the socket ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_anonymous_sockets_are_refused():
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/inbox/", headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")]
        )
        await communicator.connect()
        closed = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return closed

    # Accepted and at once closed with 4401, which the page's script takes as "do not retry" (a
    # refused handshake would reach it as 1006, and it would knock again and again).
    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}


@pytest.mark.django_db(transaction=True)
def test_a_logged_in_socket_through_the_asgi_stack_catches_up(world, client):
    issue_letter(world, items=1)
    client.force_login(world.liaison_a)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def scenario():
        communicator = WebsocketCommunicator(
            application,
            "/ws/inbox/",
            headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie.encode())],
        )
        connected, _ = await communicator.connect()
        first = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return connected, first

    connected, first = async_to_sync(scenario)()
    assert connected
    assert first["type"] == "catch_up" and first["unread"] == 1
    assert "测巩办督" in first["latest"][0]["text"]


# --- the socket lives only as long as its session ----------------------------------------------

CLOSED = {"type": "websocket.close", "code": 4401}


@pytest.fixture
def fast_checks(settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    settings.INBOX_RESYNC_SECONDS = 0.2


def _open_then(world, user, session, change, *, push: Assignment | None = None) -> tuple[dict, dict]:
    """(the catch-up, what the socket does next) when ``change(session)`` happens while it is open.

    With ``push``, that assignment is claimed at once, pushing a notification to ``user``.
    """

    async def scenario():
        socket = inbox_socket(user, session)
        assert (await socket.connect(timeout=5))[0]
        first = await socket.receive_json_from(timeout=5)
        await database_sync_to_async(change)(session)
        if push is not None:
            await database_sync_to_async(services.assignment_claim)(actor=world.liaison_a, assignment=push.pk)
        then = await socket.receive_output(timeout=5)
        await socket.disconnect()
        return first, then

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_an_idle_pages_socket_is_closed(world, fast_checks):
    # A shared office computer, the page left open: its socket ends with the session.
    session = signed_in_session(world.liaison_a)
    first, then = _open_then(world, world.liaison_a, session, lambda s: leave_idle(s, 31 * 60))
    assert first["type"] == "catch_up"
    assert then == CLOSED


@pytest.mark.django_db(transaction=True)
def test_a_push_after_the_session_turned_idle_is_not_delivered(world, fast_checks, settings, monkeypatch):
    settings.INBOX_RESYNC_SECONDS = 0  # no periodic check: the push itself must notice
    a = _claimable(world)
    session = signed_in_session(world.leader_a)
    real = time.time

    def half_an_hour_passes(_session):
        monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)

    _, then = _open_then(world, world.leader_a, session, half_an_hour_passes, push=a)
    assert then == CLOSED


@pytest.mark.django_db(transaction=True)
def test_signing_out_in_another_tab_closes_the_socket(world, fast_checks):
    session = signed_in_session(world.liaison_a)
    _, then = _open_then(world, world.liaison_a, session, lambda s: s.delete())
    assert then == CLOSED


@pytest.mark.django_db(transaction=True)
def test_a_socket_of_a_busy_session_stays_open_and_gets_its_pushes(world, fast_checks, monkeypatch):
    a = _claimable(world)
    session = signed_in_session(world.leader_a)
    real = time.time

    def busy_for_an_hour(s):
        # Requests on other pages kept the stamp fresh all along.
        monkeypatch.setattr(time, "time", lambda: real() + 3600)
        s[LAST_ACTIVITY_KEY] = int(time.time()) - 60
        s.save()

    _, then = _open_then(world, world.leader_a, session, busy_for_an_hour, push=a)
    assert then["type"] == "websocket.send" and '"verb": "assignment_claimed"' in then["text"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("which", ["idle", "signed out", "someone else's"])
def test_a_socket_without_a_live_session_is_closed_at_the_handshake(world, fast_checks, which):
    issue_letter(world, items=1)
    session = signed_in_session(world.liaison_b if which == "someone else's" else world.liaison_a)
    if which == "idle":
        leave_idle(session, 31 * 60)
    elif which == "signed out":
        session.delete()

    async def scenario():
        socket = inbox_socket(world.liaison_a, session)
        await socket.connect(timeout=5)
        output = await socket.receive_output(timeout=5)
        await socket.disconnect()
        return output

    assert async_to_sync(scenario)() == CLOSED


@pytest.mark.django_db(transaction=True)
def test_a_user_gets_their_own_pushes_and_never_another_units(world):
    a = _claimable(world)
    Notification.objects.all().delete()

    async def scenario():
        leader_a, leader_b = _socket(world.leader_a), _socket(world.leader_b)
        for s in (leader_a, leader_b):
            assert (await s.connect())[0]
            assert (await s.receive_json_from(timeout=5))["unread"] == 0
        await database_sync_to_async(services.assignment_claim)(actor=world.liaison_a, assignment=a.pk)
        pushed = await leader_a.receive_json_from(timeout=5)
        nothing = await leader_b.receive_nothing(timeout=0.3)
        for s in (leader_a, leader_b):
            await s.disconnect()
        return pushed, nothing

    pushed, nothing = async_to_sync(scenario)()
    assert nothing
    row = Notification.objects.get(recipient=world.leader_a)
    assert pushed == {
        "type": "notification",
        "id": row.pk,
        "verb": "assignment_claimed",
        "text": row.text,
        "letter": a.letter_id,
        "assignment": a.pk,
        "notice": None,
        "unit": None,
        "created_at": row.created_at.isoformat(),
        "url": reverse("tasks:detail", args=[a.pk]),
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis channel layer needs REDIS_URL")
def test_an_idle_socket_outlives_the_redis_layers_blocking_pop(world):
    # channels-redis waits on Redis in 5 s blocking pops; a client socket timeout no longer than
    # that (redis-py 8's default) made an idle consumer die with "Timeout reading".
    a = _claimable(world)

    async def scenario():
        socket = _socket(world.leader_a)
        assert (await socket.connect())[0]
        await socket.receive_json_from(timeout=5)
        idle = await socket.receive_nothing(timeout=6.5, interval=0.5)
        await database_sync_to_async(services.assignment_claim)(actor=world.liaison_a, assignment=a.pk)
        pushed = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return idle, pushed

    idle, pushed = async_to_sync(scenario)()
    assert idle and pushed["verb"] == "assignment_claimed"


@pytest.fixture
def redis_down(settings):
    """The Redis layer pointed at a port nothing listens on."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_transitions_succeed_and_the_inbox_fills(world, redis_down, caplog):
    a = _claimable(world)
    before = Notification.objects.count()
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    assert Assignment.objects.get(pk=a.pk).state == "accepted"
    assert Notification.objects.count() == before + 1
    push.flush()
    assert "wait in the inbox" in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not (settings.REDIS_URL and connection.vendor == "postgresql"),
    reason="two processes sharing Redis need REDIS_URL and a PostgreSQL database both can reach",
)
def test_a_change_made_in_another_process_reaches_this_processs_socket(world):
    a = _claimable(world)
    db = connection.settings_dict
    login = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    url = f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    code = (
        "import django; django.setup();"
        "from supervision import services; from supervision.models import User;"
        f"services.assignment_claim(actor=User.objects.get(pk={world.liaison_a.pk}), assignment={a.pk})"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }

    async def scenario():
        socket = _socket(world.leader_a)
        assert (await socket.connect())[0]
        await socket.receive_json_from(timeout=5)
        await database_sync_to_async(subprocess.run)(
            [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60
        )
        pushed = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return pushed

    pushed = async_to_sync(scenario)()
    assert (pushed["verb"], pushed["assignment"]) == ("assignment_claimed", a.pk)
