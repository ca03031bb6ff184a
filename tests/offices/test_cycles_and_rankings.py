"""Each office's cycles, rules and ranking: tick opens and closes every office's cycles as rows of
its own; each office revises its own rules; each office ranks the units it addresses over its own
direct tasks only, a province ranking its cities in the group of cities."""

from __future__ import annotations

from decimal import Decimal

import pytest

from supervision import services
from supervision.models import Cycle, CycleState, PeerGroup, RuleSet, Unit, UnitKind, UnitResult
from supervision.selectors.rankings import notices_visible_to, ranking_of, results_visible_to
from tests.cycles import FAR_DEADLINE, at, claim_and_report, cutoff, issue_at, mine, tick


def _results(cycle: Cycle) -> dict[int, UnitResult]:
    return {r.unit_id: r for r in UnitResult.objects.filter(cycle=cycle, ranked_by=cycle.office)}


def test_tick_runs_every_offices_cycles_on_its_own(province):
    w = province
    result = tick(at("2024-01-02", "09:00"))
    offices = (w.province, w.office, w.city2)
    assert {(c.office_id, c.number, c.state) for c in Cycle.objects.all()} == {
        (o.pk, 1, CycleState.OPEN) for o in offices
    }
    assert result.opened == [1, 1, 1]
    # An office set up later starts at its own cycle 1 while the others go on.
    tick(cutoff(0))
    late = Unit.objects.create(name="后设市办", kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE, parent=w.province)
    tick(at("2024-01-15"))
    assert list(Cycle.objects.filter(office=w.office).order_by("number").values_list("number", "state")) == [
        (1, CycleState.CLOSED),
        (2, CycleState.OPEN),
    ]
    assert list(Cycle.objects.filter(office=late).values_list("number", "state", "seq")) == [
        (1, CycleState.OPEN, Cycle.objects.get(office=w.office, number=2).seq)
    ]
    # An office closed down runs no more cycles.
    Unit.objects.filter(pk=w.city2.pk).update(is_active=False)
    tick(cutoff(1))
    assert Cycle.objects.filter(office=w.city2).count() == 2
    assert Cycle.objects.filter(office=w.office).count() == 3
    # Tick twice at the same moment writes nothing more.
    assert not tick(cutoff(1)).changed


def test_each_office_revises_its_own_rules(province):
    w = province
    services.ruleset_revise(actor=w.prov.clerk, office=w.province, weights={"claim_points": Decimal("15")})
    assert services.ruleset_current(w.province).version == 2
    assert services.ruleset_current(w.province).claim_points == Decimal("15.00")
    city = services.ruleset_current(w.office)
    assert (city.version, city.claim_points) == (1, Decimal("10.00"))
    # The city's clerk revises the city's rules, never the province's.
    with pytest.raises(services.NotAllowed):
        services.ruleset_revise(actor=w.clerk, office=w.province, weights={"claim_points": Decimal("1")})
    services.ruleset_revise(actor=w.clerk, weights={"report_points": Decimal("35")})
    assert services.ruleset_current(w.office).version == 2
    assert RuleSet.objects.filter(is_current=True).count() == 2
    # Each close ranks with its own office's current rules.
    tick(at("2024-01-02", "09:00"))
    tick(cutoff(0))
    used = dict(Cycle.objects.filter(number=1).values_list("office_id", "rule_set__version"))
    assert used == {w.province.pk: 2, w.office.pk: 2, w.city2.pk: 1}


