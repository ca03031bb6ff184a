"""The project's settings with channels-redis's default layer (``RedisChannelLayer``) instead of
its pub/sub layer, for the live-push comparison in bench/sockets.py.

The default layer needs care to work at all at this scale, which is part of why the project uses
the pub/sub layer: redis-py 8 reads with a 5 s socket timeout by default, the same as the 5 s
blocking pop the layer waits on, so an idle socket's consumer dies with "Timeout reading"
(channels_redis issue 422) unless reads wait longer; a thousand sockets reconnecting at once
exceed the pool's 100 connections; and all sockets of one server process share one Redis key,
whose capacity (100 by default; over it, messages are dropped silently) must exceed what one
process receives at once — a notice to every member.
"""

from __future__ import annotations

from project.settings import *  # noqa: F403
from project.settings import REDIS_URL

CORE_LAYER = {
    "BACKEND": "channels_redis.core.RedisChannelLayer",
    "CONFIG": {
        "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 2000}],
        "capacity": 1500,
        "expiry": 30,
    },
}
CHANNEL_LAYERS = {"default": CORE_LAYER}
