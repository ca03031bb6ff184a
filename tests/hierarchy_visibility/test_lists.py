"""The lists, queues and figures down the unit tree: the level filter, the unit above a sub-task
in the office's place, a parent's yellow light for a late sub-task, and query counts that do not
grow with the sub-tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import clock, services
from supervision.models import Assignment, AssignmentState, Role, Unit, UnitKind
from supervision.selectors import queues
from supervision.selectors.overview import office_overview, unit_overview
from supervision.selectors.search import AssignmentFilters, Level, Light, assignment_counts, assignment_search
from supervision.selectors.task_page import tree_place
from supervision.services.roles import forget_roles
from supervision.services.stand_ins import standin_create
from supervision.services.transitions import sub_tasks_overdue_sweep
from tests.factories import FUTURE, issue_letter, make_user

from .conftest import claim_and_break_down, person

S = AssignmentState


def _names(tree, rows) -> set[str]:
    return {tree.names[a.pk] for a in rows}


def _queue(tree, key: str, who: str) -> set[str]:
    return _names(tree, queues.ALL_QUEUES[key].assignments(person(tree.w, who)))


def _complete(a: Assignment, liaison, leader) -> None:
    """The unit below reports its part done and its leader signs: it waits on the unit above."""
    services.assignment_submit_completion(actor=liaison, assignment=a.pk, text="已完成")
    services.assignment_approve_completion(actor=leader, assignment=a.pk)


# --- the level filter ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (Level.ALL, {"a", "b", "a1", "a2", "v1", "b1"}),
        (Level.DIRECT, {"a", "b"}),
        (Level.SUB, {"a1", "a2", "v1", "b1"}),
    ],
)
def test_the_office_list_filters_by_level(tree, level, expected):
    clerk = person(tree.w, "clerk")
    page = assignment_search(clerk, AssignmentFilters(level=level))
    assert _names(tree, page.rows) == expected
    assert assignment_counts(clerk, AssignmentFilters(level=level))["total"] == len(expected)


def test_a_list_row_names_the_unit_that_handed_it_down_in_the_page_s_query(tree, django_assert_num_queries):
    clerk = person(tree.w, "clerk")
    clerk.is_active  # noqa: B018
    page = assignment_search(clerk, AssignmentFilters(level=Level.SUB))
    with django_assert_num_queries(0):
        by = {tree.names[a.pk]: a.parent.unit.short_name for a in page.rows}
    assert by == {"a1": "甲县", "a2": "甲县", "v1": "东镇", "b1": "乙县"}


# --- queues --------------------------------------------------------------------------------------------


def test_the_unit_above_verifies_and_writes_off_its_sub_tasks_not_the_office(tree):
    w, t = tree.w, tree.tasks
    _complete(t["a2"], w.liaison_town_a2, w.leader_town_a2)
    _complete(t["v1"], w.liaison_village_a1, w.leader_village_a1)
    # A's members verify a2; a1's verify the village's; nobody else, and not the office.
    for who in ("liaison_a", "leader_a"):
        assert _queue(tree, "sub_to_verify", who) == {"a2"}
    for who in ("liaison_town_a1", "leader_town_a1"):
        assert _queue(tree, "sub_to_verify", who) == {"v1"}
    for who in ("liaison_town_a2", "liaison_b", "leader_town_b1", "liaison_c"):
        assert _queue(tree, "sub_to_verify", who) == set()
    assert _queue(tree, "to_verify", "inspector") == set()
    services.assignment_verify(actor=w.liaison_a, assignment=t["a2"].pk)
    assert _queue(tree, "sub_to_verify", "liaison_a") == set()
    # Writing off is the leader's, as the director's for the office's own tasks.
    assert _queue(tree, "sub_to_close", "leader_a") == {"a2"}
    assert _queue(tree, "sub_to_close", "liaison_a") == set()
    assert _queue(tree, "to_close", "director") == set()
    services.assignment_close(actor=w.leader_a, assignment=t["a2"].pk)
    assert _queue(tree, "sub_to_close", "leader_a") == set()


def test_the_office_still_verifies_its_direct_tasks(world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    services.assignment_start(actor=world.liaison_a, assignment=a.pk)
    _complete(a, world.liaison_a, world.leader_a)
    assert queues.QUEUES["to_verify"].assignments(world.inspector).get() == a
    assert not queues.HANDED_DOWN_QUEUES["sub_to_verify"].assignments(world.liaison_a).exists()


def test_a_returned_sub_task_waits_on_the_liaison_above_and_goes_only_below_it(tree):
    w = tree.w
    # A third township below A, and one below B: the part may go to A's other townships only.
    town_a3 = Unit.objects.create(name="甲县北镇人民政府", short_name="北镇", kind=UnitKind.TOWNSHIP, parent=w.unit_a)
    Unit.objects.create(name="乙县北镇人民政府", kind=UnitKind.TOWNSHIP, parent=w.unit_b)
    letter = issue_letter(w, items=1, units=[w.unit_a])
    top = Assignment.objects.get(letter=letter)
    (part,) = claim_and_break_down(w, top, w.liaison_a, [w.town_a2])
    services.assignment_request_return(actor=w.liaison_town_a2, assignment=part.pk, reason="不属于本乡职责")
    services.assignment_approve_return(actor=w.leader_town_a2, assignment=part.pk)
    assert set(queues.HANDED_DOWN_QUEUES["sub_returned"].assignments(person(w, "liaison_a"))) == {part}
    assert not queues.HANDED_DOWN_QUEUES["sub_returned"].assignments(person(w, "leader_a")).exists()
    assert not queues.QUEUES["returned"].assignments(person(w, "clerk")).exists()
    part = Assignment.objects.get(pk=part.pk)
    assert set(queues.reassign_targets(part)) == {w.town_a1, town_a3}
    # The office's own returned task still goes to any unit not holding the item.
    assert w.town_a2 in set(queues.reassign_targets(Assignment.objects.get(pk=top.pk)))


def test_the_handed_down_list_holds_every_sub_task_the_unit_handed_down(tree):
    assert _queue(tree, "handed_down", "liaison_a") == {"a1", "a2"}
    assert _queue(tree, "handed_down", "leader_a") == {"a1", "a2"}
    assert _queue(tree, "handed_down", "liaison_town_a1") == {"v1"}
    assert _queue(tree, "handed_down", "liaison_b") == {"b1"}
    assert _queue(tree, "handed_down", "liaison_village_a1") == set()
    assert _queue(tree, "handed_down", "clerk") == set()
    # The county's figures count what it handed down itself, not the village's part below a1.
    [county] = unit_overview(person(tree.w, "liaison_a"))
    assert (county.handed_down, county.handed_down_open, county.open_total) == (2, 2, 1)
    # Filtered like every list: by the unit below.
    base = queues.ALL_QUEUES["handed_down"].assignments(person(tree.w, "liaison_a"))
    page = assignment_search(person(tree.w, "liaison_a"), AssignmentFilters(units=[tree.w.town_a2.pk]), base=base)
    assert _names(tree, page.rows) == {"a2"}


def test_townships_work_their_sub_tasks_in_their_own_queues(tree):
    letter = issue_letter(tree.w, items=1, units=[tree.w.unit_a])
    top = Assignment.objects.get(letter=letter)
    (part,) = claim_and_break_down(tree.w, top, tree.w.liaison_a, [tree.w.town_a2])
    assert list(queues.QUEUES["unclaimed"].assignments(person(tree.w, "liaison_town_a2"))) == [part]
    services.assignment_claim(actor=tree.w.liaison_town_a2, assignment=part.pk)
    assert part in set(queues.QUEUES["mine"].assignments(person(tree.w, "liaison_town_a2")))


def test_the_counts_match_the_queues(tree):
    w, t = tree.w, tree.tasks
    _complete(t["a2"], w.liaison_town_a2, w.leader_town_a2)
    for who in ("clerk", "inspector", "director", "liaison_a", "leader_a", "liaison_town_a1", "liaison_town_a2"):
        user = person(w, who)
        counts = queues.queue_counts(user)
        for key, q in queues.ALL_QUEUES.items():
            if key in counts:
                assert counts[key] == q.assignments(user).count(), (who, key)
    assert queues.queue_counts(person(w, "liaison_a"))["sub_to_verify"] == 1
    assert queues.queue_counts(person(w, "outsider")) == {}


def test_a_stand_in_for_the_leader_above_writes_off_in_their_place(tree):
    w, t = tree.w, tree.tasks
    _complete(t["a2"], w.liaison_town_a2, w.leader_town_a2)
    services.assignment_verify(actor=w.liaison_a, assignment=t["a2"].pk)
    deputy = make_user("deputy_a", w.unit_a, Role.LIAISON)
    assert _names(tree, queues.ALL_QUEUES["sub_to_close"].assignments(deputy)) == set()
    standin_create(actor=w.leader_a, deputy=deputy, unit=w.unit_a, starts_on=clock.today(), ends_on=FUTURE)
    forget_roles(deputy)
    assert _names(tree, queues.ALL_QUEUES["sub_to_close"].assignments(deputy)) == {"a2"}
    assert queues.queue_counts(deputy)["sub_to_close"] == 1


def test_the_unit_above_decides_a_sub_task_s_extension(tree):
    w, t = tree.w, tree.tasks
    ext = services.extension_request(
        actor=w.liaison_town_a2,
        assignment=t["a2"].pk,
        requested_deadline=t["a2"].deadline + dt.timedelta(days=3),
        reason="雨季施工",
    )
    services.extension_sign(actor=w.leader_town_a2, extension=ext)
    assert set(queues.extensions_to_decide(person(w, "liaison_a"))) == {ext}
    assert set(queues.extensions_to_decide(person(w, "leader_a"))) == {ext}
    for who in ("clerk", "director", "liaison_b", "liaison_town_a1"):
        assert not queues.extensions_to_decide(person(w, who)).exists(), who
    assert office_overview(person(w, "clerk")).extensions == 0


# --- the parent's yellow light -------------------------------------------------------------------------


@pytest.fixture
def late_below(tree):
    """The village's part is past its deadline; the tasks above it are not."""
    v1 = tree.tasks["v1"]
    at = clock.now() + dt.timedelta(days=(v1.deadline - clock.today()).days + 1)
    with clock.frozen(at):
        sub_tasks_overdue_sweep()
        yield tree


