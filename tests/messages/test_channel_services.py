"""Channel services: who may configure which channels, how a pasted robot address is split and
its key kept encrypted, and what a refused address says (with nothing changed)."""

from __future__ import annotations

import pytest

from supervision.crypto import decrypt
from supervision.events import ROBOT_DEFAULT
from supervision.models import AuditEvent, Channel, ChannelKind
from supervision.services import InvalidInput, NotAllowed
from supervision.services.channels import (
    channel_create,
    channel_delete,
    channel_disable,
    channel_enable,
    channel_update,
)
from tests.helpers import last_audit_id, new_audit
from tests.messages.scene import DINGTALK, DINGTALK_SECRET, DINGTALK_TOKEN, WECOM, WECOM_KEY


def _wecom(actor, unit, **kw):
    args = {"kind": ChannelKind.WECOM, "name": "甲县整改工作群", "url": WECOM} | kw
    return channel_create(actor=actor, unit_id=unit.pk if unit else None, **args).channel


def test_a_pasted_wecom_address_is_split_and_its_key_kept_encrypted(world):
    c = _wecom(world.clerk, world.unit_a)
    assert c.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    assert WECOM_KEY not in c.key_encrypted and decrypt(c.key_encrypted) == WECOM_KEY
    assert c.secret_encrypted == ""
    assert set(c.events) == ROBOT_DEFAULT and c.quiet_hours and c.enabled
    [row] = AuditEvent.objects.filter(action="channel.created")
    assert (row.actor, row.actor_role, row.actor_unit) == (world.clerk, "clerk", world.office)
    assert row.data["unit"] == world.unit_a.pk and row.data["key_set"] is True


def test_a_dingtalk_robot_keeps_its_token_and_signing_secret_apart(world):
    saved = channel_create(
        actor=world.leader_a,
        unit_id=world.unit_a.pk,
        kind=ChannelKind.DINGTALK,
        name="钉钉群",
        url=DINGTALK,
        secret=DINGTALK_SECRET,
        events=["assignment.overdue"],
    )
    c = saved.channel
    assert saved.new_secret == ""  # nothing generated: the page shows nothing once
    assert c.url == "https://oapi.dingtalk.com/robot/send"
    assert decrypt(c.key_encrypted) == DINGTALK_TOKEN and decrypt(c.secret_encrypted) == DINGTALK_SECRET
    assert c.events == ["assignment.overdue"]
    row = AuditEvent.objects.get(action="channel.created")
    assert (row.actor_role, row.actor_unit_id) == ("leader", world.unit_a.pk)


def test_a_webhook_secret_is_generated_when_left_blank_and_handed_back_once(world):
    saved = channel_create(
        actor=world.director, unit_id=None, kind=ChannelKind.WEBHOOK, name="OA", url="https://oa.example.gov.cn/hook"
    )
    assert len(saved.new_secret) >= 32 and decrypt(saved.channel.secret_encrypted) == saved.new_secret
    # Every event by default, at any hour: an integration decides itself what to keep.
    assert len(saved.channel.events) > len(ROBOT_DEFAULT) and not saved.channel.quiet_hours
    # Saved again without a secret: the stored one stays, and nothing is handed back.
    again = channel_update(
        actor=world.clerk, channel=saved.channel, name="OA系统", url="https://oa.example.gov.cn/hook2", secret=""
    )
    assert again.new_secret == "" and decrypt(again.channel.secret_encrypted) == saved.new_secret
    renewed = channel_update(
        actor=world.clerk,
        channel=saved.channel,
        name="OA系统",
        url="https://oa.example.gov.cn/hook2",
        renew_secret=True,
    )
    assert renewed.new_secret not in ("", saved.new_secret)
    assert decrypt(Channel.objects.get().secret_encrypted) == renewed.new_secret


