"""The demo's message channels, set up through the services as a clerk would: 离石区's work group
has a 企业微信 robot, 临县's a 钉钉 robot with its 加签 secret, and the office an integration
webhook. All three point at the local receiver (``manage.py receive_messages --port 8025``), so
what the outbox sends can be watched without reaching anything outside this machine.

Every demo account has a fictional address (``<username>@lvliang.example.gov.cn``): set where the
accounts are made (loader._user), so the e-mails the outbox writes have somewhere to go.
"""

from __future__ import annotations

import datetime as dt
import random

from supervision import clock
from supervision.events import EMAIL_DEFAULT_GROUPS
from supervision.models import ChannelKind, OutboxEvent, User
from supervision.services.channels import channel_create
from supervision.services.preferences import preference_update

from .stories import World

RECEIVER = "http://127.0.0.1:8025"
EMAIL_DOMAIN = "lvliang.example.gov.cn"


def demo_email(username: str) -> str:
    return f"{username}@{EMAIL_DOMAIN}"


def settle_history() -> int:
    """Mark the replayed history's outgoing events as handled: ten weeks of letters, reports and
    reminders happened before the demo had channels, and sending them now would flood the
    receiver and the console with thousands of stale messages. Only what happens from now on
    leaves the app. Returns how many were marked."""
    return OutboxEvent.objects.filter(expanded_at__isnull=True).update(expanded_at=clock.now())


def configure_channels(world: World, rng: random.Random) -> None:
    """The three demo channels. Keys and secrets come from the seeded generator: the same demo
    every time, and nothing that looks like a real robot's."""
    lishi, linxian = world.members["lishi"], world.members["linxian"]
    channel_create(
        actor=world.clerk,
        unit_id=lishi.unit.pk,
        kind=ChannelKind.WECOM,
        name=f"{lishi.unit.short_name}整改工作群",
        url=f"{RECEIVER}/wecom?key=demo-{rng.getrandbits(64):016x}",
        # The demo is tried at any hour: its robots and people keep no quiet hours, so what the
        # outbox sends shows at once. A real channel starts with them on.
        quiet_hours=False,
    )
    channel_create(
        # A unit's leader keeps their own group's robot.
        actor=linxian.leader,
        unit_id=linxian.unit.pk,
        kind=ChannelKind.DINGTALK,
        name=f"{linxian.unit.short_name}整改工作群",
        url=f"{RECEIVER}/dingtalk?access_token=demo{rng.getrandbits(128):032x}",
        secret=f"SECdemo{rng.getrandbits(128):032x}",
        quiet_hours=False,
    )
    channel_create(
        actor=world.clerk,
        unit_id=None,
        kind=ChannelKind.WEBHOOK,
        name="督查督办数据共享接口（演示）",
        url=f"{RECEIVER}/webhook",
        secret=f"demo-webhook-secret-{rng.getrandbits(64):016x}",
    )


def open_all_hours(users: list[User]) -> None:
    """The demo's people take e-mail at any hour (the same time twice: no quiet night), through
    the service each person's own settings page calls."""
    for user in users:
        preference_update(
            actor=user,
            email=True,
            events=sorted(EMAIL_DEFAULT_GROUPS),
            digest=False,
            quiet_start=dt.time(8, 0),
            quiet_end=dt.time(8, 0),
            quiet_rest_days=False,
        )