def test_a_late_sub_task_turns_its_parent_yellow_in_list_filter_and_overview(late_below):
    tree = late_below
    w = tree.w
    a1 = Assignment.objects.get(pk=tree.tasks["a1"].pk)
    assert a1.sub_task_overdue and a1.deadline >= clock.today()
    liaison = person(w, "liaison_town_a1")
    lights = {tree.names[a.pk]: a.light for a in assignment_search(liaison).rows}
    assert lights == {"a1": Light.YELLOW, "v1": Light.RED}
    assert _names(tree, assignment_search(liaison, AssignmentFilters(light=Light.YELLOW)).rows) == {"a1"}
    assert _names(tree, assignment_search(liaison, AssignmentFilters(light=Light.GREEN)).rows) == set()
    [figures] = unit_overview(liaison)
    assert (figures.due_soon, figures.overdue) == (1, 0)
    assert (figures.handed_down, figures.handed_down_overdue) == (1, 1)
    # The county: its own task is green (its part below is on time), a1 yellow, the village red.
    lights = {tree.names[a.pk]: a.light for a in assignment_search(person(w, "liaison_a")).rows}
    assert lights == {"a": Light.GREEN, "a1": Light.YELLOW, "a2": Light.GREEN, "v1": Light.RED}


def test_red_wins_over_a_late_sub_task(tree):
    a = tree.tasks["a"]
    Assignment.objects.filter(pk=a.pk).update(sub_task_overdue=True)
    with clock.frozen(clock.now() + dt.timedelta(days=(a.deadline - clock.today()).days + 1)):
        rows = assignment_search(person(tree.w, "clerk"), AssignmentFilters(level=Level.DIRECT)).rows
        assert {tree.names[r.pk]: r.light for r in rows}["a"] == Light.RED
        yellow = assignment_search(person(tree.w, "clerk"), AssignmentFilters(light=Light.YELLOW)).rows
        assert "a" not in _names(tree, yellow)


