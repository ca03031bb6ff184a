"""What the message tests build on: robot addresses as WeCom and DingTalk show them, and
deliveries as the outbox worker writes them (an event, one delivery per channel, its attempts)."""

from __future__ import annotations

import datetime as dt

from supervision import clock
from supervision.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus, OutboxEvent, User

WECOM_KEY = "693a91f6-7a1b-4bc4-97a0-0ec2fa5aaa01"
WECOM = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
DINGTALK_TOKEN = "ab12" * 16
DINGTALK = f"https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}"
DINGTALK_SECRET = "SEC" + "9f" * 32


def delivered(
    *,
    channel: Channel | None = None,
    user: User | None = None,
    status: str = DeliveryStatus.FAILED,
    tries: int = 2,
    text: str = "甲县有1项任务逾期",
    error: str = "HTTP 500",
) -> Delivery:
    """One event and its delivery to a channel (or a person's e-mail), tried ``tries`` times."""
    now = clock.now()
    event = OutboxEvent.objects.create(
        name="assignment.overdue",
        verb="assignment_overdue",
        text=text,
        unit_ids=[channel.unit_id] if channel is not None and channel.unit_id else [],
        created_at=now,
    )
    d = Delivery.objects.create(
        event=event,
        kind=channel.kind if channel is not None else "email",
        channel=channel,
        user=user,
        status=status,
        attempts=tries,
        due_at=now + dt.timedelta(hours=1),
        last_error=error if status == DeliveryStatus.FAILED else "",
        created_at=now,
    )
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(delivery=d, started_at=now + dt.timedelta(seconds=n), ok=False, status_code=500, error=error)
        for n in range(tries)
    )
    return d
