"""The letter list's figures: the office sees how the whole letter is doing, a unit only how its
own tasks are doing, never the progress of the other units the letter went to."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from supervision.models import Assignment
from tests.conftest import issue_letter
from tests.helpers import signed_in, write_off

NOTE = "count only the tasks of the units you belong to"


def _figures(client, user) -> dict[int, tuple[int, int, int]]:
    response = signed_in(client, user).get(reverse("letters:list"))
    assert response.status_code == 200
    return {row.pk: (row.n_open, row.n_closed, row.n_total) for row in response.context["rows"]}


def test_a_unit_sees_its_own_figures_and_the_office_the_whole_letter(client, world):
    # Three problems for A and B each (6 tasks), and one more letter for B and C alone.
    letter = issue_letter(world, items=3, units=[world.unit_a, world.unit_b])
    other = issue_letter(world, items=2, units=[world.unit_b, world.unit_c])
    write_off(
        world, Assignment.objects.filter(letter=letter, unit=world.unit_b).first(), world.liaison_b, world.leader_b
    )
    whole = Assignment.objects.filter(letter=letter).count()
    mine = Assignment.objects.filter(letter=letter, unit=world.unit_a).count()
    assert 0 < mine < whole

    # Unit A: its own tasks, none written off, though B has written one off.
    assert _figures(client, world.liaison_a) == {letter.pk: (mine, 0, mine)}
    assert _figures(client, world.leader_a) == {letter.pk: (mine, 0, mine)}
    theirs = Assignment.objects.filter(letter=letter, unit=world.unit_b).count()
    assert _figures(client, world.liaison_b)[letter.pk] == (theirs - 1, 1, theirs)
    # The office: the whole letter.
    in_other = Assignment.objects.filter(letter=other).count()
    assert _figures(client, world.clerk) == {letter.pk: (whole - 1, 1, whole), other.pk: (in_other, 0, in_other)}
    assert _figures(client, world.observer) == _figures(client, world.clerk)


def test_the_page_says_whose_figures_it_shows(client, world):
    issue_letter(world, items=1)
    assert NOTE in signed_in(client, world.liaison_a).get(reverse("letters:list")).content.decode()
    assert NOTE not in signed_in(client, world.clerk).get(reverse("letters:list")).content.decode()


def test_a_unit_s_letter_list_query_count_does_not_grow(client, world):
    c = signed_in(client, world.liaison_a)
    issue_letter(world, items=1)
    c.get(reverse("letters:list"))
    with CaptureQueriesContext(connection) as small:
        c.get(reverse("letters:list"))
    for _ in range(4):
        issue_letter(world, items=3)
    with CaptureQueriesContext(connection) as large:
        response = c.get(reverse("letters:list"))
    assert len(response.context["rows"]) == 5
    assert len(large) == len(small)


def test_someone_a_letter_is_shared_with_sees_it_without_any_unit_s_figures(client, world):
    letter = issue_letter(world, items=2)
    assign_perm("supervision.view_letter", world.outsider, letter)
    assert _figures(client, world.outsider) == {letter.pk: (0, 0, 0)}


def test_a_superuser_sees_the_whole_letter(client, world, django_user_model):
    letter = issue_letter(world, items=2)
    admin = django_user_model.objects.create_superuser(username="root", password="pw-root-0123456789")
    whole = Assignment.objects.filter(letter=letter).count()
    assert _figures(client, admin) == {letter.pk: (whole, 0, whole)}