def test_the_office_s_figures_count_its_direct_tasks_and_a_late_sub_task_s_parent_is_yellow(tree):
    Assignment.objects.filter(pk=tree.tasks["a"].pk).update(sub_task_overdue=True)
    o = office_overview(person(tree.w, "clerk"))
    assert o.open_total == 2  # A's and B's tasks, not their six parts
    assert o.lights == {"red": 0, "yellow": 1, "green": 1}


def test_a_task_page_reads_where_it_stands_in_the_tree(tree, django_assert_max_num_queries):
    w, t = tree.w, tree.tasks
    Assignment.objects.filter(pk=t["v1"].pk).update(deadline=clock.today() - dt.timedelta(days=1))
    from supervision.selectors.visibility import assignment_get

    county = person(w, "liaison_a")
    a = assignment_get(county, t["a"].pk)
    with django_assert_max_num_queries(1):
        place = tree_place(county, a)
    assert place.parent is None
    assert (place.handed_down.total, place.handed_down.open, place.handed_down.overdue) == (2, 2, 0)
    a1 = assignment_get(county, t["a1"].pk)
    with django_assert_max_num_queries(1):
        place = tree_place(county, a1)
    assert (place.parent.unit, place.parent_linked, place.handed_down.overdue) == (w.unit_a, True, 1)
    village = person(w, "liaison_village_a1")
    place = tree_place(village, assignment_get(village, t["v1"].pk))
    assert (place.parent.unit, place.parent_linked, bool(place.handed_down)) == (w.town_a1, False, False)


