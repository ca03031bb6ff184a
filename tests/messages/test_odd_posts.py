"""The message pages posted odd input by every kind of person: NUL and other control characters,
digits int() refuses, numbers past any column, very long text, markup. The answer is a page, a
redirect or a refusal, never a 500, and nothing is saved. Run on PostgreSQL too: a NUL only
fails there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision.models import Channel, ChannelKind, MessagePreference
from supervision.services.channels import channel_create
from tests.factories import browser_for
from tests.messages.scene import WECOM

ODD = ["", "\x00", "²", "٣", "9" * 40, str(2**63), "-1", "x" * 5000, "<script>", "1\x001", "https://a\x00.cn/?key=1"]
PEOPLE = ("clerk", "director", "observer", "leader_a", "liaison_a", "outsider")


def _posts(world, channel: Channel) -> list[tuple[str, dict]]:
    posts = []
    for v in ODD:
        form = {"kind": v, "name": v, "url": v, "secret": v, "events": [v, v], "quiet_hours": v, "renew_secret": v}
        posts += [
            (reverse("messages:unit_channels", args=[world.unit_a.pk]), form),
            (reverse("messages:unit_channels", args=[world.unit_a.pk]), form | {"kind": "wecom", "name": "群"}),
            (reverse("messages:unit_channels", args=[10**30]), form),
            (reverse("messages:integrations"), form | {"kind": "webhook"}),
            (reverse("messages:channel_edit", args=[channel.pk]), form),
            (reverse("messages:channel_edit", args=[10**30]), form),
            (reverse("messages:channel_act", args=[channel.pk, "explode"]), {"x": v}),
            (reverse("messages:channel_act", args=[10**30, "delete"]), {"x": v}),
            (reverse("messages:channel_test", args=[10**30]), {"x": v}),
            (reverse("messages:delivery_retry", args=[10**30]), {"next": v}),
            (reverse("messages:retry_selected"), {"id": [v, v], "next": v}),
            (reverse("messages:job_retry", args=["5f0c1e7e-0000-4000-8000-000000000000"]), {"next": v}),
            (
                reverse("messages:preferences"),
                {
                    "email": v,
                    "email_address": v,
                    "events": [v],
                    "digest": v,
                    "quiet_start": v,
                    "quiet_end": v,
                    "quiet_rest_days": v,
                },
            ),
        ]
    return posts


@pytest.mark.parametrize("who", PEOPLE)
def test_odd_posts_never_answer_500_and_save_nothing(world, who):
    channel = channel_create(
        actor=world.clerk, unit_id=world.unit_a.pk, kind=ChannelKind.WECOM, name="群", url=WECOM
    ).channel
    before = list(Channel.objects.values())
    client = browser_for(getattr(world, who))
    for url, form in _posts(world, channel):
        response = client.post(url, form)
        assert response.status_code < 500, (who, url, form)
    assert list(Channel.objects.values()) == before
    assert not MessagePreference.objects.exists()
    for v in ODD:
        for url, query in (
            (reverse("messages:channels"), {"q": v}),
            (reverse("messages:monitor"), {"status": v, "kind": v, "unit": v, "page": v}),
        ):
            response = client.get(url, query)
            assert response.status_code < 500, (who, url, v)
