"""A city office's liaison works the province's letters as a unit: they see the province's task of
their office, not the city's own letters to its counties (those are its staff's)."""

from __future__ import annotations

from supervision.models import Assignment
from supervision.selectors import visibility
from supervision.services.roles import office_ids
from tests.factories import issue_letter


def test_a_city_liaison_sees_its_unit_s_task_not_the_city_s_own_letters(province):
    w = province
    city_letter = issue_letter(w, items=1)  # the city's own letter to counties A and B
    prov_letter = issue_letter(w.prov, items=1, units=[w.office, w.city2])
    assert office_ids(w.city_liaison) == set()
    assert office_ids(w.clerk) == {w.office.pk}
    seen = set(visibility.assignments_visible_to(w.city_liaison).values_list("pk", flat=True))
    assert seen == set(Assignment.objects.filter(letter=prov_letter, unit=w.office).values_list("pk", flat=True))
    letters = set(visibility.letters_visible_to(w.city_liaison).values_list("pk", flat=True))
    assert prov_letter.pk in letters and city_letter.pk not in letters
    # The city's clerk still sees the city's letters as its staff.
    assert city_letter.pk in set(visibility.letters_visible_to(w.clerk).values_list("pk", flat=True))
