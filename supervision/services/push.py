"""Pushing new inbox rows to the recipients' open pages, once the transaction has committed.

The inbox table is the truth; a push is only a hint that something arrived. It goes through
the channel layer (in memory in the embedded mode, Redis in production) to the group
``inbox.<user id>`` that each of the user's sockets joins. A process not listening at that moment
never gets it (pub/sub keeps nothing) and Redis may be down: a failed push is logged and forgotten,
never raised. The page catches up from the inbox when its socket (re)connects, and an open socket
checks the inbox every ``INBOX_RESYNC_SECONDS`` for what its pushes missed (workflows/inbox/consumer.py).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import datetime as dt
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from supervision.links import notification_url

logger = logging.getLogger(__name__)


def inbox_group(user_id: int) -> str:
    return f"inbox.{user_id}"


# (notification id, recipient id) rows sharing one payload.
Batch = tuple[Sequence[tuple[int, int]], dict]


def notification_payload(
    *,
    verb: str,
    text: str,
    letter_id: int | None,
    assignment_id: int | None,
    notice_id: int | None = None,
    unit_id: int | None = None,
    created_at: dt.datetime,
) -> dict:
    """What a page is told of one notification: its text, what it refers to and the link to open.
    The link is computed here, in the transaction's thread, where the URL prefix is known."""
    payload = {
        "verb": verb,
        "text": text[:300],
        "letter": letter_id,
        "assignment": assignment_id,
        "notice": notice_id,
        "unit": unit_id,
        "created_at": created_at.isoformat(),
    }
    payload["url"] = notification_url(payload)
    return payload


def push_after_commit(
    rows: Sequence[tuple[int, int]],
    *,
    verb: str,
    text: str,
    letter_id: int | None,
    assignment_id: int | None,
    notice_id: int | None = None,
    unit_id: int | None = None,
    created_at: dt.datetime,
) -> None:
    """Schedule one push per (notification id, recipient id) for when the transaction commits.
    A rolled-back transaction pushes nothing: nobody hears of a change that did not happen."""
    if not rows:
        return
    payload = notification_payload(
        verb=verb,
        text=text,
        letter_id=letter_id,
        assignment_id=assignment_id,
        notice_id=notice_id,
        unit_id=unit_id,
        created_at=created_at,
    )
    push_batches_after_commit([(rows, payload)])


def push_batches_after_commit(batches: Sequence[Batch]) -> None:
    """Several batches (rows sharing one payload each, e.g. one per reminded assignment) pushed
    by one commit hook, as one job for the background loop."""
    batches = [(list(rows), payload) for rows, payload in batches if rows]
    if batches:
        transaction.on_commit(lambda: push_batches_now(batches))


def push_batches_now(batches: Sequence[Batch]) -> int:
    """Send the pushes; returns how many were handed to the layer. Never raises.

    In memory, only sockets of this process can listen, on this process's server loop: send
    there, and only to groups someone has joined (none in a command or a benchmark). To Redis,
    hand the batch to a background loop so a slow or absent Redis never delays the request.
    """
    layer = get_channel_layer()
    if layer is None:
        return 0
    total = sum(len(rows) for rows, _payload in batches)
    if isinstance(layer, InMemoryChannelLayer):
        listening = [([(n, u) for n, u in rows if inbox_group(u) in layer.groups], p) for rows, p in batches]
        listening = [(rows, p) for rows, p in listening if rows]
        if not listening:
            return 0
        try:
            return async_to_sync(_send_all)(layer, listening)
        except Exception:  # noqa: BLE001 - a push is a hint; the inbox row is already committed
            logger.warning("Live push of %d notifications failed; they wait in the inbox.", total, exc_info=True)
            return 0
    future = asyncio.run_coroutine_threadsafe(_send_logged(layer, list(batches), total), _background_loop())
    with _lock:
        _pending.add(future)
    future.add_done_callback(_forget)
    return total


# group_sends in flight at once, so a large batch (a notice to every member) overlaps its Redis round
# trips instead of paying them one after another.
IN_FLIGHT = 16


async def _send_all(layer, batches: Sequence[Batch]) -> int:
    """Send every push; each user's in commit order, different users' side by side."""
    per_user: dict[int, list[dict]] = defaultdict(list)
    for rows, payload in batches:
        for notification_id, user_id in rows:
            per_user[user_id].append({"type": "inbox.notify", "id": notification_id, **payload})
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def send(user_id: int, messages: list[dict]) -> int:
        async with gate:
            for message in messages:
                await layer.group_send(inbox_group(user_id), message)
        return len(messages)

    # The first failure (Redis down) ends the job; the others are cancelled with it.
    async with asyncio.TaskGroup() as tasks:
        sending = [tasks.create_task(send(u, m)) for u, m in per_user.items()]
    return sum(t.result() for t in sending)


async def _send_logged(layer, batches: Sequence[Batch], total: int) -> int:
    try:
        return await _send_all(layer, batches)
    except Exception:  # noqa: BLE001 - the first failure (Redis down) ends the batch
        logger.warning("Live push of %d notifications failed; they wait in the inbox.", total, exc_info=True)
        return 0


# --- the background loop for the Redis layer ------------------------------------------------------

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pending: set[concurrent.futures.Future] = set()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="inbox-push", daemon=True).start()
            _loop = loop
            atexit.register(flush)
        return _loop


def _forget(future: concurrent.futures.Future) -> None:
    with _lock:
        _pending.discard(future)


def flush(timeout: float = 5.0) -> None:
    """Wait for pushes handed to the background loop (at exit: a command's last pushes)."""
    with _lock:
        waiting = list(_pending)
    concurrent.futures.wait(waiting, timeout=timeout)
