"""Scenes for handing tasks down: the hierarchy fixture's county A holding a claimed task of a
one-item letter, and helpers to break it down and drive a sub-task through its own loop."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from supervision import services
from supervision.models import Assignment
from supervision.services import SubTaskPart
from tests.factories import FUTURE, issue_letter

SOON = FUTURE - dt.timedelta(days=20)


@pytest.fixture
def county_task(hierarchy) -> Assignment:
    """County A's task of a one-item letter to A and B, claimed by A's liaison."""
    letter = issue_letter(hierarchy, items=1)
    a = Assignment.objects.get(letter=letter, unit=hierarchy.unit_a)
    return services.assignment_claim(actor=hierarchy.liaison_a, assignment=a)


def break_down(w: SimpleNamespace, task: Assignment, *codes: str, deadline: dt.date = SOON) -> list[Assignment]:
    """County A's liaison breaks its task down to the named units below it."""
    return services.assignment_break_down(
        actor=w.liaison_a,
        assignment=task,
        parts=[SubTaskPart(getattr(w, code).pk, deadline, f"{code}：排查整改本辖区问题") for code in codes],
    )


def finish_below(w: SimpleNamespace, sub: Assignment, code: str, *, text: str = "本镇已完成整改") -> Assignment:
    """The sub-unit claims, reports completion and signs it; county A verifies and writes it off."""
    liaison, leader = getattr(w, f"liaison_{code}"), getattr(w, f"leader_{code}")
    services.assignment_claim(actor=liaison, assignment=sub.pk)
    services.assignment_start(actor=liaison, assignment=sub.pk)
    services.assignment_submit_completion(actor=liaison, assignment=sub.pk, text=text)
    services.assignment_approve_completion(actor=leader, assignment=sub.pk)
    services.assignment_verify(actor=w.liaison_a, assignment=sub.pk)
    return services.assignment_close(actor=w.leader_a, assignment=sub.pk)