def test_secrets_never_reach_the_audit_trail(world):
    saved = channel_create(
        actor=world.clerk,
        unit_id=world.unit_b.pk,
        kind=ChannelKind.DINGTALK,
        name="钉钉群",
        url=DINGTALK,
        secret=DINGTALK_SECRET,
    )
    hook = channel_create(
        actor=world.clerk, unit_id=None, kind="webhook", name="OA", url="https://oa.example.gov.cn/h?t=1"
    )
    channel_update(actor=world.clerk, channel=saved.channel, name="新名", url=DINGTALK, secret="SEC" + "ab" * 20)
    channel_update(
        actor=world.clerk, channel=hook.channel, name="OA", url="https://oa.example.gov.cn/h", renew_secret=True
    )
    text = str(list(AuditEvent.objects.values_list("data", "comment")))
    for secret in (DINGTALK_TOKEN, DINGTALK_SECRET, "SEC" + "ab" * 20, hook.new_secret, "t=1"):
        assert secret not in text
    updated = AuditEvent.objects.filter(action="channel.updated").first()
    assert updated.data["key_replaced"] and updated.data["secret_replaced"] and "name" in updated.data["changed"]


@pytest.mark.parametrize(
    ("kind", "url", "secret", "why"),
    [
        (ChannelKind.WECOM, "", "", "Give the address"),
        (ChannelKind.WECOM, "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh1", "", "must begin with https://"),
        (ChannelKind.WECOM, "ftp://qyapi.weixin.qq.com/x?key=abcdefgh1", "", "must begin with https://"),
        (ChannelKind.WECOM, "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh1", "", "https://"),
        (ChannelKind.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "", "with key=… at its end"),
        (
            ChannelKind.WECOM,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a%20b",
            "",
            "not a WeCom robot's key",
        ),
        (ChannelKind.WECOM, DINGTALK, "", "address of a DingTalk robot"),
        (ChannelKind.WECOM, "https://u:p@qyapi.weixin.qq.com/send?key=abcdefgh1", "", "user name or password"),
        (ChannelKind.WECOM, "https://qyapi.weixin.qq.com:99999/send?key=abcdefgh1", "", "not a web address"),
        (ChannelKind.WECOM, WECOM, "SECabcdefgh12", "no signing secret"),
        (ChannelKind.DINGTALK, WECOM, DINGTALK_SECRET, "address of a WeCom robot"),
        (ChannelKind.DINGTALK, DINGTALK, "", "signing secret (加签"),
        (ChannelKind.DINGTALK, DINGTALK, "abcdefabcdef", "begins with SEC"),
        (ChannelKind.DINGTALK, "https://oapi.dingtalk.com/robot/send", DINGTALK_SECRET, "access_token=…"),
        (ChannelKind.WEBHOOK, "https://oa.example.gov.cn/h", "", "group robot"),
        (ChannelKind.EMAIL, WECOM, "", "WeCom or DingTalk group robot"),
        ("nonsense", WECOM, "", "WeCom or DingTalk group robot"),
    ],
)
def test_a_refused_unit_channel_says_why_and_changes_nothing(world, kind, url, secret, why):
    before = last_audit_id()
    with pytest.raises(InvalidInput) as refused:
        channel_create(actor=world.clerk, unit_id=world.unit_a.pk, kind=kind, name="群", url=url, secret=secret)
    assert why in str(refused.value)
    assert not Channel.objects.exists() and new_audit(before) == []


@pytest.mark.parametrize(
    ("url", "secret", "why"),
    [
        ("http://oa.example.gov.cn/hook", "", "http:// only to this machine"),
        (WECOM, "", "group robot's address"),
        (DINGTALK, "", "group robot's address"),
        ("https://oa.example.gov.cn/hook", "short", "at least 16 characters"),
        ("https://oa.example.gov.cn/hook", "has spaces in it, many", "without spaces"),
        ("https://" + "a" * 600 + ".cn/", "", "too long"),
    ],
)
def test_a_refused_webhook_says_why_and_changes_nothing(world, url, secret, why):
    with pytest.raises(InvalidInput) as refused:
        channel_create(actor=world.clerk, unit_id=None, kind="webhook", name="OA", url=url, secret=secret)
    assert why in str(refused.value)
    assert not Channel.objects.exists()


def test_http_goes_only_to_this_machine_unless_in_development(world, settings):
    for url in ("http://127.0.0.1:8025/webhook", "http://localhost:8025/webhook"):
        assert channel_create(actor=world.clerk, unit_id=None, kind="webhook", name="本机", url=url).channel.pk
    settings.DEBUG = True
    assert channel_create(actor=world.clerk, unit_id=None, kind="webhook", name="测试", url="http://test.lan/hook")


