from __future__ import annotations

from types import SimpleNamespace

import pytest

from supervision import clock, services
from supervision.models import Cycle
from supervision.services.rule_sets import unit_sub_ranking_set
from tests.cycles import FAR_DEADLINE, at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.offices.province import build_province


@pytest.fixture
def province(world, settings) -> SimpleNamespace:
    """The world under a province office, beside a second city office, on the test calendar."""
    use_calendar(settings)
    return build_province(world)


@pytest.fixture
def province_tree(hierarchy, settings) -> SimpleNamespace:
    """The same with the townships below the world's counties (tests/factories.py build_hierarchy)."""
    use_calendar(settings)
    return build_province(hierarchy)


@pytest.fixture
def county_ranks(province_tree):
    """甲县 ranks its townships; it breaks the city's task down to both; 东镇 claims and reports,
    西乡 never does; the city's cycle 1 closes."""
    w = province_tree
    unit_sub_ranking_set(actor=w.director, unit=w.unit_a, ranks=True)
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), w, items=1, units=[w.unit_a, w.unit_b], deadline=FAR_DEADLINE)
    claim_and_report(at("2024-01-02", "11:00"), w.liaison_a, mine(letter, w.unit_a))
    [task] = mine(letter, w.unit_a)
    parts = [
        services.SubTaskPart(unit_id=town.pk, deadline=FAR_DEADLINE, measures=f"{town.short_name}负责本辖区")
        for town in (w.town_a1, w.town_a2)
    ]
    with clock.frozen(at("2024-01-02", "12:00")):
        subs = services.assignment_break_down(actor=w.liaison_a, assignment=task.pk, parts=parts)
    by_unit = {s.unit_id: s for s in subs}
    claim_and_report(at("2024-01-03"), w.liaison_town_a1, [by_unit[w.town_a1.pk]])
    tick(cutoff(0))
    w.cycle = Cycle.objects.get(office=w.office, number=1)
    w.subs = by_unit
    return w
