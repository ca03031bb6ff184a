"""The pages about one office follow that office's own cycles and ranking: the overview names
the cycle under way in the office the person works in, the dashboard charts that office's
ranking (a province its cities, a city its counties), a unit's landing page its place in the
ranking it is in; a person in two offices picks with ``?by=``. A city office's people, holding
office and unit roles there, find both sides of the shell."""

from __future__ import annotations

from django.urls import reverse

from supervision import services
from supervision.models import Membership, Role, User
from tests.cycles import FAR_DEADLINE, at, claim_and_report, issue_at, mine, tick
from tests.factories import signed_in


def _scene(w):
    """The city office ran a cycle of its own before the province and the other city started:
    the city closes its cycle 2 when the province closes its cycle 1 (26 January)."""
    services.office_cycle_advance(office=w.office, now=at("2024-01-02", "09:00"))
    prov = issue_at(at("2024-01-02"), w.prov, items=1, units=[w.office, w.city2], deadline=FAR_DEADLINE)
    city = issue_at(at("2024-01-02"), w, items=1, units=[w.unit_a, w.unit_b], deadline=FAR_DEADLINE)
    claim_and_report(at("2024-01-03"), w.city_liaison, mine(prov, w.office))
    claim_and_report(at("2024-01-03"), w.liaison_a, mine(city, w.unit_a))
    tick(at("2024-01-16", "09:00"))
    claim_and_report(at("2024-01-17"), w.other.liaison, mine(prov, w.city2))
    claim_and_report(at("2024-01-17"), w.liaison_b, mine(city, w.unit_b))
    tick(at("2024-01-27", "09:00"))


def test_the_overview_names_the_cycle_of_the_office_one_works_in(client, province):
    w = province
    services.office_cycle_advance(office=w.office, now=at("2024-01-02", "09:00"))
    tick(at("2024-01-16", "09:00"))
    assert signed_in(client, w.clerk).get(reverse("office:index")).context["cycle"].number == 2
    assert signed_in(client, w.prov.clerk).get(reverse("office:index")).context["cycle"].number == 1
    # An inspector of both offices: the province first, the city when asked for.
    Membership.objects.create(user=w.inspector, unit=w.province, role=Role.INSPECTOR)
    both = User.objects.get(pk=w.inspector.pk)
    page = signed_in(client, both).get(reverse("office:index"))
    assert (page.context["office"], page.context["cycle"].office_id) == (w.province, w.province.pk)
    assert f'<option value="{w.office.pk}">' in page.content.decode()
    page = client.get(reverse("office:index") + f"?by={w.office.pk}")
    assert (page.context["cycle"].office_id, page.context["cycle"].number) == (w.office.pk, 2)
    # Another office than theirs is not theirs to open: their first.
    assert client.get(reverse("office:index") + f"?by={w.city2.pk}").context["office"] == w.province


def test_each_dashboard_charts_its_own_offices_ranking(client, province):
    w = province
    _scene(w)
    d = signed_in(client, w.prov.inspector).get(reverse("office:dashboard")).context["d"]
    assert d.office == w.province and d.rank_cycles == [1]
    assert {line.unit_id for line in d.bottom} <= {w.office.pk, w.city2.pk} and d.bottom
    d = signed_in(client, w.inspector).get(reverse("office:dashboard")).context["d"]
    assert d.office == w.office and d.rank_cycles == [1, 2]
    assert {line.unit_id for line in d.bottom} <= {w.unit_a.pk, w.unit_b.pk, w.unit_c.pk} and d.bottom
    # Its burndown counts the city's own letters at its own cut-offs.
    assert [p.number for p in d.burndown] == [1, 2]
    assert {row.unit_id for row in d.lights} == {w.unit_a.pk, w.unit_b.pk}


def test_a_units_landing_page_shows_its_place_in_the_ranking_it_is_in(client, province):
    w = province
    _scene(w)
    city = signed_in(client, w.city_liaison).get(reverse("unit:index")).context["standings"]
    assert [(unit, r.ranked_by_id, r.cycle.number) for unit, r in city] == [(w.office, w.province.pk, 1)]
    county = signed_in(client, w.liaison_a).get(reverse("unit:index")).context["standings"]
    assert [(unit, r.ranked_by_id, r.cycle.number) for unit, r in county] == [(w.unit_a, w.office.pk, 2)]


def test_a_city_office_person_finds_both_sides_of_the_shell(client, province):
    w = province
    Membership.objects.create(user=w.clerk, unit=w.office, role=Role.LIAISON)
    clerk = User.objects.get(pk=w.clerk.pk)
    signed_in(client, clerk)
    for page in ("office:index", "unit:index"):
        html = client.get(reverse(page)).content.decode()
        assert "Office workbench" in html and "My unit&#x27;s work" in html
        assert f'href="{reverse("office:index")}"' in html and f'href="{reverse("unit:index")}"' in html
        assert f'href="{reverse("office:dashboard")}"' in html
        assert f'href="{reverse("tasks:list")}?queue=unclaimed"' in html
        assert f'href="{reverse("tasks:list")}?queue=returned"' in html
        assert f'href="{reverse("tasks:list")}?queue=mine"' in html
