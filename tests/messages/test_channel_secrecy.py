"""What a channel form carries stays out of sight once posted: an error report never shows the
address (a robot's holds its key), the access token or the secret, and a webhook's saved address
is shown without its query, which may hold the receiving system's token, on the channel page and
in the change form. Given back as shown, the address keeps its query."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.views.debug import ExceptionReporter

from supervision.models import Channel, ChannelKind
from supervision.services import InvalidInput
from supervision.services.channels import address_shown, channel_create, channel_update
from tests.helpers import browser_for, signed_in
from tests.messages.scene import WECOM, WECOM_KEY
from workflows.messages import channels as channel_views

QUERY_TOKEN = "tok3n-of-the-oa-system"
HOOK = f"https://oa.example.gov.cn/hook?access={QUERY_TOKEN}&v=2"
BEARER = "bearer-" + "b" * 20
SECRET = "signing-" + "s" * 20


@pytest.fixture
def hook(world) -> Channel:
    return channel_create(
        actor=world.clerk, unit_id=None, kind=ChannelKind.WEBHOOK, name="OA", url=HOOK, key=BEARER, secret=SECRET
    ).channel


def _report(response) -> str:
    """The error report Django would mail to the administrators for this request."""
    return ExceptionReporter(response.wsgi_request, RuntimeError, RuntimeError("boom"), None).get_traceback_text()


def test_an_error_report_never_carries_the_forms_secrets(world, hook, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(channel_views, "channel_create", fail)
    monkeypatch.setattr(channel_views, "channel_update", fail)
    browser = browser_for(world.clerk)
    posts = [
        (reverse("messages:unit_channels", args=[world.unit_a.pk]), {"kind": "wecom", "url": WECOM}),
        (reverse("messages:integrations"), {"kind": "webhook", "url": HOOK, "key": BEARER, "secret": SECRET}),
        (reverse("messages:channel_edit", args=[hook.pk]), {"url": HOOK, "key": BEARER, "secret": SECRET}),
    ]
    for url, form in posts:
        response = browser.post(url, {"name": "群名", "events": ["assignment.overdue"], **form})
        assert response.status_code == 500, url
        report = _report(response)
        assert "群名" in report, url  # the report has the form …
        for secret in (WECOM_KEY, QUERY_TOKEN, BEARER, SECRET):
            assert secret not in report, (url, secret)  # … but not what it must keep


def test_a_webhooks_query_is_not_shown_again(client, world, hook):
    assert address_shown(hook.url) == "https://oa.example.gov.cn/hook?…"
    browser = signed_in(client, world.clerk)
    page = browser.get(reverse("messages:integrations")).content.decode()
    assert "https://oa.example.gov.cn/hook?…" in page and QUERY_TOKEN not in page
    edit = browser.get(reverse("messages:channel_edit", args=[hook.pk])).content.decode()
    assert 'value="https://oa.example.gov.cn/hook?…"' in edit and QUERY_TOKEN not in edit
    assert "leave “?…” as it is to keep it" in edit
    # A robot's address has no query left once its key is split off: shown whole.
    robot = channel_create(actor=world.clerk, unit_id=world.unit_a.pk, kind="wecom", name="群", url=WECOM).channel
    assert address_shown(robot.url) == robot.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


def test_the_address_given_back_as_shown_keeps_its_query(client, world, hook):
    browser = signed_in(client, world.clerk)
    response = browser.post(
        reverse("messages:channel_edit", args=[hook.pk]),
        {"name": "OA系统", "url": "https://oa.example.gov.cn/hook?…", "events": ["assignment.overdue"]},
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.name == "OA系统" and hook.url == HOOK
    # Left out, the query goes; given whole, it is replaced.
    channel_update(actor=world.clerk, channel=hook, name="OA", url="https://oa.example.gov.cn/hook")
    hook.refresh_from_db()
    assert hook.url == "https://oa.example.gov.cn/hook"
    channel_update(actor=world.clerk, channel=hook, name="OA", url="https://oa.example.gov.cn/hook?access=new")
    hook.refresh_from_db()
    assert hook.url == "https://oa.example.gov.cn/hook?access=new"


def test_an_ellipsis_anywhere_else_is_refused(world, hook):
    for url in ("https://oa.example.gov.cn/other?…", "https://oa.example.gov.cn/hook?access=…"):
        with pytest.raises(InvalidInput, match="stands for the part of the saved address that is not shown"):
            channel_update(actor=world.clerk, channel=hook, name="OA", url=url)
    hook.refresh_from_db()
    assert hook.url == HOOK
