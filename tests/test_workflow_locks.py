"""Any viewflow flow of the project must lock its process row (viewflow's default locks nothing)."""

from __future__ import annotations

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow import Flow

from workflows.checks import check_flow_locks


def _define(name: str, **attrs) -> type:
    class Sample(Flow):
        start = flow.StartHandle().Next(this.end)
        end = flow.End()

    Sample.__module__ = "workflows.sample"
    Sample.__qualname__ = name
    for key, value in attrs.items():
        setattr(Sample, key, value)
    return Sample


def test_a_flow_without_a_lock_fails_the_system_check():
    unlocked = _define("UnlockedFlow")
    errors = [e for e in check_flow_locks(None) if e.obj is unlocked]
    assert [e.id for e in errors] == ["workflows.E001"]


def test_a_flow_with_select_for_update_lock_passes():
    locked = _define("LockedFlow", lock_impl=lock.select_for_update_lock)
    assert not [e for e in check_flow_locks(None) if e.obj is locked]
