"""The office's monitor, 消息与后台任务: failed and held messages with their attempts, filtered by
status, channel kind and unit, read in a fixed number of queries; retrying one, the selected,
sending a held one now; failed background jobs and their retry; a channel's test message."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision import clock
from supervision.models import AuditEvent, ChannelKind, Delivery, DeliveryStatus, Job, JobState, OutboxEvent
from supervision.services.channels import channel_create
from tests.helpers import page_messages, signed_in
from tests.messages.scene import DINGTALK, DINGTALK_SECRET, WECOM, WECOM_KEY, delivered


@pytest.fixture
def robots(world):
    wecom = channel_create(actor=world.clerk, unit_id=world.unit_a.pk, kind="wecom", name="甲县群", url=WECOM).channel
    ding = channel_create(
        actor=world.clerk,
        unit_id=world.unit_b.pk,
        kind=ChannelKind.DINGTALK,
        name="乙县群",
        url=DINGTALK,
        secret=DINGTALK_SECRET,
    ).channel
    return wecom, ding


def _failed_job(world) -> Job:
    return Job.objects.create(
        kind="ledger_xlsx",
        title="台账（Excel）",
        requested_by=world.clerk,
        state=JobState.FAILED,
        attempts=3,
        error="磁盘已满",
        created_at=clock.now(),
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("clerk", 200), ("director", 200), ("inspector", 403), ("observer", 403), ("leader_a", 403), ("outsider", 403)],
)
def test_who_opens_the_monitor_and_retries(client, world, robots, who, status):
    d = delivered(channel=robots[0])
    browser = signed_in(client, getattr(world, who))
    assert browser.get(reverse("messages:monitor")).status_code == status
    response = browser.post(reverse("messages:delivery_retry", args=[d.pk]))
    assert response.status_code == (302 if status == 200 else 403)
    browser.post(reverse("messages:retry_selected"), {"id": [d.pk]})
    assert (Delivery.objects.get().status == DeliveryStatus.PENDING) is (status == 200)


def test_the_monitor_lists_failed_and_held_messages_with_each_attempt(client, world, robots):
    wecom, ding = robots
    failed = delivered(channel=wecom, tries=3, error="errcode 93000: invalid webhook url")
    held = delivered(channel=ding, status=DeliveryStatus.HELD, tries=0, text="乙县有1项任务即将到期")
    mail = delivered(user=world.liaison_a, error="SMTP 550 mailbox unavailable")
    delivered(channel=wecom, status=DeliveryStatus.SENT, tries=1)
    browser = signed_in(client, world.clerk)
    page = browser.get(reverse("messages:monitor"))
    assert {d.pk for d in page.context["data"].deliveries} == {failed.pk, held.pk, mail.pk}
    assert page.context["data"].counts == {"failed": 2, "held": 1}
    html = page.content.decode()
    assert "errcode 93000: invalid webhook url" in html and "SMTP 550 mailbox unavailable" in html
    assert "Send now" in html and WECOM_KEY not in html
    # Filters: status, kind, unit.
    only = {
        "status=held": {held.pk},
        "status=failed": {failed.pk, mail.pk},
        "kind=email": {mail.pk},
        f"unit={world.unit_a.pk}": {failed.pk},
        "status=sent": {failed.pk, held.pk, mail.pk},  # not a status the monitor lists: ignored
    }
    for query, expected in only.items():
        rows = browser.get(reverse("messages:monitor") + "?" + query).context["data"].deliveries
        assert {d.pk for d in rows} == expected, query


def test_the_monitor_reads_the_same_number_of_queries_however_many_rows(client, world, robots):
    browser = signed_in(client, world.director)
    delivered(channel=robots[0])
    _failed_job(world)
    browser.get(reverse("messages:monitor"))
    with CaptureQueriesContext(connection) as small:
        browser.get(reverse("messages:monitor"))
    for n in range(6):
        delivered(channel=robots[n % 2], tries=n % 4 + 1)
        delivered(user=world.liaison_a if n % 2 else world.leader_b, status=DeliveryStatus.HELD)
        _failed_job(world)
    with CaptureQueriesContext(connection) as large:
        page = browser.get(reverse("messages:monitor"))
    assert len(page.context["data"].deliveries) == 13 and len(page.context["jobs"]) == 7
    assert len(large) == len(small)


def test_retrying_one_and_the_selected(client, world, robots):
    wecom, ding = robots
    one = delivered(channel=wecom)
    two = delivered(channel=ding)
    held = delivered(channel=ding, status=DeliveryStatus.HELD)
    sent = delivered(channel=ding, status=DeliveryStatus.SENT)
    browser = signed_in(client, world.clerk)
    back = reverse("messages:monitor") + "?status=failed"
    response = browser.post(reverse("messages:delivery_retry", args=[one.pk]), {"next": back})
    assert response["Location"] == back
    one.refresh_from_db()
    assert (one.status, one.attempts) == (DeliveryStatus.PENDING, 0)
    # The selection: only failed ones go again; a delivered one is left alone.
    response = browser.post(reverse("messages:retry_selected"), {"id": [two.pk, sent.pk, "x", "\x00"]}, follow=True)
    assert "queued to be sent again: 1" in page_messages(response)
    assert Delivery.objects.get(pk=two.pk).status == DeliveryStatus.PENDING
    assert Delivery.objects.get(pk=sent.pk).status == DeliveryStatus.SENT
    # A held one is sent now.
    browser.post(reverse("messages:delivery_retry", args=[held.pk]))
    assert Delivery.objects.get(pk=held.pk).status == DeliveryStatus.PENDING
    # A delivered one cannot be sent again: said, not a 500.
    response = browser.post(reverse("messages:delivery_retry", args=[sent.pk]), follow=True)
    assert "cannot be sent again" in page_messages(response)
    response = browser.post(reverse("messages:retry_selected"), {"id": ["x"]}, follow=True)
    assert "Select the deliveries to retry." in page_messages(response)
    assert AuditEvent.objects.filter(action__in=["delivery.retried", "deliveries.retried"]).count() == 3


def test_a_failed_job_shows_its_error_and_is_retried(client, world):
    job = _failed_job(world)
    browser = signed_in(client, world.clerk)
    html = browser.get(reverse("messages:monitor")).content.decode()
    assert "台账（Excel）" in html and "磁盘已满" in html
    response = browser.post(reverse("messages:job_retry", args=[job.uuid]), follow=True)
    assert "queued to run again" in page_messages(response)
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.error == ""
    response = browser.post(reverse("messages:job_retry", args=[job.uuid]), follow=True)
    assert "can be tried again" in page_messages(response)


def test_a_channel_is_sent_a_test_message_from_its_page(client, world, robots):
    wecom, _ding = robots
    browser = signed_in(client, world.leader_a)
    response = browser.post(reverse("messages:channel_test", args=[wecom.pk]), follow=True)
    assert "A test message to 甲县群 is on its way" in page_messages(response)
    assert OutboxEvent.objects.filter(payload__channel=wecom.pk).count() == 1
    assert AuditEvent.objects.filter(action="channel.tested", actor=world.leader_a).exists()
    # Another unit's leader cannot, nor a liaison: the channel is not theirs to see.
    for who in (world.leader_b, world.liaison_a):
        assert (
            signed_in(client.__class__(), who).post(reverse("messages:channel_test", args=[wecom.pk])).status_code
            == 404
        )
    assert OutboxEvent.objects.count() == 1
