"""What each step of a task's usual life costs in statements (the transition benchmark's loop,
bench/transitions.py): a step that grows a query shows here first, named. Counted as a request
would meet them, with the actor loaded afresh; SAVEPOINT and RELEASE stand for BEGIN and COMMIT
inside the test's transaction."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import services
from supervision.models import Assignment, AssignmentState, User
from tests.factories import issue_letter

# Each: savepoint, the row lock, the actor's roles, the update, the audit row and its release,
# and what the step adds: report a cycle's progress (the cycle, this cycle's report, the report),
# submit (the report and its cycle, the leader told), approve (the submission signed: four
# eyes; the sign-off, the inspectors told), verify (the director told), close (the unit told, the
# letter locked, whether any task of the letter is still open). A task that never handed anything
# down does not ask about sub-tasks (Assignment.has_sub_tasks), nor does the write-off of an item
# issued with no cooperating unit look for cooperating tasks (Item.has_cooperating); telling
# people is two statements: the inbox rows and the outbox event.
STATEMENTS = {
    "claim": 8,
    "report_progress": 9,
    "submit_completion": 10,
    "approve_completion": 10,
    "verify": 8,
    "close": 10,
}


def test_each_step_of_the_usual_life_costs_its_statements(world):
    w = world
    # Two units, so that writing off A's task leaves the letter open (the typical write-off).
    letter = issue_letter(w, items=1, units=[w.unit_a, w.unit_b])
    pk = Assignment.objects.get(letter=letter, unit=w.unit_a).pk
    calls = {
        "claim": (w.liaison_a, lambda u: services.assignment_claim(actor=u, assignment=pk, responsible_person="张三")),
        "report_progress": (
            w.liaison_a,
            lambda u: services.assignment_report_progress(actor=u, assignment=pk, text="已完成排查"),
        ),
        "submit_completion": (
            w.liaison_a,
            lambda u: services.assignment_submit_completion(actor=u, assignment=pk, text="已全部完成整改"),
        ),
        "approve_completion": (
            w.leader_a,
            lambda u: services.assignment_approve_completion(actor=u, assignment=pk, comment="同意"),
        ),
        "verify": (w.inspector, lambda u: services.assignment_verify(actor=u, assignment=pk)),
        "close": (w.director, lambda u: services.assignment_close(actor=u, assignment=pk)),
    }
    counted = {}
    for step, (who, call) in calls.items():
        actor = User.objects.get(pk=who.pk)  # as a request loads it: no roles read yet
        with CaptureQueriesContext(connection) as ctx:
            call(actor)
        counted[step] = len(ctx.captured_queries)
    assert counted == STATEMENTS
    assert Assignment.objects.get(pk=pk).state == AssignmentState.CLOSED
