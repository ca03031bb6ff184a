"""The API's event feed when several offices share a deployment: a city office's clerk reads the
events of the letters and tasks the city sees (its own letters, the province's tasks addressed to
it) and of its own units and cycles; never another city's letters, nor the stand-ins and
escalations of another office's units and rankings."""

from __future__ import annotations

from supervision import clock
from supervision.models import OutboxEvent
from tests.api.conftest import ApiClient, token_for
from tests.cycles import FAR_DEADLINE, at, issue_at


def _event(text: str, **fields: object) -> OutboxEvent:
    return OutboxEvent.objects.create(
        name=fields.pop("name", "stand_in.changed"), verb="stand_in", text=text, created_at=clock.now(), **fields
    )


def _texts(user) -> set[str]:
    response = ApiClient(token_for(user)).get("/api/events/")
    assert response.status_code == 200
    return {e["text"] for e in response.json()["results"]}


def test_a_city_clerks_feed_holds_only_what_the_city_sees(province):
    w = province
    city_letter = issue_at(at("2024-01-02"), w, items=1, units=[w.unit_a], deadline=FAR_DEADLINE)
    other_letter = issue_at(at("2024-01-02"), w.other, items=1, units=[w.unit_d], deadline=FAR_DEADLINE)
    _event("本市来函", name="letter.issued", letter=city_letter)
    _event("另市来函", name="letter.issued", letter=other_letter)
    _event("甲县代理人变更", unit_ids=[w.unit_a.pk])
    _event("丁县代理人变更", unit_ids=[w.unit_d.pk])
    _event("另市排名末位", name="unit.escalated", unit_ids=[w.city2.pk])
    city = _texts(w.clerk)
    assert {"本市来函", "甲县代理人变更"} <= city
    assert not city & {"另市来函", "丁县代理人变更", "另市排名末位"}
    other = _texts(w.other.clerk)
    assert {"另市来函", "丁县代理人变更", "另市排名末位"} <= other
    assert not other & {"本市来函", "甲县代理人变更"}
    # The province reads neither city's letters nor what happens in the units the cities keep.
    prov = _texts(w.prov.clerk)
    assert not prov & {"本市来函", "另市来函", "甲县代理人变更", "丁县代理人变更"}
