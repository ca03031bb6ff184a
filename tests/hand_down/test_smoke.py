from __future__ import annotations

from supervision import services
from supervision.models import Assignment, AssignmentState
from tests.hand_down.conftest import break_down, finish_below


def test_loop(hierarchy, county_task):
    w = hierarchy
    subs = break_down(w, county_task, "town_a1", "town_a2")
    for sub, code in zip(subs, ("town_a1", "town_a2"), strict=True):
        finish_below(w, sub, code)
    a = services.assignment_roll_up(actor=w.liaison_a, assignment=county_task.pk, text="全县完成")
    assert a.state == AssignmentState.COMPLETION_REQUESTED
    services.assignment_approve_completion(actor=w.leader_a, assignment=a.pk)
    services.assignment_verify(actor=w.inspector, assignment=a.pk)
    services.assignment_close(actor=w.director, assignment=a.pk)
    assert Assignment.objects.get(pk=a.pk).state == "closed"
