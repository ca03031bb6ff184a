"""The parent's page reads: its sub-tasks with their lights and latest reports in a fixed number
of queries, the units a task may be handed down to, and whether it may be."""

from __future__ import annotations

import pytest

from supervision import services
from supervision.models import Assignment, Unit, UnitKind
from supervision.selectors.hand_down import hand_down_targets, may_hand_down, roll_up_ready, sub_tasks
from supervision.services import SubTaskPart
from tests.factories import make_user
from tests.hand_down.conftest import SOON, break_down


@pytest.mark.parametrize("n", [3, 50])
def test_sub_tasks_in_three_queries_whatever_their_number(hierarchy, county_task, n, django_assert_num_queries):
    w = hierarchy
    units = Unit.objects.bulk_create(
        [Unit(name=f"甲县{i}镇", kind=UnitKind.TOWNSHIP, peer_group="township", parent=w.unit_a) for i in range(n)]
    )
    subs = services.assignment_break_down(
        actor=w.liaison_a, assignment=county_task.pk, parts=[SubTaskPart(u.pk, SOON, f"措施{u.pk}") for u in units]
    )
    first = subs[0]
    member = make_user("liaison_first", units[0], "liaison")
    services.assignment_claim(actor=member, assignment=first.pk)
    services.assignment_report_progress(actor=member, assignment=first.pk, text="已排查三户")
    with django_assert_num_queries(3):
        rows = sub_tasks(county_task.pk)
    assert len(rows) == n
    top = rows[0]
    assert (top.pk, top.state, top.report_text, top.report_kind, top.claimed_by) == (
        first.pk,
        "in_progress",
        "已排查三户",
        "progress",
        "liaison_first",
    )
    assert top.light in ("green", "yellow") and top.measures == f"措施{units[0].pk}"
    assert all(r.report_text == "" and r.evidence_count == 0 for r in rows[1:])


def test_targets_leave_out_units_holding_a_part_and_stop_at_the_depth_limit(hierarchy, county_task, settings):
    w = hierarchy
    task = Assignment.objects.get(pk=county_task.pk)
    assert may_hand_down(task)
    assert [u.pk for u in hand_down_targets(task)] == sorted([w.town_a1.pk, w.town_a2.pk])
    break_down(w, task, "town_a1")
    assert [u.pk for u in hand_down_targets(task)] == [w.town_a2.pk]
    assert not roll_up_ready(task)
    settings.HIERARCHY_LEVELS = 2
    assert hand_down_targets(task) == [] and not may_hand_down(task)
