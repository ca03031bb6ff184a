"""Websocket routes: the live inbox."""

from __future__ import annotations

from django.urls import path

from project.sessions import socket_session_good_until
from workflows.inbox.consumer import InboxConsumer

websocket_urlpatterns = [
    # The socket serves while the session does, by the same rules as pages (project/sessions.py).
    path("ws/inbox/", InboxConsumer.as_asgi(session_good_until=socket_session_good_until)),
]
