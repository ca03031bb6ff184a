"""The configured channel layer carries a group message: in memory by default, Redis with REDIS_URL."""

from __future__ import annotations

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings


def test_layer_matches_configuration():
    layer = get_channel_layer()
    expected = "RedisPubSubChannelLayer" if settings.REDIS_URL else "InMemoryChannelLayer"
    assert type(layer).__name__ == expected


def test_group_message_reaches_member():
    layer = get_channel_layer()
    group = f"test-{uuid.uuid4().hex}"

    async def roundtrip() -> dict:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            await layer.group_send(group, {"type": "notify", "text": "新的督办函"})
            return await layer.receive(channel)
        finally:
            await layer.group_discard(group, channel)

    message = async_to_sync(roundtrip)()
    assert message == {"type": "notify", "text": "新的督办函"}
