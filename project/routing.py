"""Websocket routes: the live inbox."""

from __future__ import annotations

from django.urls import path

from notices.consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
]
