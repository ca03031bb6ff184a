"""The demo's channels, set up on a small world (the full demo is loaded in tests/test_demo.py):
three channels through the services, all to the local receiver, keys kept encrypted."""

from __future__ import annotations

import random

from demo.messaging import configure_channels, demo_email, settle_history
from demo.stories import Member, World
from supervision.crypto import decrypt
from supervision.models import AuditEvent, Channel, OutboxEvent


def test_the_demo_channels_point_at_the_local_receiver(world):
    members = {
        "lishi": Member("lishi", world.unit_a, world.liaison_a, world.leader_a, (), 1.0),
        "linxian": Member("linxian", world.unit_b, world.liaison_b, world.leader_b, (), 1.0),
    }
    demo = World(world.office, world.clerk, world.inspector, world.director, world.observer, members)
    configure_channels(demo, random.Random(1))
    channels = {c.kind: c for c in Channel.objects.all()}
    assert set(channels) == {"wecom", "dingtalk", "webhook"}
    assert channels["wecom"].url == "http://127.0.0.1:8025/wecom" and channels["wecom"].unit == world.unit_a
    assert channels["dingtalk"].url == "http://127.0.0.1:8025/dingtalk" and channels["dingtalk"].unit == world.unit_b
    assert channels["webhook"].url == "http://127.0.0.1:8025/webhook" and channels["webhook"].unit is None
    assert decrypt(channels["wecom"].key_encrypted).startswith("demo-")
    assert decrypt(channels["dingtalk"].secret_encrypted).startswith("SEC")
    assert AuditEvent.objects.filter(action="channel.created").count() == 3
    assert demo_email("lishi_liaison") == "lishi_liaison@lvliang.example.gov.cn"


def test_the_replayed_history_does_not_leave_the_app(world):
    from supervision.services.notify import notify

    notify(recipients=[world.liaison_a.pk], verb="assignment_overdue", text="十周前的逾期提醒")
    assert settle_history() == OutboxEvent.objects.count() >= 1
    assert not OutboxEvent.objects.filter(expanded_at__isnull=True).exists()
