"""The messages monitor (消息与后台任务) when several offices share a deployment: a city office's
clerk sees and sends again the messages of the city's own letters, notices, cycles and units and
those to the channels the city keeps; never the province's nor another city's (their ids answer
404). The province's clerk also sees the deployment-wide channels' messages. Failed jobs: one's
own and those of the office's people."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision import clock, services
from supervision.models import ChannelKind, Cycle, Delivery, DeliveryStatus, Job, JobState, OutboxEvent
from supervision.outbox.expand import _event_offices, event_office_scope
from supervision.outbox.services import deliveries_retry_failed, delivery_retry
from supervision.services.channels import channel_create
from tests.cycles import FAR_DEADLINE, at, issue_at
from tests.factories import signed_in
from tests.messages.scene import WECOM

HOOK = "https://oa.example.gov.cn/hook"


def _failed(text: str, *, channel=None, user=None, **event: object) -> Delivery:
    """A failed delivery of a new event (``event``: its letter, notice, unit_ids, payload)."""
    now = clock.now()
    e = OutboxEvent.objects.create(
        name="assignment.overdue", verb="assignment_overdue", text=text, created_at=now, **event
    )
    return Delivery.objects.create(
        event=e,
        kind=channel.kind if channel else ChannelKind.EMAIL,
        channel=channel,
        user=user,
        status=DeliveryStatus.FAILED,
        attempts=3,
        due_at=now,
        last_error="HTTP 500",
        created_at=now,
    )


def _job(who, title: str) -> Job:
    return Job.objects.create(
        kind="ledger_xlsx",
        title=title,
        requested_by=who,
        state=JobState.FAILED,
        error="磁盘已满",
        created_at=clock.now(),
    )


@pytest.fixture
def scene(province):
    w = province
    w.city_letter = issue_at(at("2024-01-02"), w, items=1, units=[w.unit_a], deadline=FAR_DEADLINE)
    w.prov_letter = issue_at(at("2024-01-02"), w.prov, items=1, units=[w.office, w.city2], deadline=FAR_DEADLINE)
    w.other_letter = issue_at(at("2024-01-02"), w.other, items=1, units=[w.unit_d], deadline=FAR_DEADLINE)
    robot_a = channel_create(actor=w.clerk, unit_id=w.unit_a.pk, kind="wecom", name="甲县群", url=WECOM).channel
    robot_d = channel_create(actor=w.other.clerk, unit_id=w.unit_d.pk, kind="wecom", name="丁县群", url=WECOM).channel
    everything = channel_create(
        actor=w.prov.clerk, unit_id=None, kind=ChannelKind.WEBHOOK, name="全域平台", url=HOOK
    ).channel
    w.d = {
        "city_letter": _failed("本市来函逾期", user=w.liaison_a, letter=w.city_letter),
        "city_robot": _failed("省函发到甲县群", channel=robot_a, letter=w.prov_letter),
        "city_stand_in": _failed("甲县代理人变更", user=w.leader_a, unit_ids=[w.unit_a.pk]),
        "prov_letter": _failed("省函逾期", user=w.prov.clerk, letter=w.prov_letter),
        "other_letter": _failed("另市来函逾期", user=w.other.liaison_d, letter=w.other_letter),
        "other_robot": _failed("丁县群消息", channel=robot_d, unit_ids=[w.unit_d.pk]),
        "other_stand_in": _failed("丁县代理人变更", user=w.other.leader_d, unit_ids=[w.unit_d.pk]),
        "everything": _failed("全域接口消息", channel=everything),
    }
    return w


def _listed(browser) -> set[str]:
    page = browser.get(reverse("messages:monitor"))
    assert page.status_code == 200
    return {d.event.text for d in page.context["data"].deliveries}


def test_each_office_sees_its_own_messages(scene, client):
    w = scene
    city = _listed(signed_in(client, w.clerk))
    assert city == {"本市来函逾期", "省函发到甲县群", "甲县代理人变更"}
    html = client.get(reverse("messages:monitor")).content.decode()
    assert "省函逾期" not in html and "另市来函逾期" not in html and "全域接口消息" not in html
    assert client.get(reverse("messages:monitor")).context["data"].counts == {"failed": 3, "held": 0}
    assert _listed(signed_in(client, w.other.director)) == {"另市来函逾期", "丁县群消息", "丁县代理人变更"}
    # The province: its own letter's messages (to a county's robot too), and the deployment-wide
    # channel's.
    assert _listed(signed_in(client, w.prov.clerk)) == {"省函逾期", "省函发到甲县群", "全域接口消息"}
    # A city office's liaison is not its staff: no monitor.
    assert signed_in(client, w.city_liaison).get(reverse("messages:monitor")).status_code == 403


def test_another_offices_message_is_not_found_on_retry(scene, client):
    w = scene
    browser = signed_in(client, w.clerk)
    for key in ("prov_letter", "other_letter", "other_robot", "other_stand_in", "everything"):
        d = w.d[key]
        assert browser.post(reverse("messages:delivery_retry", args=[d.pk])).status_code == 404, key
        with pytest.raises(services.InvalidInput):
            delivery_retry(actor=w.clerk, delivery_id=d.pk)
    mixed = [w.d["city_letter"].pk, w.d["other_letter"].pk]
    assert browser.post(reverse("messages:retry_selected"), {"id": mixed}).status_code == 404
    assert deliveries_retry_failed(actor=w.clerk, ids=[w.d["other_letter"].pk, w.d["prov_letter"].pk]) == 0
    assert not Delivery.objects.exclude(status=DeliveryStatus.FAILED).exists()
    # Its own go again.
    assert browser.post(reverse("messages:delivery_retry", args=[w.d["city_robot"].pk])).status_code == 302
    assert browser.post(reverse("messages:retry_selected"), {"id": [w.d["city_letter"].pk]}).status_code == 302
    assert set(Delivery.objects.filter(status=DeliveryStatus.PENDING).values_list("event__text", flat=True)) == {
        "省函发到甲县群",
        "本市来函逾期",
    }


def test_failed_jobs_of_the_office_people_only(scene, client):
    w = scene
    _job(w.clerk, "本市台账")
    _job(w.city_liaison, "本市联络员台账")
    prov = _job(w.prov.clerk, "省台账")
    other = _job(w.other.liaison_d, "丁县台账")
    browser = signed_in(client, w.clerk)
    jobs = {j.title for j in browser.get(reverse("messages:monitor")).context["jobs"]}
    assert jobs == {"本市台账", "本市联络员台账"}
    for job in (prov, other):
        assert browser.post(reverse("messages:job_retry", args=[job.uuid])).status_code == 404
        job.refresh_from_db()
        assert job.state == JobState.FAILED
    assert {j.title for j in signed_in(client, w.prov.director).get(reverse("messages:monitor")).context["jobs"]} == {
        "省台账"
    }


def test_the_filter_is_the_expansion_rule(scene):
    """The monitor's filter and the expansion's batch rule say the same of every event."""
    w = scene
    with clock.frozen(at("2024-02-01")):
        cycle = Cycle.objects.filter(office=w.province).first()
    extra = [OutboxEvent.objects.create(name="x", verb="x", text="t", created_at=clock.now(), unit_ids=[])]
    if cycle is not None:
        extra.append(
            OutboxEvent.objects.create(
                name="x",
                verb="x",
                text="t",
                created_at=clock.now(),
                unit_ids=[w.unit_a.pk],
                payload={"cycle": cycle.pk},
            )
        )
    batch = list(OutboxEvent.objects.all())
    owners = _event_offices(batch)
    for office in (w.province, w.office, w.city2):
        found = set(OutboxEvent.objects.filter(event_office_scope([office.pk])).values_list("pk", flat=True))
        assert found == {e.pk for e in batch if office.pk in owners.get(e.pk, set())}, office.short_name


def test_the_monitor_reads_a_fixed_number_of_queries(scene, client):
    w = scene
    browser = signed_in(client, w.clerk)
    browser.get(reverse("messages:monitor"))
    with CaptureQueriesContext(connection) as small:
        browser.get(reverse("messages:monitor"))
    for n in range(5):
        _failed(f"本市{n}", user=w.liaison_a, letter=w.city_letter)
        _failed(f"省{n}", user=w.prov.clerk, letter=w.prov_letter)
        _failed(f"甲县{n}", user=w.leader_a, unit_ids=[w.unit_a.pk])
        _job(w.clerk, f"台账{n}")
    with CaptureQueriesContext(connection) as large:
        page = browser.get(reverse("messages:monitor"))
    assert len(page.context["data"].deliveries) == 13 and len(page.context["jobs"]) == 5
    assert len(large) == len(small)
