"""What the pages and the admin call of several offices is a ``supervision.services`` call like
any other write: a city office's director has its county rank its townships, each office's
cycles advance on their own, and each clerk revises only the rules of offices they work in."""

from __future__ import annotations

import pytest

from supervision import services
from supervision.models import AuditEvent, Cycle, CycleState, Unit
from tests.cycles import at


def test_the_city_office_has_its_county_rank_its_townships(province_tree):
    w = province_tree
    services.unit_sub_ranking_set(actor=w.director, unit=w.unit_a, ranks=True)
    assert Unit.objects.get(pk=w.unit_a.pk).ranks_sub_units
    event = AuditEvent.objects.get(action="unit.sub_ranking_set")
    # Recorded in the city office that decided it, not in the province above it.
    assert (event.actor_id, event.actor_unit_id) == (w.director.pk, w.office.pk)
    # Another city's director has no say over it.
    with pytest.raises(services.NotAllowed):
        services.unit_sub_ranking_set(actor=w.other.director, unit=w.unit_a, ranks=False)
    assert Unit.objects.get(pk=w.unit_a.pk).ranks_sub_units


def test_each_offices_cycles_and_rules_through_the_services(province):
    w = province
    services.office_cycle_advance(office=w.city2, now=at("2024-01-02", "09:00"))
    assert list(Cycle.objects.values_list("office_id", "number", "state")) == [(w.city2.pk, 1, CycleState.OPEN)]
    assert services.rule_offices(w.clerk) == [w.office]
    assert services.rule_offices(w.prov.clerk) == [w.province]
    assert services.rule_offices(w.city_liaison) == []
