"""Message channels when several offices share a deployment: an office's webhook is its own
integration (its unit is the office) and hears only of the office's own letters, their tasks and
sub-tasks, and of the office as a unit; a city's clerk keeps the city's channels and its units'
robots, and never sees, changes or receives another office's. A channel of no unit is
deployment-wide: only a top office's clerks and directors keep it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision import clock, services
from supervision.models import Channel, ChannelKind, Delivery, OutboxEvent
from supervision.outbox.expand import events_expand
from supervision.outbox.services import channel_test_message
from supervision.services.channel_input import default_events
from supervision.services.channels import channel_create, channel_delete, channel_disable
from tests.cycles import FAR_DEADLINE, at, issue_at, mine
from tests.factories import signed_in
from tests.messages.scene import WECOM

HOOK = "https://oa.example.gov.cn/hook"


def _hook(actor, unit, name="OA") -> Channel:
    return channel_create(
        actor=actor, unit_id=unit.pk if unit else None, kind=ChannelKind.WEBHOOK, name=name, url=HOOK
    ).channel


def _expanded() -> None:
    while events_expand(now=clock.now()):
        pass


def _heard(channel: Channel) -> set[tuple[str, int | None]]:
    """(event, letter) of every delivery to the channel."""
    return set(Delivery.objects.filter(channel=channel).values_list("event__name", "event__letter_id"))


def test_another_citys_webhook_hears_nothing_of_the_citys_letters(province_tree, client):
    w = province_tree
    # 另市's clerk cannot add a deployment-wide channel; the page adds the webhook as 另市's own.
    with pytest.raises(services.NotAllowed):
        _hook(w.other.clerk, None)
    browser = signed_in(client, w.other.clerk)
    response = browser.post(
        reverse("messages:integrations"),
        {"kind": "webhook", "name": "另市平台", "url": HOOK, "events": default_events("webhook")},
    )
    assert response.status_code == 200  # the secret, shown once
    other_hook = Channel.objects.get(name="另市平台")
    assert other_hook.unit_id == w.city2.pk
    city_hook = _hook(w.clerk, w.office, "本市接口")
    prov_hook = _hook(w.prov.clerk, w.province, "省平台")
    everything = _hook(w.prov.clerk, None, "全域平台")

    # The city's letter is issued, claimed, and broken down by 甲县 to a township.
    letter = issue_at(at("2024-01-02"), w, items=1, units=[w.unit_a], deadline=FAR_DEADLINE)
    [task] = mine(letter, w.unit_a)
    with clock.frozen(at("2024-01-02", "11:00")):
        services.assignment_claim(actor=w.liaison_a, assignment=task.pk)
        services.assignment_break_down(
            actor=w.liaison_a,
            assignment=task.pk,
            parts=[services.SubTaskPart(unit_id=w.town_a1.pk, deadline=FAR_DEADLINE, measures="东镇负责")],
        )
    # The province's letter to both cities, and 另市's own letter to its county.
    prov_letter = issue_at(at("2024-01-02"), w.prov, items=1, units=[w.office, w.city2], deadline=FAR_DEADLINE)
    other_letter = issue_at(at("2024-01-02"), w.other, items=1, units=[w.unit_d], deadline=FAR_DEADLINE)
    with clock.frozen(at("2024-01-03")):
        _expanded()

    city_events = {n for n, lid in _heard(city_hook) if lid == letter.pk}
    assert {"letter.issued", "letter.signed", "assignment.claimed", "assignment.handed_down"} <= city_events
    # 另市 hears of its own letter and of the province's letter addressed to it, nothing of the city's.
    assert {lid for _n, lid in _heard(other_hook)} == {other_letter.pk, prov_letter.pk}
    assert ("letter.issued", prov_letter.pk) in _heard(other_hook)
    # The city hears of the province's letter to it, as a unit; never of 另市's letter.
    assert {lid for _n, lid in _heard(city_hook)} == {letter.pk, prov_letter.pk}
    # The province hears of its own letter only; the deployment-wide channel of every letter.
    assert {lid for _n, lid in _heard(prov_hook)} == {prov_letter.pk}
    assert {lid for _n, lid in _heard(everything)} == {letter.pk, prov_letter.pk, other_letter.pk}
    # What 另市's integration was sent names nothing of the city's letter.
    sent = OutboxEvent.objects.filter(deliveries__channel=other_hook)
    assert not any(letter.number in (e.text + str(e.payload)) for e in sent)


def test_who_keeps_which_channels(province):
    w = province
    # A unit's robots: the clerks of the nearest office above it, and its leader.
    robot = channel_create(actor=w.clerk, unit_id=w.unit_a.pk, kind=ChannelKind.WECOM, name="甲县群", url=WECOM).channel
    for outsider in (w.other.clerk, w.other.director, w.prov.clerk, w.city_liaison, w.city_leader):
        with pytest.raises(services.NotAllowed):
            channel_disable(actor=outsider, channel=robot.pk)
        with pytest.raises(services.NotAllowed):
            channel_create(actor=outsider, unit_id=w.unit_a.pk, kind=ChannelKind.WECOM, name="x", url=WECOM)
    channel_disable(actor=w.leader_a, channel=robot.pk)
    channel_create(actor=w.other.leader_d, unit_id=w.unit_d.pk, kind=ChannelKind.WECOM, name="丁县群", url=WECOM)
    # An office's integrations: its own clerks and directors, not its leader nor another office.
    city_hook = _hook(w.director, w.office)
    for outsider in (w.city_leader, w.city_liaison, w.other.clerk, w.prov.clerk, w.prov.director):
        with pytest.raises(services.NotAllowed):
            channel_delete(actor=outsider, channel=city_hook.pk)
        with pytest.raises(services.NotAllowed):
            _hook(outsider, w.office)
    # A deployment-wide channel: a top office's clerks and directors only.
    everything = _hook(w.prov.director, None)
    for outsider in (w.clerk, w.director, w.other.clerk):
        with pytest.raises(services.NotAllowed):
            channel_disable(actor=outsider, channel=everything.pk)
    channel_disable(actor=w.prov.clerk, channel=everything.pk)
    with pytest.raises(services.NotAllowed):
        channel_test_message(actor=w.other.clerk, channel=city_hook.pk)


def test_a_city_clerks_pages_list_its_own_office_only(province, client):
    w = province
    robot_a = channel_create(actor=w.clerk, unit_id=w.unit_a.pk, kind=ChannelKind.WECOM, name="甲县群", url=WECOM)
    robot_d = channel_create(actor=w.other.clerk, unit_id=w.unit_d.pk, kind=ChannelKind.WECOM, name="丁县群", url=WECOM)
    city_hook = _hook(w.clerk, w.office, "本市接口")
    other_hook = _hook(w.other.clerk, w.city2, "另市平台")
    everything = _hook(w.prov.clerk, None, "全域平台")
    browser = signed_in(client, w.other.clerk)

    index = browser.get(reverse("messages:channels")).content.decode()
    assert "丁县" in index and "甲县" not in index
    found = browser.get(reverse("messages:channels"), {"q": "县"}).content.decode()
    assert "丁县" in found and "甲县" not in found and "乙县" not in found
    page = browser.get(reverse("messages:integrations")).content.decode()
    assert "另市平台" in page and "全域平台" not in page and city_hook.name not in page
    assert browser.get(reverse("messages:integrations"), {"office": w.office.pk}).status_code == 404
    assert browser.get(reverse("messages:unit_channels", args=[w.unit_a.pk])).status_code == 403
    for channel in (robot_a.channel, city_hook, everything):
        assert browser.get(reverse("messages:channel_edit", args=[channel.pk])).status_code == 404
    assert browser.get(reverse("messages:channel_edit", args=[robot_d.channel.pk])).status_code == 200
    assert browser.get(reverse("messages:channel_edit", args=[other_hook.pk])).status_code == 200
    # The province's clerk sees the province's integrations and the deployment-wide ones.
    page = signed_in(client, w.prov.clerk).get(reverse("messages:integrations")).content.decode()
    assert "全域平台" in page and "另市平台" not in page
