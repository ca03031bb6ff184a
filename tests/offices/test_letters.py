"""Several offices issuing letters: each with its own prefixes and numbers; a city office receives
the province's letter as a unit (its liaison claims, its leader signs off) and issues its own to
its counties as an office."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from supervision import services
from supervision.models import Assignment, AssignmentState, Membership, Role
from tests.factories import issue_letter, make_user

S = AssignmentState


def test_each_office_numbers_its_letters_with_its_own_prefix(province):
    w = province
    from_province = issue_letter(w.prov, items=1, units=[w.office, w.city2])
    from_city = issue_letter(w, items=1, units=[w.unit_a, w.unit_b])
    from_city2 = issue_letter(w.other, items=1, units=[w.unit_d])
    assert from_province.number.startswith("测省督") and from_province.number.endswith("1号")
    assert from_city.number.startswith("测巩办督") and from_city.number.endswith("1号")
    assert from_city2.number.startswith("测另督") and from_city2.number.endswith("1号")
    # A prefix is its office's: the city cannot number with the province's.
    with pytest.raises(services.InvalidInput):
        services.letter_create(
            actor=w.clerk,
            office=w.office,
            kind="supervision",
            title="借用文号",
            body="",
            addressee_ids=[w.unit_a.pk],
            prefix=w.province.letter_prefixes.first(),
        )


def test_a_city_office_works_the_provinces_letter_as_a_unit_and_issues_its_own(province):
    w = province
    letter = issue_letter(w.prov, items=1, units=[w.office])
    [task] = Assignment.objects.filter(letter=letter)
    assert task.unit_id == w.office.pk
    # The city's clerk holds no unit role there: the claim is its liaison's.
    with pytest.raises(services.DomainError):
        services.assignment_claim(actor=w.clerk, assignment=task)
    services.assignment_claim(actor=w.city_liaison, assignment=task, responsible_person="市乡村振兴局")
    services.assignment_report_progress(actor=w.city_liaison, assignment=task.pk, text="已部署各县排查")
    services.assignment_submit_completion(actor=w.city_liaison, assignment=task.pk, text="已完成")
    services.assignment_approve_completion(actor=w.city_leader, assignment=task.pk)
    services.assignment_verify(actor=w.prov.inspector, assignment=task.pk)
    services.assignment_close(actor=w.prov.director, assignment=task.pk)
    assert Assignment.objects.get(pk=task.pk).state == S.CLOSED
    # … and as an office it issues its own letter to its counties, numbered with its own prefix.
    own = issue_letter(w, items=1, units=[w.unit_a, w.unit_b])
    assert own.office_id == w.office.pk and own.number.startswith("测巩办督")
    assert set(Assignment.objects.filter(letter=own).values_list("unit_id", flat=True)) == {w.unit_a.pk, w.unit_b.pk}


def test_an_office_addresses_only_the_offices_directly_below_it(province):
    w = province
    # The city may not write to the province above it, nor to another city.
    for target in (w.province, w.city2):
        with pytest.raises(services.InvalidInput):
            services.letter_create(
                actor=w.clerk, office=w.office, kind="supervision", title="函", body="", addressee_ids=[target.pk]
            )
    # The province may write to both cities, and copy them.
    letter = services.letter_create(
        actor=w.prov.clerk,
        office=w.province,
        kind="supervision",
        title="函",
        body="",
        addressee_ids=[w.office.pk],
        cc_ids=[w.city2.pk],
    )
    assert list(letter.addressees.values_list("pk", flat=True)) == [w.office.pk]


def test_unit_roles_are_held_in_a_city_office_but_not_in_the_top_office(province):
    w = province
    stray = make_user("stray")
    Membership(user=stray, unit=w.office, role=Role.LEADER).full_clean()
    with pytest.raises(ValidationError):
        Membership(user=stray, unit=w.province, role=Role.LIAISON).full_clean()
