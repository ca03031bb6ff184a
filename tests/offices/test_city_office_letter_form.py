"""The letter form offers what the letter services accept: every responsible unit, and the offices
directly below the drafting office (a province's clerk may address and copy its city offices),
never the drafting office itself nor an office above or beside it."""

from __future__ import annotations

from django.urls import reverse

from supervision.models import Letter
from tests.factories import signed_in


def _offered(response, field: str) -> set[int]:
    return {u.pk for u in response.context["form"].fields[field].queryset}


def test_the_province_may_address_and_copy_its_city_offices(client, province):
    w = province
    page = signed_in(client, w.prov.clerk).get(reverse("letters:new"))
    for field in ("addressees", "cc_units"):
        offered = _offered(page, field)
        assert {w.office.pk, w.city2.pk, w.unit_a.pk, w.unit_d.pk} <= offered
        assert w.province.pk not in offered
    response = client.post(
        reverse("letters:new"),
        {
            "kind": "supervision",
            "title": "关于推进巩固衔接工作的督办函",
            "addressees": [w.office.pk],
            "cc_units": [w.city2.pk],
        },
    )
    letter = Letter.objects.get(office=w.province)
    assert response.status_code == 302
    assert list(letter.addressees.values_list("pk", flat=True)) == [w.office.pk]
    assert list(letter.cc_units.values_list("pk", flat=True)) == [w.city2.pk]
    # The draft's edit form offers them too.
    detail = client.get(reverse("letters:detail", args=[letter.pk]))
    assert {w.office.pk, w.city2.pk} <= {u.pk for u in detail.context["edit_form"].fields["addressees"].queryset}


def test_a_city_office_is_offered_no_office(client, province):
    w = province
    page = signed_in(client, w.clerk).get(reverse("letters:new"))
    offered = _offered(page, "addressees")
    assert not {w.province.pk, w.office.pk, w.city2.pk} & offered
    assert w.unit_a.pk in offered
