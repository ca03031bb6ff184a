"""Migration 0017: the cycles, rule sets, results and escalations written before several offices
existed belong to the one office there was; with none, an office is created to hold them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from supervision.models import Cycle, Escalation, RuleSet, Unit, UnitResult

BEFORE = ("supervision", "0016_hand_down")
AFTER = ("supervision", "0017_offices")
CUTOFF = dt.datetime(2024, 1, 12, 9, 0, tzinfo=dt.UTC)


def _old_rows(apps, unit_id: int) -> None:
    """A closed cycle with its rules, one result and one escalation, as the code before 0017 wrote
    them: no office anywhere."""
    OldRuleSet = apps.get_model("supervision", "RuleSet")
    OldCycle = apps.get_model("supervision", "Cycle")
    OldResult = apps.get_model("supervision", "UnitResult")
    OldEscalation = apps.get_model("supervision", "Escalation")
    rules = OldRuleSet.objects.create(version=1, name="规则", is_current=True, created_at=CUTOFF)
    cycle = OldCycle.objects.create(
        number=1,
        seq=0,
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2024, 1, 14),
        opens_at=CUTOFF - dt.timedelta(days=14),
        cutoff_at=CUTOFF,
        state="closed",
        opened_at=CUTOFF - dt.timedelta(days=14),
        closed_at=CUTOFF,
        rule_set=rules,
    )
    zero = dict.fromkeys(
        [
            "held",
            "claims_due",
            "claimed_on_time",
            "reports_due",
            "reports_made",
            "overdue",
            "closed",
            "rejections",
            "returns_upheld",
            "returns_rejected",
            "extensions",
            "points_base",
            "points_claims",
            "points_reports",
            "points_on_time",
            "points_closed",
            "points_rejections",
            "points_returns_rejected",
            "points_returns_upheld",
            "points_extensions",
            "score",
            "group_size",
        ],
        0,
    )
    OldResult.objects.create(
        cycle=cycle, unit_id=unit_id, peer_group="county", unit_order=1, ranked=True, rank=1, last_streak=1, **zero
    )
    OldEscalation.objects.create(
        cycle=cycle, unit_id=unit_id, peer_group="county", level=1, streak=1, created_at=CUTOFF
    )
    OldCycle.objects.create(
        number=2,
        seq=1,
        starts_on=dt.date(2024, 1, 15),
        ends_on=dt.date(2024, 1, 28),
        opens_at=CUTOFF,
        cutoff_at=CUTOFF + dt.timedelta(days=14),
        state="open",
        opened_at=CUTOFF,
    )


def _migrate_with_old_rows(unit_id: int, *, drop_offices: bool = False) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        apps = executor.loader.project_state([BEFORE]).apps
        if drop_offices:
            OldUnit = apps.get_model("supervision", "Unit")
            for name in ("LetterPrefix",):
                apps.get_model("supervision", name).objects.all().delete()
            apps.get_model("supervision", "Membership").objects.filter(unit__kind="office").delete()
            OldUnit.objects.filter(kind="office").delete()
        _old_rows(apps, unit_id)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("supervision"))


@pytest.mark.django_db(transaction=True)
def test_the_one_office_gets_the_cycles_rules_and_results(world):
    _migrate_with_old_rows(world.unit_a.pk)
    assert set(Cycle.objects.values_list("office_id", flat=True)) == {world.office.pk}
    assert list(RuleSet.objects.values_list("office_id", "version", "is_current")) == [(world.office.pk, 1, True)]
    result = UnitResult.objects.get()
    assert (result.ranked_by_id, result.unit_id) == (world.office.pk, world.unit_a.pk)
    assert Escalation.objects.get().ranked_by_id == world.office.pk
    # The office's cycles go on from where they were: its open cycle 2 is the one tick closes next.
    assert Cycle.objects.get(state="open").number == 2


@pytest.mark.django_db(transaction=True)
def test_of_several_offices_the_one_that_issued_letters_gets_them(world):
    from tests.factories import issue_letter

    city = Unit.objects.create(name="另一办公室", kind="office", peer_group="office", sort_order=0)
    issue_letter(world, items=1)
    _migrate_with_old_rows(world.unit_a.pk)
    assert set(Cycle.objects.values_list("office_id", flat=True)) == {world.office.pk}
    assert not Cycle.objects.filter(office=city).exists()


@pytest.mark.django_db(transaction=True)
def test_with_no_office_one_is_created_to_hold_them(world):
    _migrate_with_old_rows(world.unit_a.pk, drop_offices=True)
    [office] = Unit.objects.filter(kind="office")
    assert set(Cycle.objects.values_list("office_id", flat=True)) == {office.pk}
    assert UnitResult.objects.get().ranked_by_id == office.pk