# --- queries do not grow with the sub-tasks ------------------------------------------------------------


def _townships(w, n: int) -> list[Unit]:
    return [
        Unit.objects.create(name=f"甲县第{i}镇", short_name=f"第{i}镇", kind=UnitKind.TOWNSHIP, parent=w.unit_a)
        for i in range(n)
    ]


def _reads(w) -> dict[str, int]:
    """How many queries each list and figure of the tree costs, read as its people read them."""
    counted: dict[str, int] = {}
    reads = {
        "office list": lambda: assignment_search(person(w, "clerk")),
        "office sub-tasks": lambda: assignment_search(person(w, "clerk"), AssignmentFilters(level=Level.SUB)),
        "county list": lambda: assignment_search(person(w, "liaison_a")),
        "handed down": lambda: assignment_search(
            person(w, "liaison_a"), base=queues.ALL_QUEUES["handed_down"].assignments(person(w, "liaison_a"))
        ),
        "county counts": lambda: queues.queue_counts(person(w, "liaison_a")),
        "county overview": lambda: unit_overview(person(w, "liaison_a")),
        "office overview": lambda: office_overview(person(w, "clerk")),
    }
    for name, read in reads.items():
        with CaptureQueriesContext(connection) as ctx:
            read()
        counted[name] = len(ctx)
    return counted


def test_the_lists_cost_the_same_with_3_or_30_sub_tasks(hierarchy):
    w = hierarchy
    towns = _townships(w, 30)
    letter = issue_letter(w, items=2, units=[w.unit_a])
    first, second = Assignment.objects.filter(letter=letter).order_by("pk")
    claim_and_break_down(w, first, w.liaison_a, towns[:3])
    small = _reads(w)
    claim_and_break_down(w, second, w.liaison_a, towns[3:30])
    assert Assignment.objects.filter(parent__isnull=False).count() == 30
    assert _reads(w) == small
