"""The live inbox socket: one per open page, joined to the user's own group.

On connect the page is told its unread count and the newest unread notifications, so a page
that was offline (or whose pushes were dropped) catches up from the database; afterwards each
committed notification arrives as a hint the page turns into a toast and a badge update.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from supervision import selectors
from supervision.services.push import inbox_group

CATCH_UP = 20
# Close codes in the private 4000–4999 range: the page's script knows not to retry 4401.
UNAUTHENTICATED = 4401


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
        "url": selectors.notification_url(n),
    }


@database_sync_to_async
def _catch_up(user: Any) -> dict[str, Any]:
    unread = selectors.inbox_of(user, unread_only=True)
    return {
        "type": "catch_up",
        "unread": unread.count(),
        "latest": [_notification(n) for n in unread[:CATCH_UP]],
    }


class InboxConsumer(AsyncJsonWebsocketConsumer):
    group: str = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHENTICATED)
            return
        self.group = inbox_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(await _catch_up(user))

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The page may ask to catch up again (after waking from sleep); nothing else is accepted.
        if isinstance(content, dict) and content.get("type") == "catch_up":
            await self.send_json(await _catch_up(self.scope["user"]))

    async def inbox_notify(self, event: dict[str, Any]) -> None:
        """A committed notification for this user (sent by supervision.services.push)."""
        await self.send_json({"type": "notification", **{k: v for k, v in event.items() if k != "type"}})
