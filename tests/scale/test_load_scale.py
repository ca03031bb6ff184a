"""``manage.py load_scale`` on a small province (SQLite in the first pass): what an office trying the
pages at scale, or a benchmark, relies on — four levels of units, the tree of sub-tasks with the
units above each, gap-free letter numbers, a plausible mix of states and lights, sample accounts
that sign in, and a database that ``check_integrity`` finds sound. The figures at full size are
in BENCHMARKS.md (bench/hierarchy.py), not here."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client

from supervision import clock, integrity
from supervision.models import (
    Assignment,
    AssignmentAncestor,
    AuditEvent,
    Cycle,
    Evidence,
    Letter,
    Membership,
    ProgressReport,
    Unit,
    UnitKind,
    UnitResult,
    User,
)

ASSIGNMENTS = 20_000
PASSWORD = "scale-sample-1"


@pytest.mark.django_db
def test_a_small_province_is_generated_sound_and_plausible():
    # One generation (some 20 s on SQLite) read by every check below.
    out = io.StringIO()
    call_command(
        "load_scale", cities=3, units=700, assignments=ASSIGNMENTS, seed=7, password=PASSWORD, yes=True, stdout=out
    )
    printed = out.getvalue()
    four_levels_of_units_and_their_people(printed)
    tasks_form_trees_whose_units_above_are_recorded()
    letters_are_numbered_without_gaps_and_states_are_mixed()
    the_database_is_sound()
    # A second run finds the database in use.
    with pytest.raises(CommandError, match="already holds units or letters"):
        call_command("load_scale", assignments=1000, yes=True, stdout=io.StringIO())


def four_levels_of_units_and_their_people(printed: str) -> None:
    top = Unit.objects.get(parent__isnull=True)
    assert top.kind == UnitKind.OFFICE
    cities = list(Unit.objects.filter(parent=top))
    assert len(cities) == 3 and {c.kind for c in cities} == {UnitKind.OFFICE}
    third = Unit.objects.filter(parent__in=cities)
    assert {u.kind for u in third} == {UnitKind.COUNTY, UnitKind.DEPARTMENT, UnitKind.WORK_TEAM}
    townships = Unit.objects.filter(parent__in=third)
    assert {u.kind for u in townships} == {UnitKind.TOWNSHIP}
    assert townships.filter(parent__kind=UnitKind.COUNTY).count() == townships.count()
    assert 650 <= Unit.objects.count() <= 710
    # A liaison and a leader in every unit but the province office; four office staff in every office.
    responsible = Unit.objects.exclude(pk=top.pk)
    for role in ("liaison", "leader"):
        assert Membership.objects.filter(role=role).values("unit").distinct().count() == responsible.count()
    assert Membership.objects.filter(role="clerk").count() == 4
    # The printed sample accounts sign in; everyone else's password is unusable.
    assert "Sample accounts" in printed and PASSWORD in printed
    assert Client().login(username="taiyuan_k01_liaison", password=PASSWORD)
    assert not User.objects.get(username="taiyuan_k02_liaison").has_usable_password()


def tasks_form_trees_whose_units_above_are_recorded() -> None:
    total = Assignment.objects.count()
    assert ASSIGNMENTS <= total < ASSIGNMENTS * 1.05
    subs = list(
        Assignment.objects.filter(parent__isnull=False).values(
            "pk", "parent_id", "depth", "unit_id", "unit__parent_id", "item_id", "letter_id", "deadline"
        )
    )
    assert len(subs) > total // 4
    parents = {
        row["pk"]: row
        for row in Assignment.objects.filter(pk__in={s["parent_id"] for s in subs}).values(
            "pk", "depth", "unit_id", "item_id", "letter_id", "deadline", "handed_down_as"
        )
    }
    above: dict[int, dict[int, int]] = defaultdict(dict)
    for a, u, d in AssignmentAncestor.objects.values_list("assignment_id", "unit_id", "distance"):
        above[a][u] = d
    for s in subs:
        p = parents[s["parent_id"]]
        assert s["depth"] == p["depth"] + 1
        assert (s["item_id"], s["letter_id"]) == (p["item_id"], p["letter_id"])
        assert s["deadline"] <= p["deadline"]
        # Handed down to a unit directly below the parent's unit.
        assert s["unit__parent_id"] == p["unit_id"]
        expected = {p["unit_id"]: 1, **{u: d + 1 for u, d in above.get(p["pk"], {}).items()}}
        assert above[s["pk"]] == expected
    assert set(above) == {s["pk"] for s in subs}
    # Every task that handed something down says so, and no other: the completion check counts
    # sub-tasks only where the flag is set (step_guards.no_open_sub_tasks).
    assert set(Assignment.objects.filter(has_sub_tasks=True).values_list("pk", flat=True)) == set(parents)
    assert Counter(s["depth"] for s in subs).keys() == {1, 2}
    # Some forwarded whole (转办), most broken down (分解); one task into 50 townships.
    kinds = Counter(Assignment.objects.filter(parent__isnull=False).values_list("handed_down_as", flat=True))
    assert kinds["forward"] > 0 and kinds["breakdown"] > kinds["forward"]
    widest = Counter(s["parent_id"] for s in subs).most_common(1)[0][1]
    assert widest == 50
    the_county_has_a_whole_task_to_break_down()


def the_county_has_a_whole_task_to_break_down() -> None:
    # What the break-down benchmark hands down to 50 townships: claimed, open, whole, due ahead.
    liaison = User.objects.get(username="taiyuan_k01_liaison")
    sample = Assignment.objects.annotate(n=Count("children")).get(n=50)
    whole = Assignment.objects.filter(
        letter_id=sample.letter_id,
        unit_id=sample.unit_id,
        parent__isnull=True,
        claimed_by=liaison,
        state__in=["accepted", "in_progress"],
        children__isnull=True,
        deadline__gte=clock.today() + dt.timedelta(days=2),
    )
    assert whole.exists()
    assert sample.claimed_by == liaison


def letters_are_numbered_without_gaps_and_states_are_mixed() -> None:
    assert list(integrity.letter_numbers()) == []
    assert Letter.objects.filter(office__parent__isnull=True).exists()  # the province's, to the cities
    assert Letter.objects.filter(office__parent__isnull=False).exists()  # the cities' own
    states = Counter(Assignment.objects.values_list("state", flat=True))
    total = sum(states.values())
    for state in ("issued", "accepted", "in_progress", "completion_requested", "awaiting_verification", "verified"):
        assert states[state] > 0, state
    assert 0.1 < states["closed"] / total < 0.7
    assert 0.2 < states["in_progress"] / total < 0.8
    assert Assignment.objects.filter(overdue_since__isnull=False).exists()
    assert Assignment.objects.filter(report_missed=True).exists()
    assert Assignment.objects.filter(sub_task_overdue=True).exists()
    assert Assignment.objects.filter(rejection_count__gt=0).exists()
    # One progress report per task and cycle at most, a few with evidence.
    assert ProgressReport.objects.filter(kind="progress").count() > total // 2
    assert Evidence.objects.exists()
    # Closed cycles ranked by the engine for every office, and one open per office.
    offices = Unit.objects.filter(kind=UnitKind.OFFICE).count()
    assert Cycle.objects.filter(state="open").count() == offices
    assert Cycle.objects.filter(state="closed").count() == 2 * offices
    assert UnitResult.objects.exists()


def the_database_is_sound() -> None:
    out = io.StringIO()
    call_command("check_integrity", stdout=out)
    assert "Integrity OK" in out.getvalue()
    # Inside the test's transaction SQLite has not checked the deferred keys yet: ask it.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
    # The audit trail is append-only and complete: every task's chain starts with its issue.
    assert AuditEvent.objects.filter(action="letter.issued").count() == Letter.objects.count()


@pytest.mark.django_db
def test_a_database_in_use_is_refused_and_nothing_is_generated_unconfirmed():
    with pytest.raises(CommandError, match="Nothing was generated"):
        call_command("load_scale", assignments=1000, stdout=io.StringIO(), stderr=io.StringIO())
    Unit.objects.create(name="某县人民政府", kind=UnitKind.COUNTY, peer_group="county")
    with pytest.raises(CommandError, match="already holds units or letters") as refused:
        call_command("load_scale", assignments=1000, yes=True, stdout=io.StringIO())
    assert refused.value.returncode == 1
    assert not Letter.objects.exists() and Unit.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("at", ["2026-03-24T12:17:00+00:00", "2026-07-18T23:50:00+08:00"])
def test_the_break_down_sample_is_there_whatever_day_the_data_is_made(at):
    # The draws are seeded but laid out from "now": on some days no random task of the big county
    # happened to be claimed, open, whole and due ahead, and the benchmark had nothing to break down.
    if connection.vendor != "sqlite":
        pytest.skip("the generator's draws are the same on every database: this runs in the SQLite pass")
    with clock.frozen(dt.datetime.fromisoformat(at)):
        call_command(
            "load_scale",
            cities=2,
            units=300,
            assignments=1500,
            seed=11,
            password=PASSWORD,
            yes=True,
            stdout=io.StringIO(),
        )
        the_county_has_a_whole_task_to_break_down()
