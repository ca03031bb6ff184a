"""A city office's liaison and leader hold unit roles in the city office to work the province's
letters: in rankings they are a unit ranked by the province, never the city office's staff. They
see the province's published notice they are ranked in, and nothing of the city's own ranking
and notices (a draft above all), which only the city's office roles see."""

from __future__ import annotations

from supervision import services
from supervision.models import Cycle, NoticeState
from supervision.selectors.rankings import (
    notices_visible_to,
    ranking_of,
    rankings_of,
    sees_all_units,
    whole_rankings,
)
from tests.cycles import FAR_DEADLINE, at, cutoff, issue_at, tick


def test_a_city_offices_unit_roles_see_only_what_the_city_is_ranked_in(province):
    w = province
    tick(at("2024-01-02", "09:00"))
    issue_at(at("2024-01-02"), w, items=1, units=[w.unit_a, w.unit_b], deadline=FAR_DEADLINE)
    issue_at(at("2024-01-02"), w.prov, items=1, units=[w.office, w.city2], deadline=FAR_DEADLINE)
    tick(cutoff(0))
    city_cycle = Cycle.objects.get(office=w.office, number=1)
    province_cycle = Cycle.objects.get(office=w.province, number=1)
    city_draft = services.notice_draft(actor=w.clerk, office=w.office, cycle=city_cycle)
    province_notice = services.notice_draft(actor=w.prov.clerk, office=w.province, cycle=province_cycle)
    services.notice_sign(actor=w.prov.director, notice=province_notice)
    services.notice_publish(actor=w.prov.clerk, notice=province_notice)

    for person in (w.city_liaison, w.city_leader):
        # The province's published notice, which ranks the city office: seen.
        seen = set(notices_visible_to(person).values_list("pk", flat=True))
        assert seen == {province_notice.pk}
        # The city's own draft and its ranking: not theirs to see.
        assert city_draft.state == NoticeState.DRAFT and city_draft.pk not in seen
        assert not ranking_of(person, city_cycle).exists()
        assert not sees_all_units(person, w.office)
        assert whole_rankings(person) == set()
        # In the province's ranking, the city's own place only.
        assert list(ranking_of(person, province_cycle).values_list("unit_id", flat=True)) == [w.office.pk]
        assert [u.pk for u in rankings_of(person)] == [w.province.pk]
    # The city's staff still see the city's ranking whole and its draft.
    assert ranking_of(w.clerk, city_cycle).count() == 3
    assert notices_visible_to(w.inspector).filter(pk=city_draft.pk).exists()


def test_a_county_ranking_its_townships_is_seen_whole_by_its_liaison_and_leader(province_tree):
    w = province_tree
    services.unit_sub_ranking_set(actor=w.director, unit=w.unit_a, ranks=True)
    assert whole_rankings(w.liaison_a) == {w.unit_a.pk}
    assert sees_all_units(w.leader_a, w.unit_a)
    assert not sees_all_units(w.liaison_b, w.unit_a)
