"""Batch actions (批量办理) through the service: each task through its own service call and
savepoint, a refusal mid-way listed with its reason and leaving that task untouched, the inputs
checked once, the same form token running once, and a preview that reads the step table at a
fixed cost in queries."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from supervision import clock, services
from supervision.models import (
    Assignment,
    AssignmentState,
    AuditEvent,
    ExtensionRequest,
    ExtensionState,
    Letter,
    LetterState,
    Notification,
    ProgressReport,
    Role,
)
from supervision.selectors import batches as rows_of
from supervision.services import InvalidInput, steps
from supervision.services.batches import (
    BATCH_ACTION,
    MAX_BATCH,
    assignments_batch,
    batch_steps_for,
    extensions_batch,
    preview,
)
from supervision.services.roles import roles_by_unit
from tests.conftest import issue_letter, make_user
from tests.helpers import drive

S = AssignmentState


def _tasks(w: SimpleNamespace, items: int, units: list | None = None) -> list[Assignment]:
    letter = issue_letter(w, items=items, units=units or [w.unit_a, w.unit_b])
    return list(Assignment.objects.filter(letter=letter).order_by("pk"))


def _drive_to_verified(w: SimpleNamespace, rows: list[Assignment], *, unverified: tuple[int, ...] = ()) -> None:
    """Claim, start, submit, sign and verify (all but ``unverified``, left awaiting verification):
    in batches where a person would use one."""
    for unit, liaison, leader in ((w.unit_a, w.liaison_a, w.leader_a), (w.unit_b, w.liaison_b, w.leader_b)):
        mine = [a.pk for a in rows if a.unit_id == unit.pk]
        if not mine:
            continue
        assert not assignments_batch(actor=liaison, step=steps.CLAIM, ids=mine).refused
        for pk in mine:
            services.assignment_start(actor=liaison, assignment=pk)
            services.assignment_submit_completion(actor=liaison, assignment=pk, text="已全部完成整改")
        assert not assignments_batch(actor=leader, step=steps.APPROVE_COMPLETION, ids=mine).refused
    to_verify = [a.pk for a in rows if a.pk not in unverified]
    assert not assignments_batch(actor=w.inspector, step=steps.VERIFY, ids=to_verify).refused


def _state(pk: int) -> str:
    return Assignment.objects.get(pk=pk).state


def test_a_batch_write_off_of_500_closes_each_with_its_own_audit_row_and_notifications(world):
    rows = _tasks(world, MAX_BATCH // 2)
    assert len(rows) == MAX_BATCH
    _drive_to_verified(world, rows)
    ids = [a.pk for a in rows]
    before = Notification.objects.filter(verb="assignment_closed").count()

    result = assignments_batch(actor=world.director, step=steps.CLOSE, ids=ids, comment="同意销号")

    assert (len(result.done), result.refused) == (MAX_BATCH, ())
    assert set(Assignment.objects.filter(pk__in=ids).values_list("state", flat=True)) == {S.CLOSED}
    per_task = dict(
        AuditEvent.objects.filter(action=steps.CLOSE.action, assignment_id__in=ids)
        .values_list("assignment_id")
        .annotate(n=Count("id"))
    )
    assert per_task == dict.fromkeys(ids, 1)
    assert set(AuditEvent.objects.filter(action=steps.CLOSE.action).values_list("comment", flat=True)) == {"同意销号"}
    # The same notifications as one write-off at a time: the unit's liaison and leader, each task.
    assert Notification.objects.filter(verb="assignment_closed").count() - before == 2 * MAX_BATCH
    # The letter closed with its last assignment, as a single write-off closes it.
    assert Letter.objects.get(pk=rows[0].letter_id).state == LetterState.CLOSED
    # One record of the run.
    record = AuditEvent.objects.get(action=BATCH_ACTION, actor=world.director, data__step="close")
    assert len(record.data["done"]) == MAX_BATCH and record.data["refused"] == []


def test_one_refusal_mid_way_is_listed_with_its_reason_and_leaves_that_task_untouched(world):
    rows = _tasks(world, 3)  # six tasks: three of unit A, three of unit B
    ids = [a.pk for a in rows]
    middle = ids[2]
    _drive_to_verified(world, rows, unverified=(middle,))
    untouched = Assignment.objects.filter(pk=middle).values().get()
    audit_before = AuditEvent.objects.filter(assignment_id=middle).count()
    notes_before = Notification.objects.filter(assignment_id=middle).count()

    result = assignments_batch(actor=world.director, step=steps.CLOSE, ids=ids)

    assert result.done == tuple(pk for pk in ids if pk != middle)
    [refused] = result.refused
    assert refused.pk == middle
    assert refused.reason == "This cannot be done while the assignment is “Awaiting verification”."
    assert Assignment.objects.filter(pk=middle).values().get() == untouched
    assert AuditEvent.objects.filter(assignment_id=middle).count() == audit_before
    assert Notification.objects.filter(assignment_id=middle).count() == notes_before
    assert all(_state(pk) == S.CLOSED for pk in result.done)


def test_a_batch_claim_gives_all_one_responsible_person_and_refuses_what_another_took(world):
    rows = _tasks(world, 4, units=[world.unit_a])
    other = make_user("liaison_a2", world.unit_a, Role.LIAISON, full_name="李四")
    services.assignment_claim(actor=other, assignment=rows[1].pk)

    result = assignments_batch(
        actor=world.liaison_a, step=steps.CLAIM, ids=[a.pk for a in rows], responsible_person="王主任"
    )

    assert [r.reason for r in result.refused] == ["Already claimed by 李四."]
    claimed = Assignment.objects.filter(pk__in=result.done)
    assert {(a.claimed_by_id, a.responsible_person) for a in claimed} == {(world.liaison_a.pk, "王主任")}
    assert AuditEvent.objects.filter(action="assignment.claimed", actor=world.liaison_a).count() == 3


def test_bad_input_refuses_the_whole_batch_before_anything_is_done(world):
    rows = _tasks(world, 2, units=[world.unit_a])
    ids = [a.pk for a in rows]
    with pytest.raises(InvalidInput):
        assignments_batch(actor=world.liaison_a, step=steps.CLAIM, ids=ids, responsible_person="长" * 61)
    with pytest.raises(InvalidInput, match="At most 500"):
        assignments_batch(actor=world.liaison_a, step=steps.CLAIM, ids=range(1, MAX_BATCH + 2))
    with pytest.raises(InvalidInput, match="at least one"):
        assignments_batch(actor=world.liaison_a, step=steps.CLAIM, ids=[])
    with pytest.raises(InvalidInput, match="many tasks at once"):
        assignments_batch(actor=world.inspector, step=steps.REOPEN, ids=ids, reason="问题反弹")
    with pytest.raises(InvalidInput):
        assignments_batch(actor=world.liaison_a, step=steps.CLAIM, ids=ids, token="not a token!")
    assert set(Assignment.objects.filter(pk__in=ids).values_list("state", flat=True)) == {S.ISSUED}
    assert not AuditEvent.objects.filter(action=BATCH_ACTION).exists()


def test_the_same_form_sent_twice_runs_once(world):
    rows = _tasks(world, 3, units=[world.unit_a])
    ids = [a.pk for a in rows]
    first = assignments_batch(actor=world.liaison_a, step=steps.CLAIM, ids=ids, token="form-token-123456789")
    audit = AuditEvent.objects.count()

    again = assignments_batch(actor=world.liaison_a, step=steps.CLAIM, ids=ids, token="form-token-123456789")

    assert again.replayed and (again.done, again.refused) == (first.done, first.refused) == (tuple(ids), ())
    assert AuditEvent.objects.count() == audit
    # Another person's form with the same token is theirs: it runs (and is refused: already claimed).
    other = assignments_batch(actor=world.leader_a, step=steps.CLAIM, ids=ids, token="form-token-123456789")
    assert not other.replayed and len(other.refused) == 3


def test_a_leader_cannot_sign_off_their_own_completion_report_in_a_batch_either(world):
    both = make_user("both_a", world.unit_a, Role.LIAISON, Role.LEADER)
    rows = _tasks(world, 3, units=[world.unit_a])
    for a, who in zip(rows, (world.liaison_a, both, world.liaison_a), strict=True):
        services.assignment_claim(actor=who, assignment=a.pk)
        services.assignment_start(actor=who, assignment=a.pk)
        services.assignment_submit_completion(actor=who, assignment=a.pk, text="已全部完成整改")
    ids = [a.pk for a in rows]
    objects = rows_of.assignments_chosen(both, ids)
    shown = preview(actor=both, step=steps.APPROVE_COMPLETION, objects=objects)

    result = assignments_batch(actor=both, step=steps.APPROVE_COMPLETION, ids=ids)

    assert result.done == (rows[0].pk, rows[2].pk)
    assert [r.pk for r in result.refused] == [rows[1].pk]
    assert "You submitted this yourself" in result.refused[0].reason
    # The preview said the same, row by row.
    assert [r is None for r in shown] == [True, False, True]
    assert str(shown[1]) == result.refused[0].reason
    assert _state(rows[1].pk) == S.COMPLETION_REQUESTED


def test_extension_requests_are_signed_and_approved_in_batches(world):
    cases = [drive(world, "ext_awaiting_signoff") for _ in range(3)]
    # The third one's assignment went on to the office's verification meanwhile: moot.
    moot = cases[2]
    services.assignment_start(actor=world.liaison_a, assignment=moot.assignment.pk)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=moot.assignment.pk, text="已完成")
    services.assignment_approve_completion(actor=world.leader_a, assignment=moot.assignment.pk)
    ids = [c.extension.pk for c in cases]

    signed = extensions_batch(actor=world.leader_a, step=steps.EXTENSION_SIGN, ids=ids, comment="同意延期")
    assert signed.done == tuple(ids[:2])
    assert "can no longer be extended" in signed.refused[0].reason

    approved = extensions_batch(actor=world.clerk, step=steps.EXTENSION_APPROVE, ids=ids[:2])
    assert approved.done == tuple(ids[:2])
    for c in cases[:2]:
        ext = ExtensionRequest.objects.get(pk=c.extension.pk)
        assert ext.state == ExtensionState.APPROVED
        assert Assignment.objects.get(pk=c.assignment.pk).deadline == ext.requested_deadline
    # Steps of one subject are not taken on the other.
    with pytest.raises(InvalidInput):
        assignments_batch(actor=world.clerk, step=steps.EXTENSION_APPROVE, ids=ids)


def test_carrying_reports_forward_in_a_batch(world):
    earlier = clock.now() - dt.timedelta(days=30)
    with clock.frozen(earlier):
        rows = _tasks(world, 3, units=[world.unit_a])
        for a in rows:
            services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
            services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="已完成排查")
    # The last one was reported again in this cycle: nothing to carry.
    services.assignment_report_progress(actor=world.liaison_a, assignment=rows[2].pk, text="持续推进")
    ids = [a.pk for a in rows]

    result = assignments_batch(actor=world.liaison_a, step=steps.CARRY_FORWARD, ids=ids)

    assert result.done == tuple(ids[:2])
    assert result.refused[0].reason == "Progress was already reported in this cycle."
    carried = ProgressReport.objects.filter(assignment_id__in=ids, carried_from__isnull=False)
    assert sorted(carried.values_list("assignment_id", flat=True)) == ids[:2]


def _preview_queries(actor, step, ids) -> tuple[int, list]:
    objects = rows_of.assignments_chosen(actor, ids)
    with CaptureQueriesContext(connection) as queries:
        shown = preview(actor=actor, step=step, objects=objects)
    return len(queries), shown


@pytest.mark.parametrize("step_name", ["APPROVE_COMPLETION", "CARRY_FORWARD", "CLOSE", "CLAIM"])
def test_a_preview_costs_the_same_queries_for_3_rows_as_for_30(world, step_name):
    step = getattr(steps, step_name)
    actor = world.leader_a if step is steps.APPROVE_COMPLETION else world.liaison_a
    if step is steps.CLOSE:
        actor = world.director
    small = _tasks(world, 3, units=[world.unit_a])
    large = _tasks(world, 30, units=[world.unit_a])
    for rows in (small, large):
        # A third left issued, a third in progress and reported, a third submitted as complete:
        # every check of these steps (the claimer, the state, the guard, four eyes) gets read.
        for n, a in enumerate(rows):
            if n % 3:
                services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
                services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="已完成排查")
            if n % 3 == 2:
                services.assignment_submit_completion(actor=world.liaison_a, assignment=a.pk, text="已完成")
    roles_by_unit(actor)  # the roles are read once per person, before either count
    n_small, shown_small = _preview_queries(actor, step, [a.pk for a in small])
    n_large, shown_large = _preview_queries(actor, step, [a.pk for a in large])
    assert n_small == n_large
    # And it says what the step table says, row by row.
    for a, refusal in zip(rows_of.assignments_chosen(actor, [a.pk for a in large]), shown_large, strict=True):
        expected = steps.refusal(step, actor, Assignment.objects.select_related("letter", "claimed_by").get(pk=a.pk))
        assert str(refusal) == str(expected)


def test_batch_actions_are_offered_to_whoever_holds_their_role_somewhere(world):
    def offered(user, subject="assignment"):
        return [b.step.key for b in batch_steps_for(user, subject)]

    assert offered(world.liaison_a) == ["claim", "carry_forward"]
    assert offered(world.leader_a) == ["approve_completion"]
    assert offered(world.inspector) == ["verify"]
    assert offered(world.director) == ["close"]
    assert offered(world.clerk) == []
    assert offered(world.observer) == offered(world.outsider) == []
    assert offered(world.leader_a, "extension") == ["sign"]
    assert offered(world.clerk, "extension") == offered(world.director, "extension") == ["approve"]
