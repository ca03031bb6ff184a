"""Down the unit tree, not sideways: who sees which task, file, letter and item, through the
selectors, has_perm, the pages and the API, across four levels (office, county, township,
village) and two branches."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from supervision.models import Assignment
from supervision.selectors import visibility
from tests.api.conftest import ApiClient, token_for
from tests.factories import signed_in

from .conftest import EVERYONE, NOBODY, SEES, TASKS, person

# The evidence each person may download: the tasks' files they see.
FILES = ("a1", "a2", "v1", "b1")


def _names(tree, qs) -> set[str]:
    return {tree.names[pk] for pk in qs.values_list("pk", flat=True)}


@pytest.mark.parametrize("who", EVERYONE)
def test_each_person_sees_their_tasks_and_those_below_them_only(tree, who):
    user = person(tree.w, who)
    assert _names(tree, visibility.assignments_visible_to(user)) == SEES[who]
    for name in TASKS:
        a = tree.tasks[name]
        seen = name in SEES[who]
        assert (visibility.assignment_get(user, a.pk) is not None) == seen, name
        assert user.has_perm("supervision.view_assignment", a) == seen, name


@pytest.mark.parametrize("who", EVERYONE)
def test_each_person_sees_the_files_of_the_tasks_they_see(tree, who):
    user = person(tree.w, who)
    for name in FILES:
        ev = tree.evidence[name]
        seen = name in SEES[who]
        assert visibility.evidence_visible_to(user).filter(pk=ev.pk).exists() == seen, name
        assert user.has_perm("supervision.view_evidence", ev) == seen, name


@pytest.mark.parametrize("who", EVERYONE)
def test_a_unit_holding_a_sub_task_reads_its_letter_and_item(tree, who):
    user = person(tree.w, who)
    sees_any = bool(SEES[who])
    assert visibility.letters_visible_to(user).filter(pk=tree.letter.pk).exists() == sees_any
    assert visibility.items_visible_to(user).filter(letter=tree.letter).exists() == sees_any
    assert user.has_perm("supervision.view_letter", tree.letter) == sees_any


def test_the_task_handed_down_from_comes_with_the_task(tree, django_assert_num_queries):
    user = person(tree.w, "liaison_village_a1")
    user.is_active  # noqa: B018 - the roles are read by the first selector below
    v1 = tree.tasks["v1"]
    ContentType.objects.get_for_model(Assignment)  # cached per process: warm it, whatever ran before
    with django_assert_num_queries(2):  # the roles (no office role: no office to look up), the task
        a = visibility.assignment_get(user, v1.pk)
    with django_assert_num_queries(0):
        assert (a.parent.pk, a.parent.unit.pk) == (tree.tasks["a1"].pk, tree.w.town_a1.pk)


# --- through the pages and the API -------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_task_pages_and_file_downloads_answer_404_below_or_beside_one_s_reach(tree, who):
    c = signed_in(Client(), person(tree.w, who))
    for name in TASKS:
        r = c.get(reverse("tasks:detail", args=[tree.tasks[name].pk]))
        assert r.status_code == (200 if name in SEES[who] else 404), name
    for name in FILES:
        r = c.get(reverse("tasks:evidence", args=[tree.evidence[name].pk]))
        assert r.status_code == (200 if name in SEES[who] else 404), name
    r = c.get(reverse("letters:detail", args=[tree.letter.pk]))
    assert r.status_code == (404 if who in NOBODY else 200)


@pytest.mark.parametrize("who", EVERYONE)
def test_the_api_lists_what_the_pages_show(tree, who):
    api = ApiClient(token_for(person(tree.w, who), "read"))
    r = api.get("/api/assignments/")
    assert r.status_code == 200
    assert {tree.names[row["id"]] for row in r.json()["results"]} == SEES[who]
    for name in TASKS:
        r = api.get(f"/api/assignments/{tree.tasks[name].pk}/")
        assert r.status_code == (200 if name in SEES[who] else 404), name


def test_the_task_list_of_each_level(tree):
    """The list page: the county sees its task and every sub-task below it, the township only its
    own part, the office the whole tree."""
    for who in ("clerk", "liaison_a", "liaison_town_a1", "liaison_town_a2", "liaison_town_b1"):
        c = signed_in(Client(), person(tree.w, who))
        rows = c.get(reverse("tasks:list")).context["page"].rows
        assert {tree.names[a.pk] for a in rows} == SEES[who], who


def test_a_sub_task_s_page_names_no_other_unit_of_the_item(tree):
    """A township sees the letter and the item, not the county's task nor county B's."""
    from supervision.selectors.task_page import task_partners

    a2 = Assignment.objects.select_related("letter").get(pk=tree.tasks["a2"].pk)
    partners = task_partners(person(tree.w, "liaison_town_a2"), a2)
    assert (partners.leads, partners.cooperating, partners.others) == ([], [], [])
    # The office's page of A's task lists B's task as the other lead, not the sub-tasks.
    a = Assignment.objects.select_related("letter").get(pk=tree.tasks["a"].pk)
    partners = task_partners(person(tree.w, "clerk"), a)
    assert [x.pk for x in partners.others] == [tree.tasks["b"].pk]
