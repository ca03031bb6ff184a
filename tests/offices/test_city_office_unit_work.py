"""A city office works the province's letters as a unit: its people find the province's tasks in
their unit overview and queues (to claim, claimed by me, awaiting sign-off), the province's read
receipts count the city as a unit that opened its letter, and a returned task of the province
may be given to another city office. An office never holds a task of its own letters: only the
issuing office is left out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision import services
from supervision.models import Assignment, AssignmentState, Membership, ReadReceipt, Role, User
from supervision.selectors.queues import reassign_targets
from supervision.selectors.receipts import letter_reading_units
from tests.factories import issue_letter, signed_in

S = AssignmentState


def _rows(client, query: str) -> list[Assignment]:
    return list(client.get(reverse("tasks:list") + query).context["page"].rows)


def test_the_city_office_finds_the_provinces_task_in_its_unit_queues(client, province):
    w = province
    letter = issue_letter(w.prov, items=1, units=[w.office, w.city2])
    [task] = Assignment.objects.filter(letter=letter, unit=w.office)
    # The city's clerk also works the province's letters as the city's liaison.
    Membership.objects.create(user=w.clerk, unit=w.office, role=Role.LIAISON)
    clerk = User.objects.get(pk=w.clerk.pk)
    page = signed_in(client, clerk).get(reverse("unit:index"))
    assert page.status_code == 200
    [section] = page.context["units"]
    assert section.figures.unit == w.office and section.figures.unclaimed == 1
    assert [a.pk for a in _rows(client, f"?queue=unclaimed&unit={w.office.pk}")] == [task.pk]
    services.assignment_claim(actor=clerk, assignment=task.pk, responsible_person="市乡村振兴局")
    assert [a.pk for a in _rows(client, "?queue=mine")] == [task.pk]
    services.assignment_start(actor=clerk, assignment=task.pk)
    services.assignment_submit_completion(actor=clerk, assignment=task.pk, text="已完成")
    # The city's leader signs it off from the same queue a county's leader uses.
    signed_in(client, w.city_leader)
    assert [a.pk for a in _rows(client, "?queue=unit_signoff")] == [task.pk]
    [leader_section] = client.get(reverse("unit:index")).context["units"]
    assert leader_section.figures.awaiting_signoff == 1
    # The province's own people hold nothing of it as a unit.
    assert signed_in(client, w.prov.clerk).get(reverse("unit:index")).status_code == 403


def test_the_provinces_read_receipts_count_the_city_office(client, province):
    w = province
    letter = issue_letter(w.prov, items=1, units=[w.office, w.city2])
    assert set(letter_reading_units(letter)) == {w.office, w.city2}
    signed_in(client, w.city_liaison).get(reverse("letters:detail", args=[letter.pk]))
    assert list(ReadReceipt.objects.filter(letter=letter).values_list("unit_id", "user_id")) == [
        (w.office.pk, w.city_liaison.pk)
    ]
    html = signed_in(client, w.prov.clerk).get(reverse("letters:detail", args=[letter.pk])).content.decode()
    assert f'data-unit="{w.office.pk}" data-opened="1"' in html
    assert f'data-unit="{w.city2.pk}" data-opened="0"' in html
    # The city's own letter: the city office is never one of its readers, its counties are.
    own = issue_letter(w, items=1, units=[w.unit_a])
    assert list(letter_reading_units(own)) == [w.unit_a]


def test_a_returned_provincial_task_may_go_to_another_city_office(province):
    w = province
    letter = issue_letter(w.prov, items=1, units=[w.office])
    [task] = Assignment.objects.filter(letter=letter)
    services.assignment_request_return(actor=w.city_liaison, assignment=task.pk, reason="不属本市职责")
    services.assignment_approve_return(actor=w.city_leader, assignment=task.pk)
    task = Assignment.objects.get(pk=task.pk)
    assert task.state == S.RETURNED
    targets = set(reassign_targets(task))
    assert w.city2 in targets and w.province not in targets and w.office not in targets
    moved = services.assignment_reassign(actor=w.prov.clerk, assignment=task.pk, unit=w.city2.pk)
    assert moved.unit_id == w.city2.pk
    # A city's returned task goes to a unit, never to an office above or beside it.
    own = issue_letter(w, items=1, units=[w.unit_a])
    [mine] = Assignment.objects.filter(letter=own)
    services.assignment_request_return(actor=w.liaison_a, assignment=mine.pk, reason="不属本县职责")
    services.assignment_approve_return(actor=w.leader_a, assignment=mine.pk)
    mine = Assignment.objects.get(pk=mine.pk)
    assert not {w.province, w.city2, w.office} & set(reassign_targets(mine))
    with pytest.raises(services.InvalidInput):
        services.assignment_reassign(actor=w.clerk, assignment=mine.pk, unit=w.city2.pk)
