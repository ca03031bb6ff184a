"""Websocket routes (the notification consumer arrives with the live-notifications work)."""

from __future__ import annotations

websocket_urlpatterns: list = []
