"""A county ranking its townships (ranking at every level): set by the office, ranked at each
close of the office's cycle over the sub-tasks the county handed down, on the office's rules,
with its own page for its liaison and leader and its sheet as a PDF."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision import services
from supervision.models import AuditEvent, Cycle, Escalation, UnitResult
from supervision.services.rule_sets import unit_sub_ranking_set
from tests.cycles import at, cutoff, report, tick
from tests.factories import signed_in


def test_only_the_office_marks_a_unit_to_rank_and_it_is_audited(province_tree):
    w = province_tree
    with pytest.raises(services.NotAllowed):
        unit_sub_ranking_set(actor=w.liaison_a, unit=w.unit_a, ranks=True)
    with pytest.raises(services.InvalidInput):
        unit_sub_ranking_set(actor=w.director, unit=w.office, ranks=True)
    unit_sub_ranking_set(actor=w.director, unit=w.unit_a, ranks=True)
    event = AuditEvent.objects.get(action="unit.sub_ranking_set")
    assert (event.actor_id, event.data["unit"]) == (w.director.pk, w.unit_a.pk)


def test_a_county_ranks_its_townships_over_the_sub_tasks_it_handed_down(county_ranks):
    w = county_ranks
    found = {r.unit_id: r for r in UnitResult.objects.filter(cycle=w.cycle, ranked_by=w.unit_a)}
    # Its townships; the village below 东镇 holds nothing of 甲县's and is not placed under it.
    assert set(found) == {w.town_a1.pk, w.town_a2.pk}
    assert (found[w.town_a1.pk].held, found[w.town_a1.pk].reports_made, found[w.town_a1.pk].rank) == (1, 1, 1)
    assert (found[w.town_a2.pk].held, found[w.town_a2.pk].reports_made, found[w.town_a2.pk].rank) == (1, 0, 2)
    # Last among the townships: named, in 甲县's ranking only.
    [named] = Escalation.objects.filter(cycle=w.cycle, ranked_by=w.unit_a)
    assert named.unit_id == w.town_a2.pk
    assert not Escalation.objects.filter(ranked_by=w.office, unit=w.town_a2).exists()
    # The city's ranking still counts 甲县's own task only, and no township.
    city = {r.unit_id: r for r in UnitResult.objects.filter(cycle=w.cycle, ranked_by=w.office)}
    assert w.town_a1.pk not in city and city[w.unit_a.pk].held == 1
    # 乙县 does not rank: no ranking of its own.
    assert not UnitResult.objects.filter(ranked_by=w.unit_b).exists()
    # 甲县's liaison and leader are told about the township named.
    assert w.liaison_a.notifications.filter(verb="ranking_escalation", unit=w.town_a2).exists()


def test_a_second_cycle_carries_the_townships_streak(county_ranks):
    w = county_ranks
    report(at("2024-01-16"), w.liaison_town_a1, [w.subs[w.town_a1.pk]], text="第二期")
    tick(cutoff(1))
    second = Cycle.objects.get(office=w.office, number=2)
    escalation = Escalation.objects.get(cycle=second, ranked_by=w.unit_a)
    assert (escalation.unit_id, escalation.streak) == (w.town_a2.pk, 2)


def test_the_county_page_is_its_liaisons_and_a_township_sees_its_own_row(client, county_ranks):
    w = county_ranks
    url = reverse("cycles:ranking")
    page = signed_in(client, w.liaison_a).get(url, {"by": w.unit_a.pk}).content.decode()
    assert f'data-unit="{w.town_a1.pk}"' in page and f'data-unit="{w.town_a2.pk}"' in page
    assert "data-sheet" in page
    town = signed_in(client, w.liaison_town_a2).get(url, {"by": w.unit_a.pk}).content.decode()
    assert f'data-unit="{w.town_a2.pk}"' in town and f'data-unit="{w.town_a1.pk}"' not in town
    # Another county's people cannot open it: they get their own ranking (the city's, their row).
    other = signed_in(client, w.liaison_b).get(url, {"by": w.unit_a.pk}).content.decode()
    assert f'data-unit="{w.town_a1.pk}"' not in other and f'data-unit="{w.unit_b.pk}"' in other
    # The township's page shows its place in 甲县's ranking.
    unit_page = signed_in(client, w.liaison_town_a2).get(reverse("cycles:unit", args=[w.town_a2.pk]))
    assert unit_page.status_code == 200 and 'data-cycle="1"' in unit_page.content.decode()


def test_the_ranking_sheet_downloads_for_the_county_only(client, county_ranks):
    w = county_ranks
    url = reverse("cycles:ranking_sheet")
    query = {"by": w.unit_a.pk, "cycle": 1}
    response = signed_in(client, w.leader_a).get(url, query)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert signed_in(client, w.liaison_town_a1).get(url, query).status_code == 404
    assert signed_in(client, w.liaison_b).get(url, query).status_code == 404
    assert signed_in(client, w.leader_a).get(url, {"by": w.unit_a.pk, "cycle": 9}).status_code == 404
