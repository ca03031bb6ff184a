"""Work queues: each person sees what waits on them, and the counters agree with the lists."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import services
from supervision.models import Assignment
from supervision.selectors import queues
from tests.conftest import issue_letter
from tests.helpers import draft_letter, drive


def _pks(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_each_step_lands_in_the_next_persons_queue(world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    assert _pks(queues.QUEUES["unclaimed"].assignments(world.liaison_a)) == {a.pk}
    assert _pks(queues.QUEUES["unclaimed"].assignments(world.liaison_b)) == set()
    services.assignment_claim(actor=world.liaison_a, assignment=a)
    assert _pks(queues.QUEUES["unclaimed"].assignments(world.liaison_a)) == set()
    assert _pks(queues.QUEUES["mine"].assignments(world.liaison_a)) == {a.pk}
    services.assignment_start(actor=world.liaison_a, assignment=a)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=a, text="已完成")
    assert _pks(queues.QUEUES["unit_signoff"].assignments(world.leader_a)) == {a.pk}
    assert _pks(queues.QUEUES["unit_signoff"].assignments(world.leader_b)) == set()
    services.assignment_approve_completion(actor=world.leader_a, assignment=a)
    assert _pks(queues.QUEUES["to_verify"].assignments(world.inspector)) == {a.pk}
    assert _pks(queues.QUEUES["to_verify"].assignments(world.clerk)) == set()
    services.assignment_verify(actor=world.inspector, assignment=a)
    assert _pks(queues.QUEUES["to_close"].assignments(world.director)) == {a.pk}
    services.assignment_close(actor=world.director, assignment=a)
    assert _pks(queues.QUEUES["closed"].assignments(world.director)) == {a.pk}
    assert _pks(queues.QUEUES["mine"].assignments(world.liaison_a)) == set()


def test_returns_wait_for_the_leader_then_the_clerk(world):
    case = drive(world, "return_requested")
    assert _pks(queues.QUEUES["unit_signoff"].assignments(world.leader_a)) == {case.assignment.pk}
    services.assignment_approve_return(actor=world.leader_a, assignment=case.assignment)
    assert _pks(queues.QUEUES["returned"].assignments(world.clerk)) == {case.assignment.pk}
    targets = set(queues.reassign_targets(case.assignment).values_list("pk", flat=True))
    # Not the office, not the unit that returned it, not B which already holds the item.
    assert world.unit_c.pk in targets
    assert not targets & {world.office.pk, world.unit_a.pk}


def test_extension_queues(world):
    a = drive(world, "in_progress").assignment
    ext = services.extension_request(
        actor=world.liaison_a, assignment=a, requested_deadline=a.deadline + dt.timedelta(days=10), reason="工期长"
    )
    assert _pks(queues.extensions_to_sign(world.leader_a)) == {ext.pk}
    assert _pks(queues.extensions_to_decide(world.clerk)) == set()
    services.extension_sign(actor=world.leader_a, extension=ext)
    assert _pks(queues.extensions_to_sign(world.leader_a)) == set()
    assert _pks(queues.extensions_to_decide(world.clerk)) == {ext.pk}
    assert _pks(queues.extensions_to_decide(world.liaison_a)) == set()


def test_a_director_never_sees_their_own_draft_to_sign(world):
    theirs = draft_letter(world)
    assert _pks(queues.letters_to_sign(world.director)) == {theirs.pk}
    assert _pks(queues.letters_to_sign(world.clerk)) == set()


def test_counts_match_the_lists_in_a_bounded_number_of_queries(world):
    issue_letter(world, items=3)
    drive(world, "awaiting_verification")
    drive(world, "returned")
    for user in (world.clerk, world.inspector, world.director, world.liaison_a, world.leader_a, world.outsider):
        counts = queues.queue_counts(user)
        for key, q in queues.QUEUES.items():
            if key in counts:
                assert counts[key] == q.assignments(user).count(), (user, key)
    with CaptureQueriesContext(connection) as ctx:
        queues.queue_counts(world.director)
    assert len(ctx) <= 5
    assert queues.queue_counts(world.outsider) == {}
