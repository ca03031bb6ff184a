"""The ledger (台账) down the tree: the office's ledger holds what it issued, a county's its own
tasks, a township's its parts with their own measures; asking for a level prints it in the head."""

from __future__ import annotations

import pytest

from notices import ledger
from notices.job_kinds.ledger import ledger_resolve
from supervision.services import InvalidInput
from tests.hand_down.conftest import break_down


def _rows(user, **params):
    asked = ledger_resolve(user, params)
    return list(asked.rows), asked


def test_the_office_s_ledger_holds_its_own_tasks_unless_asked_for_sub_tasks(hierarchy, county_task):
    w = hierarchy
    break_down(w, county_task, "town_a1", "town_a2")
    rows, _asked = _rows(w.clerk)
    assert {r.unit__name for r in rows} == {w.unit_a.name, w.unit_b.name}
    rows, asked = _rows(w.clerk, level=["sub"])
    assert {r.unit__name for r in rows} == {w.town_a1.name, w.town_a2.name}
    assert "下级分解转办任务" in asked.unit_label


def test_a_county_s_ledger_holds_its_task_once_and_a_township_its_own_part(hierarchy, county_task):
    w = hierarchy
    break_down(w, county_task, "town_a1", "town_a2")
    rows, _asked = _rows(w.liaison_a)
    assert [r.unit__name for r in rows] == [w.unit_a.name]
    rows, _asked = _rows(w.liaison_town_a1)
    assert [r.unit__name for r in rows] == [w.town_a1.name]
    line = next(ledger.ledger_lines(rows))
    assert line.cells[2] == "town_a1：排查整改本辖区问题"


def test_an_unknown_level_is_refused(hierarchy, county_task):
    with pytest.raises(InvalidInput):
        ledger_resolve(hierarchy.clerk, {"level": ["nonsense"]})
