"""A channel moved to another server (scheme, host or port) takes its stored key and secret along
only when they are given again: a unit's leader cannot redirect the robot key the office set up,
nor can anyone send an integration's access token or signed messages to a server of their choice.
The refusal says what to give, and nothing is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision.crypto import decrypt
from supervision.models import Channel, ChannelKind
from supervision.services import InvalidInput
from supervision.services.channels import channel_create, channel_update
from tests.helpers import last_audit_id, new_audit, signed_in
from tests.messages.scene import DINGTALK, DINGTALK_SECRET, DINGTALK_TOKEN, WECOM, WECOM_KEY

# Another server a robot may be on in development (loopback; see test_robot_hosts.py).
ELSEWHERE = "http://127.0.0.1:8025"
TOKEN = "oa-token-" + "x" * 20
SECRET = "webhook-secret-" + "y" * 20


def _unchanged(channel: Channel, since: int) -> None:
    before = (channel.url, channel.key_encrypted, channel.secret_encrypted, channel.name)
    channel.refresh_from_db()
    assert (channel.url, channel.key_encrypted, channel.secret_encrypted, channel.name) == before
    assert new_audit(since) == []


def test_a_leader_cannot_move_the_offices_wecom_robot_without_its_key(world):
    robot = channel_create(
        actor=world.clerk, unit_id=world.unit_a.pk, kind=ChannelKind.WECOM, name="群", url=WECOM
    ).channel
    before = last_audit_id()
    with pytest.raises(InvalidInput, match="another server than before: paste the robot's full address") as refused:
        channel_update(actor=world.leader_a, channel=robot, name="群", url=f"{ELSEWHERE}/cgi-bin/webhook/send")
    assert refused.value.field == "url"
    _unchanged(robot, before)
    # With a key of its own, the robot moves: the office's key is not what goes there.
    channel_update(
        actor=world.leader_a, channel=robot, name="群", url=f"{ELSEWHERE}/cgi-bin/webhook/send?key=leaders-key-123"
    )
    robot.refresh_from_db()
    assert robot.url == f"{ELSEWHERE}/cgi-bin/webhook/send" and decrypt(robot.key_encrypted) == "leaders-key-123"


def test_a_dingtalk_robot_moved_needs_its_token_and_its_secret_again(world):
    robot = channel_create(
        actor=world.clerk,
        unit_id=world.unit_a.pk,
        kind=ChannelKind.DINGTALK,
        name="钉钉群",
        url=DINGTALK,
        secret=DINGTALK_SECRET,
    ).channel
    before = last_audit_id()
    moved = f"{ELSEWHERE}/robot/send"
    with pytest.raises(InvalidInput, match="paste the robot's full address with its key again"):
        channel_update(actor=world.leader_a, channel=robot, name="钉钉群", url=moved)
    with pytest.raises(InvalidInput, match="give the robot's signing secret again") as refused:
        channel_update(actor=world.leader_a, channel=robot, name="钉钉群", url=f"{moved}?access_token={DINGTALK_TOKEN}")
    assert refused.value.field == "secret"
    _unchanged(robot, before)
    channel_update(
        actor=world.leader_a,
        channel=robot,
        name="钉钉群",
        url=f"{moved}?access_token={DINGTALK_TOKEN}",
        secret=DINGTALK_SECRET,
    )
    robot.refresh_from_db()
    assert robot.url == moved


def test_a_webhook_moved_needs_its_token_and_a_new_secret(world):
    hook = channel_create(
        actor=world.clerk,
        unit_id=None,
        kind=ChannelKind.WEBHOOK,
        name="OA",
        url="https://oa.example.gov.cn/hook",
        key=TOKEN,
        secret=SECRET,
    ).channel
    before = last_audit_id()
    for moved in (
        "https://collector.example.net/hook",  # another host
        "https://oa.example.gov.cn:8443/hook",  # another port
        "http://localhost/hook",  # another scheme (and host)
    ):
        with pytest.raises(InvalidInput, match="give the receiving system's access token again"):
            channel_update(actor=world.director, channel=hook, name="OA", url=moved)
    with pytest.raises(InvalidInput, match="type a new signing secret or have one generated"):
        channel_update(
            actor=world.director, channel=hook, name="OA", url="https://collector.example.net/hook", key=TOKEN
        )
    _unchanged(hook, before)
    # The same server written another way is no move: the stored token and secret stay.
    channel_update(actor=world.director, channel=hook, name="OA", url="https://OA.example.gov.cn:443/other")
    hook.refresh_from_db()
    assert decrypt(hook.key_encrypted) == TOKEN and decrypt(hook.secret_encrypted) == SECRET
    saved = channel_update(
        actor=world.director,
        channel=hook,
        name="OA",
        url="https://collector.example.net/hook",
        key="other-token-" + "z" * 20,
        renew_secret=True,
    )
    assert saved.new_secret and decrypt(saved.channel.secret_encrypted) == saved.new_secret


def test_the_channel_page_refuses_the_move_and_keeps_the_robot(client, world):
    robot = channel_create(
        actor=world.clerk, unit_id=world.unit_a.pk, kind=ChannelKind.WECOM, name="群", url=WECOM
    ).channel
    before = last_audit_id()
    response = signed_in(client, world.leader_a).post(
        reverse("messages:channel_edit", args=[robot.pk]),
        {"name": "群", "url": f"{ELSEWHERE}/send", "events": ["assignment.overdue"]},
    )
    assert response.status_code == 400
    assert "The address is on another server than before" in response.content.decode()
    _unchanged(robot, before)
    assert decrypt(robot.key_encrypted) == WECOM_KEY
