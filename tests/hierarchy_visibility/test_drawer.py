"""The drawer's entry for the sub-tasks a unit handed down (分解/转办): shown to the liaisons and
leaders of units with units below them, to nobody else, read with the roles the drawer already
has (no query of its own), and opening the list of exactly what the unit handed down."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from supervision.models import Membership, Role, Unit
from supervision.services.roles import roles_by_unit
from tests.factories import signed_in
from workflows.site import site

from .conftest import person

HANDED_DOWN = "Handed down"


def _drawer(client, user, url: str) -> dict[str, tuple[str, bool]]:
    """{entry title: (its URL, whether it is the page's)} of the drawer on ``url``."""
    response = signed_in(client, user).get(url)
    assert response.status_code == 200
    groups = site.menu_for(response.context["request"])
    return {str(link.title): (link.url, link.active) for g in groups for link in g.links}


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("liaison_a", True),  # a county with townships below
        ("leader_a", True),
        ("liaison_town_a1", True),  # a township with a village below
        ("leader_b", True),
        ("liaison_town_a2", False),  # a township with nothing below
        ("leader_village_a1", False),
        ("liaison_c", False),  # a department with nothing below
        ("clerk", False),  # the office: its sub-task list is the level filter of its own list
        ("director", False),
    ],
)
def test_the_drawer_offers_the_handed_down_list_to_units_with_units_below(client, tree, who, shown):
    drawer = _drawer(client, person(tree.w, who), reverse("tasks:list"))
    assert (HANDED_DOWN in drawer) is shown
    body = client.get(reverse("tasks:list")).content.decode()
    assert (f'href="{reverse("tasks:list")}?queue=handed_down"' in body) is shown


@pytest.mark.parametrize(
    ("who", "handed_down"),
    [("liaison_a", {"a1", "a2"}), ("leader_a", {"a1", "a2"}), ("liaison_town_a1", {"v1"}), ("liaison_b", {"b1"})],
)
def test_the_entry_opens_the_list_of_what_the_unit_handed_down(client, tree, who, handed_down):
    url, _active = _drawer(client, person(tree.w, who), reverse("unit:index"))[HANDED_DOWN]
    page = client.get(url)
    assert {tree.names[a.pk] for a in page.context["page"].rows} == handed_down
    # On that list the drawer marks this entry, not "Assignments" of the same path.
    drawer = _drawer(client, person(tree.w, who), url)
    assert [title for title, (_u, active) in drawer.items() if active] == [HANDED_DOWN]


def test_the_entry_follows_the_unit_where_the_role_is_held(client, tree):
    w = tree.w
    # The office has units below it too; its clerk who is also a liaison of a township with
    # nothing below has handed nothing down: no entry.
    Unit.objects.filter(pk=w.unit_a.pk).update(parent=w.office)
    both = w.liaison_town_a2
    Membership.objects.create(user=both, unit=w.office, role=Role.CLERK)
    assert HANDED_DOWN not in _drawer(client, person(w, "liaison_town_a2"), reverse("tasks:list"))
    # Made a leader of the county as well: now they have.
    Membership.objects.create(user=both, unit=w.unit_a, role=Role.LEADER)
    assert HANDED_DOWN in _drawer(client, person(w, "liaison_town_a2"), reverse("tasks:list"))


@pytest.mark.parametrize("who", ["liaison_a", "liaison_town_a2", "clerk"])
def test_the_drawer_reads_nothing_beyond_the_roles(tree, who, django_assert_num_queries):
    user = person(tree.w, who)
    roles_by_unit(user)  # what every page reads once for the person
    request = RequestFactory().get(reverse("tasks:list"))
    request.user = user
    with django_assert_num_queries(0):
        site.menu_for(request)
