"""The outbox's scene: the world, with e-mail addresses for the people of units A and B, a local
receiver standing in for 企业微信, 钉钉 and an integration, and channels pointing at it: unit A's
WeCom and DingTalk robots (the default events) and the office's webhook (every event). Time is
frozen on a Wednesday morning, outside quiet hours, unless a test moves it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.utils import timezone

from supervision import clock
from supervision.models import Channel, ChannelKind, Delivery, OutboxEvent
from supervision.outbox import tasks
from supervision.outbox.dispatch import DispatchResult, dispatch_run
from supervision.outbox.receiver import Receiver
from supervision.services.channels import channel_create

WECOM_KEY = "693a91f6-7a1b-4bc4-97a0-0ec2fa5aaa01"
DINGTALK_TOKEN = "ab12" * 16
DINGTALK_SECRET = "SEC" + "9f" * 32
WEBHOOK_SECRET = "whsec-" + "k3y" * 8
SECRETS = (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, WEBHOOK_SECRET)


def wednesday(hour: int = 10, minute: int = 0) -> dt.datetime:
    """The last Wednesday (today or before) at the given local time."""
    today = timezone.localdate()
    day = today - dt.timedelta(days=(today.weekday() - 2) % 7)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture(autouse=True)
def _ask_the_queue_each_time(monkeypatch):
    # A process skips asking for a waiting dispatch job for a moment after it saw one
    # (tasks.DEBOUNCE); each test asks afresh.
    monkeypatch.setattr(tasks, "_seen_waiting", -1e9)


@pytest.fixture
def morning() -> Iterator[dt.datetime]:
    at = wednesday(10)
    with clock.frozen(at):
        yield at


def lookup(kind: str, ident: str) -> str | None:
    return {"wecom": WECOM_KEY if ident == WECOM_KEY else None, "dingtalk": DINGTALK_SECRET, "webhook": WEBHOOK_SECRET}[
        kind
    ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(secret_for=lookup) as r:
        yield r


@pytest.fixture
def people(world):
    """Units A and B's people have e-mail addresses; the office's do not."""
    for user in (world.liaison_a, world.leader_a, world.liaison_b, world.leader_b):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return world


@pytest.fixture
def channels(people, receiver, morning) -> SimpleNamespace:
    w = people
    wecom = channel_create(
        actor=w.clerk,
        unit_id=w.unit_a.pk,
        kind=ChannelKind.WECOM,
        name="甲县工作群",
        url=f"{receiver.url}/wecom?key={WECOM_KEY}",
    ).channel
    dingtalk = channel_create(
        actor=w.clerk,
        unit_id=w.unit_a.pk,
        kind=ChannelKind.DINGTALK,
        name="甲县钉钉群",
        url=f"{receiver.url}/dingtalk?access_token={DINGTALK_TOKEN}",
        secret=DINGTALK_SECRET,
    ).channel
    webhook = channel_create(
        actor=w.clerk,
        unit_id=None,
        kind=ChannelKind.WEBHOOK,
        name="大数据平台",
        url=f"{receiver.url}/webhook",
        secret=WEBHOOK_SECRET,
    ).channel
    return SimpleNamespace(wecom=wecom, dingtalk=dingtalk, webhook=webhook, world=w, receiver=receiver)


def dispatch(at: dt.datetime | None = None) -> DispatchResult:
    """One run of the worker's job, in this process (at ``at``, or the frozen now)."""
    if at is None:
        return dispatch_run()
    with clock.frozen(at):
        return dispatch_run()


def deliveries_of(event: OutboxEvent) -> dict[str, list[Delivery]]:
    found: dict[str, list[Delivery]] = {}
    for d in Delivery.objects.filter(event=event).order_by("id"):
        found.setdefault(d.kind, []).append(d)
    return found


def latest(name: str) -> OutboxEvent:
    return OutboxEvent.objects.filter(name=name).order_by("-id").first()


def fresh(channel: Channel) -> Channel:
    return Channel.objects.get(pk=channel.pk)
