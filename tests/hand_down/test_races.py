"""Races on PostgreSQL (see tests/test_concurrency.py): two break-downs of one task at once."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from supervision import services
from supervision.models import Assignment, AuditEvent, Unit, UnitKind
from supervision.services import InvalidInput, SubTaskPart
from tests.hand_down.conftest import SOON
from tests.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need PostgreSQL row locks; set DATABASE_URL to a PostgreSQL database to run them",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_two_break_downs_racing_create_no_duplicate(hierarchy, county_task):
    w = hierarchy
    parts = [SubTaskPart(w.town_a1.pk, SOON, "排查"), SubTaskPart(w.town_a2.pk, SOON, "排查")]
    outcomes = race(
        [
            lambda: services.assignment_break_down(actor=w.liaison_a, assignment=county_task.pk, parts=parts)
            for _ in range(4)
        ]
    )
    done = [r for kind, r in outcomes if kind == "ok"]
    refused = [r for kind, r in outcomes if kind == "error"]
    # The parent's lock serialises them: the first creates both parts, the others see them held.
    assert len(done) == 1 and len(refused) == 3
    assert all(isinstance(e, InvalidInput) and "already holds a part" in str(e) for e in refused)
    assert Assignment.objects.filter(parent=county_task).count() == 2
    assert AuditEvent.objects.filter(action="assignment.broken_down").count() == 1


def test_fifty_parts_well_under_half_a_second(hierarchy, county_task):
    w = hierarchy
    units = Unit.objects.bulk_create(
        [Unit(name=f"甲县{i}镇", kind=UnitKind.TOWNSHIP, peer_group="township", parent=w.unit_a) for i in range(50)]
    )
    parts = [SubTaskPart(u.pk, SOON, f"第{i}部分：排查整改") for i, u in enumerate(units)]
    started = time.perf_counter()
    subs = services.assignment_break_down(actor=w.liaison_a, assignment=county_task.pk, parts=parts)
    took = time.perf_counter() - started
    assert len(subs) == 50
    assert took < 0.5, f"{took:.3f} s"
