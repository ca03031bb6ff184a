"""The live inbox socket: one per open page, joined to the user's own group.

On connect the page is told its unread count and the newest unread notifications, so a page
that was offline catches up from the database; afterwards each committed notification arrives
as a hint the page turns into a toast and a badge update.

Pushes are only hints and can be lost: pub/sub keeps nothing while Redis is down or while this
process's subscription is broken and silently re-made. So each socket also looks at the inbox
every ``INBOX_RESYNC_SECONDS`` (one query on the recipient/unread index, the newest few ids) and
sends, as a catch-up, whatever unread notification it has not delivered. A socket whose group
could not be joined (Redis down at the handshake) is accepted all the same, served from the
database, and joins at the next period.

A socket serves only while its session does: it is closed (code 4401, after which the page does
not reconnect) when the session is gone, expired or idle, however the page stays open. Pushes are
not requests and keep nothing alive. The rule is the site's (``session_good_until``, given by the
routing: project.sessions.socket_session_good_until); the socket asks it at the handshake, at
every period, and before a push once the session's last known deadline has passed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings

from supervision.links import notification_url
from supervision.selectors import visibility
from supervision.services.push import inbox_group

logger = logging.getLogger(__name__)

CATCH_UP = 20
# Close codes in the private 4000–4999 range: the page's script knows not to retry 4401.
UNAUTHENTICATED = 4401
# Ids remembered as delivered on one socket; older ones are long out of the catch-up window.
REMEMBERED = 500


def _notification(n: Any) -> dict[str, Any]:
    # The same fields as a live push (supervision.services.push.notification_payload), link included.
    return {
        "id": n.pk,
        "verb": n.verb,
        "text": n.text,
        "letter": n.letter_id,
        "assignment": n.assignment_id,
        "notice": n.notice_id,
        "unit": n.unit_id,
        "created_at": n.created_at.isoformat(),
        "url": notification_url(n),
    }


@database_sync_to_async
def _catch_up(user: Any) -> dict[str, Any]:
    unread = visibility.inbox_of(user, unread_only=True)
    return {
        "type": "catch_up",
        "unread": unread.count(),
        "latest": [_notification(n) for n in unread[:CATCH_UP]],
    }


@database_sync_to_async
def _newest_unread_ids(user: Any) -> list[int]:
    # The cheap check: an index range scan of at most CATCH_UP entries, no row bodies.
    return list(visibility.inbox_of(user, unread_only=True).values_list("pk", flat=True)[:CATCH_UP])


class InboxConsumer(AsyncJsonWebsocketConsumer):
    group: str = ""

    def __init__(
        self, *args: Any, session_good_until: Callable[[str | None, Any], float | None], **kwargs: Any
    ) -> None:
        # (session key, user id) -> until when the session is good (seconds since the epoch), or
        # None once it is not. Given, not imported: the session rules live in the project package,
        # above this one.
        super().__init__(*args, **kwargs)
        self._session_good_until = database_sync_to_async(session_good_until)
        self._good_until = 0.0
        self._ended = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # channels' own __call__ subscribes to the channel layer before the handshake is even
        # read, so with Redis down every new socket failed with a server error. Here the socket
        # is served from the database first and joins the layer when it can (see _join).
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = ""
        self.base_send = send
        self._joined = asyncio.Event()
        self._delivered: set[int] = set()
        self._resync_task: asyncio.Task[None] | None = None
        try:
            await await_many_dispatch([receive, self._from_layer], self.dispatch)
        except StopConsumer:
            pass
        finally:
            if self._resync_task is not None:
                self._resync_task.cancel()

    async def _from_layer(self) -> dict[str, Any]:
        while True:
            await self._joined.wait()
            try:
                return await self.channel_layer.receive(self.channel_name)
            except Exception:  # noqa: BLE001 - the socket lives on; the next period joins again
                logger.warning("Inbox socket lost its channel; it will rejoin.", exc_info=True)
                self._joined.clear()
                self.channel_name = ""

    async def _join(self) -> bool:
        """Join the user's group on the channel layer; False (logged) if the layer is unreachable."""
        if self.channel_layer is None:
            return False
        try:
            if not self.channel_name:
                self.channel_name = await self.channel_layer.new_channel()
            await self.channel_layer.group_add(self.group, self.channel_name)
        except Exception:  # noqa: BLE001 - Redis down: the socket is served from the database meanwhile
            logger.warning("Inbox socket could not join its group; it catches up from the database.", exc_info=True)
            return False
        self._joined.set()
        return True

    async def connect(self) -> None:
        user = self.scope.get("user")
        if (
            user is None
            or not user.is_authenticated
            or not user.is_active
            # Still on a one-time password: like every page (project.first_login), nothing opens
            # until its owner has chosen their own.
            or getattr(user, "must_change_password", False)
            or not await self._session_good()
        ):
            # Accepted, then closed: a refused handshake reaches the page's script as 1006, which
            # it retries; 4401 tells it to stop.
            await self.accept()
            await self.close(code=UNAUTHENTICATED)
            return
        self.group = inbox_group(user.pk)
        await self._join()
        await self.accept()
        await self._send_catch_up(await _catch_up(user), missed=[])
        self._resync_task = asyncio.ensure_future(self._resync_loop())

    async def disconnect(self, code: int) -> None:
        if self._resync_task is not None:
            self._resync_task.cancel()
        if self.group and self._joined.is_set():
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception:  # noqa: BLE001 - Redis drops a dead subscriber's groups with its connection
                logger.info("Inbox socket could not leave its group.", exc_info=True)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        # A malformed frame is ignored rather than ending the socket with an error.
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:
            return

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The page may ask to catch up again (after a page change or waking from sleep); nothing
        # else is accepted. A page waking from sleep may have outlived its session.
        if isinstance(content, dict) and content.get("type") == "catch_up":
            if not await self._session_good():
                await self._end()
                return
            await self._resync(always=True)

    async def inbox_notify(self, event: dict[str, Any]) -> None:
        """A committed notification for this user (sent by supervision.services.push)."""
        # Cheap while the session's known deadline is ahead; past it, ask the store once more.
        if self._ended or (time.time() >= self._good_until and not await self._session_good()):
            await self._end()
            return
        self._remember([event.get("id")])
        await self.send_json({"type": "notification", **{k: v for k, v in event.items() if k != "type"}})

    async def _session_good(self) -> bool:
        """Ask the session store whether this socket's session still serves its user."""
        session = self.scope.get("session")
        user = self.scope.get("user")
        good_until = await self._session_good_until(getattr(session, "session_key", None), getattr(user, "pk", None))
        self._good_until = good_until or 0.0
        return good_until is not None

    async def _end(self) -> None:
        """Close for a session that no longer serves (4401: the page's script does not reconnect)."""
        if not self._ended:
            self._ended = True
            await self.close(code=UNAUTHENTICATED)

    # --- catching up from the database --------------------------------------------------------

    async def _resync_loop(self) -> None:
        period = float(getattr(settings, "INBOX_RESYNC_SECONDS", 30))
        if period <= 0:
            return
        # Spread the first check: the sockets of a restarted server all connect at once.
        await asyncio.sleep(period * random.uniform(0.5, 1.0))  # noqa: S311 - spreading load, not security
        while True:
            try:
                if not await self._session_good():
                    await self._end()
                    return
                if not self._joined.is_set():
                    await self._join()
                await self._resync(always=False)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database restarting: try again next period
                logger.warning("Inbox socket could not check the inbox.", exc_info=True)
            await asyncio.sleep(period)

    async def _resync(self, *, always: bool) -> None:
        """Send a catch-up naming the unread notifications this socket has not delivered.

        Without ``always``, only when there are such notifications: compared by id set, not by
        the newest id, because transactions commit out of order (a lower id may arrive later).
        """
        user = self.scope["user"]
        if not always:
            newest = await _newest_unread_ids(user)
            if all(pk in self._delivered for pk in newest):
                return
        state = await _catch_up(user)
        missed = [n for n in state["latest"] if n["id"] not in self._delivered]
        await self._send_catch_up(state, missed=missed)

    async def _send_catch_up(self, state: dict[str, Any], *, missed: list[dict[str, Any]]) -> None:
        self._remember(n["id"] for n in state["latest"])
        await self.send_json({**state, "missed": missed})

    def _remember(self, ids: Any) -> None:
        self._delivered.update(pk for pk in ids if isinstance(pk, int))
        if len(self._delivered) > REMEMBERED:
            self._delivered = set(sorted(self._delivered)[-REMEMBERED // 2 :])