def test_events_must_come_from_the_catalog_and_one_at_least(world):
    for chosen, why in ((["no.such.event"], "from the list"), ([], "at least one event")):
        with pytest.raises(InvalidInput, match=why):
            _wecom(world.clerk, world.unit_a, events=chosen)
    assert not Channel.objects.exists()


@pytest.mark.parametrize(
    ("who", "unit", "allowed"),
    [
        ("clerk", "unit_a", True),
        ("director", "unit_b", True),
        ("clerk", "office", True),
        ("inspector", "unit_a", False),
        ("observer", "unit_a", False),
        ("leader_a", "unit_a", True),
        ("leader_a", "unit_b", False),
        ("liaison_a", "unit_a", False),
        ("outsider", "unit_a", False),
    ],
)
def test_who_may_add_a_units_robot(world, who, unit, allowed):
    actor, target = getattr(world, who), getattr(world, unit)
    if allowed:
        assert _wecom(actor, target).unit_id == target.pk
    else:
        with pytest.raises(NotAllowed):
            _wecom(actor, target)
        assert not Channel.objects.exists()


@pytest.mark.parametrize(
    ("who", "allowed"), [("clerk", True), ("director", True), ("leader_a", False), ("inspector", False)]
)
def test_only_the_offices_clerks_and_directors_configure_integrations(world, who, allowed):
    def create():
        return channel_create(actor=getattr(world, who), unit_id=None, kind="webhook", name="OA", url="https://a.cn/h")

    if allowed:
        assert create().channel.unit_id is None
    else:
        with pytest.raises(NotAllowed):
            create()


def test_changing_a_robot_keeps_its_key_unless_the_address_is_pasted_again(world):
    c = _wecom(world.leader_a, world.unit_a)
    # The page shows the address without its key; saved as it is, the key stays.
    channel_update(
        actor=world.leader_a, channel=c, name="群", url=c.url, events=["assignment.overdue"], quiet_hours=False
    )
    c.refresh_from_db()
    assert decrypt(c.key_encrypted) == WECOM_KEY and c.events == ["assignment.overdue"] and not c.quiet_hours
    channel_update(actor=world.leader_a, channel=c, name="群", url=c.url + "?key=newkey-12345678")
    c.refresh_from_db()
    assert decrypt(c.key_encrypted) == "newkey-12345678"
    # Another unit's leader may not change it, nor may the liaison.
    for other in (world.leader_b, world.liaison_a):
        with pytest.raises(NotAllowed):
            channel_update(actor=other, channel=c, name="x", url=c.url)
    assert Channel.objects.get().name == "群"


def test_turning_off_on_and_deleting_are_audited(world):
    c = _wecom(world.clerk, world.unit_a)
    with pytest.raises(NotAllowed):
        channel_disable(actor=world.leader_b, channel=c)
    assert channel_disable(actor=world.leader_a, channel=c).enabled is False
    assert channel_enable(actor=world.clerk, channel=c.pk).enabled is True
    with pytest.raises(NotAllowed):
        channel_delete(actor=world.liaison_a, channel=c)
    channel_delete(actor=world.director, channel=c)
    assert not Channel.objects.exists()
    actions = list(AuditEvent.objects.filter(action__startswith="channel.").values_list("action", flat=True))
    assert actions == ["channel.created", "channel.disabled", "channel.enabled", "channel.deleted"]
    with pytest.raises(NotAllowed):
        channel_delete(actor=world.director, channel=c.pk)


def test_a_webhook_may_carry_the_receiving_systems_access_token(world):
    token = "oa-token-" + "x" * 20
    c = channel_create(
        actor=world.clerk, unit_id=None, kind="webhook", name="OA", url="https://oa.example.gov.cn/h", key=token
    ).channel
    assert decrypt(c.key_encrypted) == token
    channel_update(actor=world.clerk, channel=c, name="OA", url=c.url, key="")
    c.refresh_from_db()
    assert decrypt(c.key_encrypted) == token
    with pytest.raises(InvalidInput, match="access token is at least 16 characters"):
        channel_update(actor=world.clerk, channel=c, name="OA", url=c.url, key="short")
    assert token not in str(list(AuditEvent.objects.values_list("data", flat=True)))
