"""The admin shows channels, deliveries, preferences, jobs and API tokens, never a key, secret
or token hash, and changes none of them by hand; turning channels off goes through the service."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from supervision import clock
from supervision.models import ApiToken, AuditEvent, Channel, ChannelKind, Job, JobState, User
from supervision.services.channels import channel_create
from supervision.services.preferences import preference_update
from tests.factories import browser_for
from tests.messages.scene import DINGTALK, DINGTALK_SECRET, DINGTALK_TOKEN, delivered


def _superuser() -> User:
    return User.objects.create_superuser("root", password="pw-root")


def test_admin_pages_show_no_secret(world):
    saved = channel_create(
        actor=world.clerk,
        unit_id=world.unit_a.pk,
        kind=ChannelKind.DINGTALK,
        name="钉钉群",
        url=DINGTALK,
        secret=DINGTALK_SECRET,
    )
    hook = channel_create(actor=world.clerk, unit_id=None, kind="webhook", name="OA", url="https://oa.example.gov.cn/h")
    d = delivered(channel=saved.channel)
    token = ApiToken.objects.create(
        user=world.clerk, name="报表", prefix="sv_abc", key_hash="f" * 64, created_at=clock.now()
    )
    job = Job.objects.create(
        kind="ledger_pdf",
        title="台账",
        requested_by=world.clerk,
        state=JobState.FAILED,
        error="boom",
        created_at=clock.now(),
    )
    preference_update(
        actor=world.clerk,
        email=True,
        email_address="c@lvliang.example.gov.cn",
        events=["todo"],
        digest=False,
        quiet_start=dt.time(21),
        quiet_end=dt.time(8),
        quiet_rest_days=True,
    )
    browser = browser_for(_superuser())
    pages = [
        reverse("admin:supervision_channel_changelist"),
        reverse("admin:supervision_channel_change", args=[saved.channel.pk]),
        reverse("admin:supervision_channel_change", args=[hook.channel.pk]),
        reverse("admin:supervision_delivery_changelist"),
        reverse("admin:supervision_delivery_change", args=[d.pk]),
        reverse("admin:supervision_messagepreference_changelist"),
        reverse("admin:supervision_job_changelist"),
        reverse("admin:supervision_job_change", args=[job.pk]),
        reverse("admin:supervision_apitoken_changelist"),
        reverse("admin:supervision_apitoken_change", args=[token.pk]),
    ]
    for url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in (DINGTALK_TOKEN, DINGTALK_SECRET, hook.new_secret, saved.channel.key_encrypted, "f" * 64):
            assert secret not in html, url
    # None of them can be added or edited by hand.
    for model in ("channel", "delivery", "messagepreference", "job", "apitoken"):
        assert browser.get(reverse(f"admin:supervision_{model}_add")).status_code == 403


def test_the_admin_turns_channels_off_through_the_service(world):
    c = channel_create(
        actor=world.clerk,
        unit_id=world.unit_a.pk,
        kind=ChannelKind.DINGTALK,
        name="钉钉群",
        url=DINGTALK,
        secret=DINGTALK_SECRET,
    ).channel
    # A superuser who is no clerk or director of the office is refused by the service, and told.
    browser = browser_for(_superuser())
    url = reverse("admin:supervision_channel_changelist")
    response = browser.post(url, {"action": "turn_off", "_selected_action": [c.pk]}, follow=True)
    assert Channel.objects.get().enabled and "clerks and directors" in response.content.decode()
    world.clerk.is_staff = True
    world.clerk.is_superuser = True
    world.clerk.save()
    browser_for(world.clerk).post(url, {"action": "turn_off", "_selected_action": [c.pk]})
    assert not Channel.objects.get().enabled
    assert AuditEvent.objects.filter(action="channel.disabled", actor=world.clerk).exists()


def test_the_admin_shows_a_webhooks_address_without_its_query(world):
    hook = channel_create(
        actor=world.clerk, unit_id=None, kind="webhook", name="OA", url="https://oa.example.gov.cn/h?token=oa-s3cret"
    ).channel
    browser = browser_for(_superuser())
    for url in (
        reverse("admin:supervision_channel_changelist"),
        reverse("admin:supervision_channel_change", args=[hook.pk]),
    ):
        html = browser.get(url).content.decode()
        assert "https://oa.example.gov.cn/h?…" in html and "oa-s3cret" not in html, url