def test_each_office_ranks_only_its_direct_tasks(province_tree):
    w = province_tree
    tick(at("2024-01-02", "09:00"))
    prov_letter = issue_at(at("2024-01-02"), w.prov, items=2, units=[w.office, w.city2], deadline=FAR_DEADLINE)
    city_letter = issue_at(at("2024-01-02"), w, items=3, units=[w.unit_a, w.unit_b], deadline=FAR_DEADLINE)
    # The city works the province's letter; 甲县 works the city's and hands one part down.
    claim_and_report(at("2024-01-03"), w.city_liaison, mine(prov_letter, w.office))
    claim_and_report(at("2024-01-03"), w.liaison_a, mine(city_letter, w.unit_a))
    task = mine(city_letter, w.unit_a)[0]
    part = services.SubTaskPart(unit_id=w.town_a1.pk, deadline=FAR_DEADLINE, measures="东镇负责")
    with services_clock(at("2024-01-04")):
        services.assignment_break_down(actor=w.liaison_a, assignment=task.pk, parts=[part])
    tick(cutoff(0))

    province_cycle = Cycle.objects.get(office=w.province, number=1)
    found = _results(province_cycle)
    assert set(found) == {w.office.pk, w.city2.pk}
    assert {r.peer_group for r in found.values()} == {PeerGroup.CITY}
    assert (found[w.office.pk].held, found[w.office.pk].reports_made) == (2, 2)
    assert (found[w.office.pk].rank, found[w.city2.pk].rank) == (1, 2)

    city_cycle = Cycle.objects.get(office=w.office, number=1)
    found = _results(city_cycle)
    # Its counties and its department (placed under it), never the townships below a county, nor
    # the province's letter the city itself holds.
    assert set(found) == {w.unit_a.pk, w.unit_b.pk, w.unit_c.pk}
    assert (found[w.unit_a.pk].held, found[w.unit_b.pk].held, found[w.unit_c.pk].held) == (3, 3, 0)
    assert found[w.unit_a.pk].rank == 1 and found[w.unit_b.pk].rank == 2

    city2_cycle = Cycle.objects.get(office=w.city2, number=1)
    assert set(_results(city2_cycle)) == {w.unit_d.pk}
    assert _results(city2_cycle)[w.unit_d.pk].held == 0


def test_rankings_and_notices_are_seen_per_office(province):
    w = province
    tick(at("2024-01-02", "09:00"))
    issue_at(at("2024-01-02"), w, items=1, units=[w.unit_a, w.unit_b], deadline=FAR_DEADLINE)
    issue_at(at("2024-01-02"), w.other, items=1, units=[w.unit_d], deadline=FAR_DEADLINE)
    issue_at(at("2024-01-02"), w.prov, items=1, units=[w.office, w.city2], deadline=FAR_DEADLINE)
    tick(cutoff(0))
    city_cycle = Cycle.objects.get(office=w.office, number=1)
    city2_cycle = Cycle.objects.get(office=w.city2, number=1)
    province_cycle = Cycle.objects.get(office=w.province, number=1)
    # Each office sees its own ranking whole, and nothing of another city's.
    assert ranking_of(w.clerk, city_cycle).count() == 3
    assert not ranking_of(w.other.clerk, city_cycle).exists()
    assert ranking_of(w.other.clerk, city2_cycle).count() == 1
    # In the province's ranking a city sees its own place; the province sees both.
    assert list(ranking_of(w.clerk, province_cycle).values_list("unit_id", flat=True)) == [w.office.pk]
    assert ranking_of(w.prov.clerk, province_cycle).count() == 2
    assert not results_visible_to(w.other.liaison_d).filter(cycle=city_cycle).exists()

    with_notice = services.notice_draft(actor=w.clerk, office=w.office, cycle=city_cycle)
    # A cycle of another office is refused.
    with pytest.raises(services.InvalidInput):
        services.notice_draft(actor=w.clerk, office=w.office, cycle=city2_cycle)
    services.notice_sign(actor=w.director, notice=with_notice)
    services.notice_publish(actor=w.clerk, notice=with_notice)
    assert notices_visible_to(w.liaison_a).filter(pk=with_notice.pk).exists()
    assert not notices_visible_to(w.other.liaison_d).filter(pk=with_notice.pk).exists()
    assert not notices_visible_to(w.other.clerk).filter(pk=with_notice.pk).exists()
    # Told: the city's ranked units, not the other city's.
    told = set(w.liaison_a.notifications.filter(verb="notice_published").values_list("notice_id", flat=True)) | set(
        w.other.liaison_d.notifications.filter(verb="notice_published").values_list("notice_id", flat=True)
    )
    assert told == {with_notice.pk}
    assert not w.other.liaison_d.notifications.filter(verb="notice_published").exists()


def services_clock(moment):
    from supervision import clock

    return clock.frozen(moment)
