"""The channel pages through the test client: who opens which, adding a robot by pasting its
address, a refused address shown on the form, the webhook secret shown once, no secret in any
page after saving, and the unit page's query count however many channels and deliveries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.models import AuditEvent, Channel, ChannelKind
from supervision.services.channels import channel_create
from tests.helpers import page_messages, signed_in
from tests.messages.scene import DINGTALK, DINGTALK_SECRET, DINGTALK_TOKEN, WECOM, WECOM_KEY, delivered


def _robot(world, unit, kind=ChannelKind.WECOM, **kw):
    args = {"url": WECOM} if kind == ChannelKind.WECOM else {"url": DINGTALK, "secret": DINGTALK_SECRET}
    return channel_create(actor=world.clerk, unit_id=unit.pk, kind=kind, **({"name": "整改工作群"} | args | kw)).channel


# Who gets what: 200, a redirect (a leader of one unit goes to its page), or 403.
MATRIX = [
    ("clerk", {"index": 200, "own": 200, "other": 200, "integrations": 200, "edit": 200}),
    ("director", {"index": 200, "own": 200, "other": 200, "integrations": 200, "edit": 200}),
    ("inspector", {"index": 403, "own": 403, "other": 403, "integrations": 403, "edit": 404}),
    ("observer", {"index": 403, "own": 403, "other": 403, "integrations": 403, "edit": 404}),
    ("leader_a", {"index": 302, "own": 200, "other": 403, "integrations": 403, "edit": 200}),
    ("leader_b", {"index": 302, "own": 403, "other": 200, "integrations": 403, "edit": 404}),
    ("liaison_a", {"index": 403, "own": 403, "other": 403, "integrations": 403, "edit": 404}),
    ("outsider", {"index": 403, "own": 403, "other": 403, "integrations": 403, "edit": 404}),
]


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_who_opens_which_channel_page(client, world, who, expected):
    c = _robot(world, world.unit_a)
    browser = signed_in(client, getattr(world, who))
    urls = {
        "index": reverse("messages:channels"),
        "own": reverse("messages:unit_channels", args=[world.unit_a.pk]),
        "other": reverse("messages:unit_channels", args=[world.unit_b.pk]),
        "integrations": reverse("messages:integrations"),
        "edit": reverse("messages:channel_edit", args=[c.pk]),
    }
    got = {name: browser.get(url).status_code for name, url in urls.items()}
    assert got == expected
    # Posting is refused the same way: nothing is added or changed by who may not.
    form = {"kind": "wecom", "name": "x", "url": WECOM, "events": ["assignment.overdue"]}
    response = browser.post(urls["other"], form)
    assert response.status_code in (200, 302, 400) if expected["other"] == 200 else response.status_code == 403
    for action in ("disable", "delete"):
        browser.post(reverse("messages:channel_act", args=[c.pk, action]))
    still = Channel.objects.filter(pk=c.pk).first()
    if expected["edit"] == 404:
        assert still is not None and still.enabled


def test_a_leader_of_one_unit_lands_on_its_page(client, world):
    response = signed_in(client, world.leader_a).get(reverse("messages:channels"))
    assert response["Location"] == reverse("messages:unit_channels", args=[world.unit_a.pk])


def test_the_office_picks_a_unit_by_name(client, world):
    _robot(world, world.unit_b)
    page = signed_in(client, world.clerk).get(reverse("messages:channels"), {"q": "甲县"})
    assert [u.pk for u in page.context["found"]] == [world.unit_a.pk]
    assert [u.unit_id for u in page.context["with_channels"]] == [world.unit_b.pk]


def test_a_leader_adds_the_units_wecom_robot_by_pasting_its_address(client, world):
    browser = signed_in(client, world.leader_a)
    url = reverse("messages:unit_channels", args=[world.unit_a.pk])
    page = browser.get(url)
    # A new robot carries the robot defaults, ticked.
    assert set(page.context["form"].initial["events"]) >= {"assignment.overdue", "assignment.reminded"}
    response = browser.post(
        url,
        {"kind": "wecom", "name": "甲县整改群", "url": WECOM, "events": ["assignment.overdue"], "quiet_hours": "on"},
        follow=True,
    )
    assert "The channel 甲县整改群 is saved." in page_messages(response)
    c = Channel.objects.get()
    assert (c.unit, c.kind, c.events, c.quiet_hours) == (world.unit_a, "wecom", ["assignment.overdue"], True)
    html = response.content.decode()
    assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send" in html and WECOM_KEY not in html


@pytest.mark.parametrize(
    ("form", "why"),
    [
        ({"kind": "wecom", "url": "qyapi.weixin.qq.com/send?key=abcdefgh1"}, "must begin with https://"),
        ({"kind": "wecom", "url": DINGTALK}, "address of a DingTalk robot"),
        ({"kind": "dingtalk", "url": WECOM, "secret": DINGTALK_SECRET}, "address of a WeCom robot"),
        ({"kind": "dingtalk", "url": DINGTALK}, "signing secret (加签"),
        ({"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "with key=… at its end"),
        ({"kind": "webhook", "url": "https://oa.example.gov.cn/h"}, "Select a valid choice"),
    ],
)
def test_a_refused_address_is_shown_on_the_form_and_nothing_is_saved(client, world, form, why):
    url = reverse("messages:unit_channels", args=[world.unit_a.pk])
    response = signed_in(client, world.clerk).post(url, {"name": "群", "events": ["assignment.overdue"], **form})
    assert response.status_code == 400
    assert why in response.content.decode()
    assert not Channel.objects.exists() and not AuditEvent.objects.filter(action__startswith="channel.").exists()
    # What was typed into the secret field is not sent back.
    assert DINGTALK_SECRET not in response.content.decode()


def test_a_webhooks_generated_secret_is_shown_once_and_never_again(client, world):
    browser = signed_in(client, world.clerk)
    response = browser.post(
        reverse("messages:integrations"),
        {"kind": "webhook", "name": "OA系统", "url": "https://oa.example.gov.cn/hook", "events": ["letter.issued"]},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert len(secret) >= 32 and secret in response.content.decode()
    c = Channel.objects.get()
    for url in (reverse("messages:integrations"), reverse("messages:channel_edit", args=[c.pk])):
        html = browser.get(url).content.decode()
        assert secret not in html and "Set" in html
    # Renewed on the channel's page: the new one is shown once, the old one works no more.
    response = browser.post(
        reverse("messages:channel_edit", args=[c.pk]),
        {"name": "OA系统", "url": "https://oa.example.gov.cn/hook", "events": ["letter.issued"], "renew_secret": "on"},
    )
    renewed = response.context["secret"]
    assert renewed != secret and renewed in response.content.decode()
    assert renewed not in browser.get(reverse("messages:integrations")).content.decode()


def test_no_key_or_secret_shows_on_any_page_after_saving(client, world):
    wecom = _robot(world, world.unit_a)
    ding = _robot(world, world.unit_a, kind=ChannelKind.DINGTALK)
    delivered(channel=ding)
    for who in (world.clerk, world.leader_a):
        browser = signed_in(client.__class__(), who)
        pages = [
            reverse("messages:unit_channels", args=[world.unit_a.pk]),
            reverse("messages:channel_edit", args=[wecom.pk]),
            reverse("messages:channel_edit", args=[ding.pk]),
        ]
        for url in pages:
            html = browser.get(url).content.decode()
            for secret in (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, wecom.key_encrypted, ding.secret_encrypted):
                assert secret not in html, url
    html = signed_in(client, world.leader_a).get(reverse("messages:channel_edit", args=[ding.pk])).content.decode()
    assert "Set" in html and "type a new one below to replace it" in html


def test_saving_a_robot_unchanged_keeps_its_key(client, world):
    from supervision.crypto import decrypt

    c = _robot(world, world.unit_a, kind=ChannelKind.DINGTALK)
    browser = signed_in(client, world.leader_a)
    form = browser.get(reverse("messages:channel_edit", args=[c.pk])).context["form"]
    data = {"name": "新名字", "url": form.initial["url"], "events": form.initial["events"], "quiet_hours": "on"}
    response = browser.post(reverse("messages:channel_edit", args=[c.pk]), data)
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.name == "新名字" and decrypt(c.key_encrypted) == DINGTALK_TOKEN
    assert decrypt(c.secret_encrypted) == DINGTALK_SECRET


def test_turning_a_channel_off_and_deleting_it_from_its_page(client, world):
    c = _robot(world, world.unit_a)
    browser = signed_in(client, world.leader_a)
    response = browser.post(reverse("messages:channel_act", args=[c.pk, "disable"]), follow=True)
    assert "is off" in page_messages(response) and not Channel.objects.get().enabled
    assert browser.post(reverse("messages:channel_act", args=[c.pk, "explode"])).status_code == 404
    browser.post(reverse("messages:channel_act", args=[c.pk, "delete"]))
    assert not Channel.objects.exists()


def test_the_unit_page_reads_the_same_number_of_queries_however_many_channels(client, world):
    browser = signed_in(client, world.leader_a)
    url = reverse("messages:unit_channels", args=[world.unit_a.pk])
    first = _robot(world, world.unit_a)
    delivered(channel=first)
    browser.get(url)
    with CaptureQueriesContext(connection) as small:
        browser.get(url)
    for n in range(4):
        c = _robot(world, world.unit_a, name=f"群{n}")
        for _ in range(7):  # more than the page shows
            delivered(channel=c)
    with CaptureQueriesContext(connection) as large:
        response = browser.get(url)
    assert len(response.context["rows"]) == 5
    assert all(len(row.recent) == 5 for row in response.context["rows"][1:])
    assert len(large) == len(small)
