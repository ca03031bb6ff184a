"""Inbox sockets as the site routes them, for a user signed in with a real session."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client

from project.routing import websocket_urlpatterns
from project.sessions import LAST_ACTIVITY_KEY


def signed_in_session(user: Any) -> SessionBase:
    """The session a sign-in gives ``user`` (stamped and with its fixed end, as in production)."""
    client = Client()
    client.force_login(user)
    return client.session


def leave_idle(session: SessionBase, seconds: int) -> None:
    """Make the session's last request ``seconds`` old, as if nobody had touched the page since."""
    session[LAST_ACTIVITY_KEY] -= seconds
    session.save()


def inbox_socket(user: Any, session: SessionBase | None = None) -> WebsocketCommunicator:
    """A socket to /ws/inbox/ for ``user``, with ``session`` (a fresh sign-in's by default).

    The scope is what the session and auth middleware would give; the session is made when the
    socket connects, so this may be called from async code.
    """
    router = URLRouter(websocket_urlpatterns)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        store = session if session is not None else await database_sync_to_async(signed_in_session)(user)
        return await router({**scope, "user": user, "session": store}, receive, send)

    return WebsocketCommunicator(app, "/ws/inbox/")
