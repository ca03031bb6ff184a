"""The inbox socket is closed, like every page, to a session still on a one-time password."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from supervision.models import User
from tests.inbox_sockets import inbox_socket

CLOSED = {"type": "websocket.close", "code": 4401}


def _first_message(user):
    async def scenario():
        socket = inbox_socket(user)
        await socket.connect(timeout=5)
        message = await socket.receive_output(timeout=5)
        await socket.disconnect()
        return message

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_socket_on_a_one_time_password_is_closed_until_the_password_is_chosen(world):
    User.objects.filter(pk=world.liaison_a.pk).update(must_change_password=True)
    user = User.objects.get(pk=world.liaison_a.pk)
    assert _first_message(user) == CLOSED
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    user.refresh_from_db()
    opened = _first_message(user)
    assert opened["type"] == "websocket.send" and '"catch_up"' in opened["text"]
