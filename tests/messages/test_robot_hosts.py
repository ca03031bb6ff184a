"""A group robot's address is on its provider's server: a unit's leader, who may add robots,
cannot have this server call hosts of the internal network (and read what they answered on the
channel page). A proxy the office lists in ROBOT_EXTRA_HOSTS is allowed too, and the local
receiver only in development. Webhooks, the office's alone, stay open to any https address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision.models import Channel, ChannelKind
from supervision.services import InvalidInput
from supervision.services.channels import channel_create, channel_update
from tests.helpers import last_audit_id, new_audit, signed_in
from tests.messages.scene import DINGTALK, DINGTALK_SECRET, WECOM

KEY = "key=693a91f6-7a1b-4bc4-97a0"


@pytest.fixture
def production(settings):
    """A production server: DEBUG off, and not a development installation either."""
    settings.DEBUG = False
    settings.DEVELOPMENT_MODE = False
    return settings


def _wecom(actor, unit, url):
    return channel_create(actor=actor, unit_id=unit.pk, kind=ChannelKind.WECOM, name="群", url=url).channel


@pytest.mark.parametrize(
    "url",
    [
        f"http://169.254.169.254/latest/meta-data/?{KEY}",  # a cloud's metadata service
        f"https://169.254.169.254/?{KEY}",
        f"https://10.0.0.5/cgi-bin/webhook/send?{KEY}",  # a host of the internal network
        f"http://10.0.0.5:6379/?{KEY}",
        f"http://127.0.0.1:5432/?{KEY}",  # this machine's own services
        f"http://localhost:8025/wecom?{KEY}",
        f"https://qyapi.weixin.qq.com.internal.lan/cgi-bin/webhook/send?{KEY}",
        f"https://qyapi.weixin.qq.com:8443/cgi-bin/webhook/send?{KEY}",  # the provider, on another port
        f"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?{KEY}",  # … without TLS
    ],
)
def test_a_leader_cannot_point_a_robot_inside_the_network(world, production, url):
    before = last_audit_id()
    with pytest.raises(InvalidInput, match="begins with https://qyapi.weixin.qq.com/") as refused:
        _wecom(world.leader_a, world.unit_a, url)
    assert refused.value.field == "url"
    assert not Channel.objects.exists() and new_audit(before) == []


def test_nor_move_one_there(world, production):
    robot = _wecom(world.leader_a, world.unit_a, WECOM)
    with pytest.raises(InvalidInput, match="begins with https://oapi.dingtalk.com/"):
        channel_create(
            actor=world.leader_a,
            unit_id=world.unit_a.pk,
            kind=ChannelKind.DINGTALK,
            name="钉钉群",
            url="https://10.0.0.5/robot/send?access_token=" + "ab" * 16,
            secret=DINGTALK_SECRET,
        )
    with pytest.raises(InvalidInput, match="begins with https://qyapi.weixin.qq.com/"):
        channel_update(actor=world.leader_a, channel=robot, name="群", url=f"https://10.0.0.5/send?{KEY}")
    robot.refresh_from_db()
    assert robot.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


def test_the_providers_own_addresses_are_accepted(world, production):
    assert _wecom(world.leader_a, world.unit_a, WECOM).url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    ding = channel_create(
        actor=world.leader_b,
        unit_id=world.unit_b.pk,
        kind=ChannelKind.DINGTALK,
        name="钉钉群",
        url=DINGTALK,
        secret=DINGTALK_SECRET,
    ).channel
    assert ding.url == "https://oapi.dingtalk.com/robot/send"
    # The provider's host written with its own port is the same server.
    assert _wecom(world.clerk, world.unit_a, f"https://QYAPI.weixin.qq.com:443/cgi-bin/webhook/send?{KEY}").pk


def test_the_office_may_list_a_proxy_and_point_the_providers_elsewhere(world, production):
    production.ROBOT_EXTRA_HOSTS = ["robot-proxy.gov.example", "relay.gov.example:8443", "http://10.1.2.3:8080"]
    for url in (
        f"https://robot-proxy.gov.example/cgi-bin/webhook/send?{KEY}",
        f"https://relay.gov.example:8443/cgi-bin/webhook/send?{KEY}",
        f"http://10.1.2.3:8080/cgi-bin/webhook/send?{KEY}",
    ):
        assert _wecom(world.leader_a, world.unit_a, url).pk, url
    for url in (
        f"http://robot-proxy.gov.example/cgi-bin/webhook/send?{KEY}",  # https unless the entry says http
        f"https://relay.gov.example/cgi-bin/webhook/send?{KEY}",  # that entry's port only
        f"https://10.1.2.3:8081/?{KEY}",
    ):
        with pytest.raises(InvalidInput, match="begins with"):
            _wecom(world.leader_a, world.unit_a, url)
    # An air-gapped site points the provider's address at its own relay: that server is the robot's.
    production.WECOM_WEBHOOK_URL = "http://wecom-relay.gov.example:9000/cgi-bin/webhook/send"
    assert _wecom(world.leader_a, world.unit_a, f"http://wecom-relay.gov.example:9000/cgi-bin/webhook/send?{KEY}").pk
    with pytest.raises(InvalidInput, match="begins with http://wecom-relay.gov.example:9000/"):
        _wecom(world.leader_a, world.unit_a, WECOM)


def test_the_local_receiver_is_allowed_in_development(world, settings):
    settings.DEBUG = False
    settings.DEVELOPMENT_MODE = True  # the test suite's own setting, as `make run`'s DEBUG=1
    assert _wecom(world.leader_a, world.unit_a, f"http://127.0.0.1:8025/wecom?{KEY}").pk
    settings.DEVELOPMENT_MODE = False
    settings.DEBUG = True
    assert _wecom(world.leader_a, world.unit_a, f"http://localhost:8025/wecom?{KEY}").pk
    # Only this machine: development opens no other host.
    with pytest.raises(InvalidInput, match="begins with"):
        _wecom(world.leader_a, world.unit_a, f"https://10.0.0.5/?{KEY}")


def test_webhooks_stay_open_to_any_https_address(world, production):
    hook = channel_create(
        actor=world.clerk, unit_id=None, kind=ChannelKind.WEBHOOK, name="OA", url="https://10.20.0.8/hook"
    ).channel
    assert hook.url == "https://10.20.0.8/hook"
    with pytest.raises(InvalidInput, match="https://"):
        channel_create(actor=world.clerk, unit_id=None, kind=ChannelKind.WEBHOOK, name="OA", url="http://10.20.0.8/h")


def test_the_page_says_why_the_address_is_refused(client, world, production):
    response = signed_in(client, world.leader_a).post(
        reverse("messages:unit_channels", args=[world.unit_a.pk]),
        {"kind": "wecom", "name": "群", "url": f"http://169.254.169.254/?{KEY}", "events": ["assignment.overdue"]},
    )
    assert response.status_code == 400
    assert "A group robot&#x27;s address begins with https://qyapi.weixin.qq.com/" in response.content.decode()
    assert not Channel.objects.exists()
