"""The project's settings with channels-redis's pub/sub layer, for the live-push comparison in
bench/sockets.py. Not for production: the project runs the default layer (project/settings.py)."""

from __future__ import annotations

from project.settings import *  # noqa: F403
from project.settings import CHANNEL_LAYERS, REDIS_URL

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts", [REDIS_URL])},
    }
}
