"""Open pages catch up on what happened while Redis was down, and new sockets still open.

Pushes travel by pub/sub, which keeps nothing: a push sent while Redis is down, or while the
server's subscription is broken and being re-made, is gone. The inbox rows are not; each socket
looks at them every INBOX_RESYNC_SECONDS and sends what it has not delivered.
"""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from supervision import services
from supervision.models import Assignment, Notification
from supervision.services import push
from tests.conftest import issue_letter
from tests.inbox_sockets import inbox_socket

RESYNC = 0.3


def _socket(user) -> WebsocketCommunicator:
    return inbox_socket(user)


def _lost_push(user, text: str = "关于加快整改反馈问题的督办函已印发") -> Notification:
    """A notification committed while its push went nowhere (Redis down)."""
    return Notification.objects.create(recipient=user, verb="letter_issued", text=text, created_at=timezone.now())


def _use_layer(settings, config: dict) -> None:
    settings.CHANNEL_LAYERS = {"default": config}
    channel_layers.backends.clear()


@pytest.fixture
def fast_resync(settings):
    settings.INBOX_RESYNC_SECONDS = RESYNC
    yield
    channel_layers.backends.clear()


@pytest.fixture
def redis_unreachable(settings, fast_resync):
    # The production layer, pointed at a local port nothing listens on.
    _use_layer(
        settings,
        {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}},
    )


@pytest.mark.django_db(transaction=True)
def test_with_redis_unreachable_a_new_socket_opens_and_is_served_from_the_database(world, redis_unreachable):
    issue_letter(world, items=1)

    async def scenario():
        socket = _socket(world.liaison_a)
        connected, _ = await socket.connect(timeout=5)
        first = await socket.receive_json_from(timeout=5) if connected else None
        # Still down: what is committed now reaches the page at the next check.
        lost = await database_sync_to_async(_lost_push)(world.liaison_a)
        later = await socket.receive_json_from(timeout=5) if connected else None
        await socket.disconnect()
        return connected, first, lost, later

    connected, first, lost, later = async_to_sync(scenario)()
    assert connected
    assert first["type"] == "catch_up" and first["unread"] == 1 and first["missed"] == []
    assert later["type"] == "catch_up" and later["unread"] == 2
    assert [n["id"] for n in later["missed"]] == [lost.pk]


class FlakyLayer(InMemoryChannelLayer):
    """An in-memory layer that cannot be reached for its first ``down`` subscriptions."""

    down = 1

    async def new_channel(self, prefix: str = "specific.") -> str:
        if FlakyLayer.down > 0:
            FlakyLayer.down -= 1
            raise ConnectionError("Error connecting to 127.0.0.1:6379.")
        return await super().new_channel(prefix)


@pytest.mark.django_db(transaction=True)
def test_a_socket_opened_during_the_outage_joins_its_group_when_redis_is_back(world, settings, fast_resync):
    _use_layer(settings, {"BACKEND": f"{__name__}.FlakyLayer"})
    FlakyLayer.down = 1
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    Notification.objects.all().delete()

    async def scenario():
        socket = _socket(world.leader_a)
        assert (await socket.connect(timeout=5))[0]
        await socket.receive_json_from(timeout=5)
        # One period later the socket has joined: a live push arrives as a push.
        assert await socket.receive_nothing(timeout=RESYNC * 3)
        await database_sync_to_async(services.assignment_claim)(actor=world.liaison_a, assignment=a.pk)
        pushed = await socket.receive_json_from(timeout=5)
        # Delivered live, it is not sent a second time by the periodic check.
        quiet = await socket.receive_nothing(timeout=RESYNC * 4)
        await socket.disconnect()
        return pushed, quiet

    pushed, quiet = async_to_sync(scenario)()
    assert (pushed["type"], pushed["verb"]) == ("notification", "assignment_claimed")
    assert quiet


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis channel layer needs REDIS_URL")
def test_a_page_open_across_a_broken_subscription_gets_what_it_missed(world, settings, fast_resync):
    # A layer of this test's own: its connections carry a name only this test uses, so killing
    # them touches nobody else's on the shared Redis server.
    name = f"sv-test-{uuid.uuid4().hex[:12]}"
    _use_layer(
        settings,
        {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": settings.REDIS_URL, "client_name": name}], "prefix": name},
        },
    )
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    push.flush()  # the letter's own pushes are delivered before the page opens
    Notification.objects.all().delete()
    admin = redis.Redis.from_url(settings.REDIS_URL)

    def break_subscription() -> int:
        ours = [c for c in admin.client_list() if c.get("name") == name]
        for c in ours:
            admin.client_kill_filter(_id=c["id"])
        return len(ours)

    def resubscribed() -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(c.get("name") == name and int(c.get("sub", 0)) > 0 for c in admin.client_list()):
                return True
            time.sleep(0.1)
        return False

    async def scenario():
        socket = _socket(world.leader_a)
        assert (await socket.connect(timeout=5))[0]
        assert (await socket.receive_json_from(timeout=5))["unread"] == 0
        killed = await database_sync_to_async(break_subscription)()
        lost = await database_sync_to_async(_lost_push)(world.leader_a)
        caught_up = await socket.receive_json_from(timeout=5)
        # channels-redis re-makes the subscription by itself (after a pause); then a push arrives
        # live again.
        assert await database_sync_to_async(resubscribed)()
        await database_sync_to_async(services.assignment_claim)(actor=world.liaison_a, assignment=a.pk)
        # The periodic check may see the row first; the push must arrive all the same.
        pushed = await socket.receive_json_from(timeout=10)
        while pushed["type"] != "notification":
            pushed = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return killed, lost, caught_up, pushed

    try:
        killed, lost, caught_up, pushed = async_to_sync(scenario)()
    finally:
        admin.close()
    assert killed >= 1
    assert caught_up["type"] == "catch_up" and [n["id"] for n in caught_up["missed"]] == [lost.pk]
    assert (pushed["type"], pushed["verb"]) == ("notification", "assignment_claimed")
