"""What a late sub-task does above it (the parent turns yellow, set by the tick and at once by the
sub-task's own changes), deadlines kept within the parent's, and the office-level services that
leave sub-tasks to the unit that handed them down."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supervision import clock, services
from supervision.models import Assignment, AssignmentState, Letter, LetterKind
from supervision.services import InvalidInput, InvalidTransition
from supervision.services.cycles import assignment_lights_refresh, overdue_assignments_chase
from supervision.services.transitions import sub_tasks_overdue_sweep
from tests.factories import draft_letter, sign_and_issue
from tests.hand_down.conftest import SOON, break_down, finish_below

S = AssignmentState


def _day(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time(9)))


def _flag(task: Assignment) -> bool:
    return Assignment.objects.get(pk=task.pk).sub_task_overdue


def test_a_sub_task_late_by_the_date_turns_its_parent_yellow_until_written_off(hierarchy, county_task):
    w = hierarchy
    first, second = break_down(w, county_task, "town_a1", "town_a2")
    assert not _flag(county_task)
    late = _day(SOON + dt.timedelta(days=1))
    with clock.frozen(late):
        assignment_lights_refresh(now=late)
        assert _flag(county_task)
        # Each late part keeps it yellow; the last one written off clears it at once.
        finish_below(w, first, "town_a1")
        assert _flag(county_task)
        finish_below(w, second, "town_a2")
        assert not _flag(county_task)
        assert sub_tasks_overdue_sweep() == (0, 0)


def test_the_sweep_touches_only_flags_that_change(hierarchy, county_task):
    w = hierarchy
    break_down(w, county_task, "town_a1")
    assert sub_tasks_overdue_sweep(SOON) == (0, 0)
    assert sub_tasks_overdue_sweep(SOON + dt.timedelta(days=1)) == (1, 0)
    assert sub_tasks_overdue_sweep(SOON + dt.timedelta(days=1)) == (0, 0)
    assert sub_tasks_overdue_sweep(SOON) == (0, 1)


def test_an_extension_granted_below_clears_the_parent_at_once(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    services.assignment_claim(actor=w.liaison_town_a1, assignment=sub.pk)
    ext = services.extension_request(
        actor=w.liaison_town_a1, assignment=sub.pk, requested_deadline=SOON + dt.timedelta(days=10), reason="工期长"
    )
    services.extension_sign(actor=w.leader_town_a1, extension=ext.pk)
    late = _day(SOON + dt.timedelta(days=1))
    with clock.frozen(late):
        assignment_lights_refresh(now=late)
        assert _flag(county_task)
        services.extension_approve(actor=w.leader_a, extension=ext.pk)
        assert not _flag(county_task)


def test_a_sub_task_is_never_due_after_its_parent(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    services.assignment_claim(actor=w.liaison_town_a1, assignment=sub.pk)
    parent_deadline = county_task.deadline
    with pytest.raises(InvalidInput, match="after its parent task's deadline"):
        services.extension_request(
            actor=w.liaison_town_a1,
            assignment=sub.pk,
            requested_deadline=parent_deadline + dt.timedelta(days=1),
            reason="工期长",
        )
    # Up to the parent's own deadline is fine; once there, no extension can be asked at all.
    ext = services.extension_request(
        actor=w.liaison_town_a1, assignment=sub.pk, requested_deadline=parent_deadline, reason="工期长"
    )
    services.extension_sign(actor=w.leader_town_a1, extension=ext.pk)
    services.extension_approve(actor=w.liaison_a, extension=ext.pk)
    with pytest.raises(InvalidTransition, match="already due on its parent task's deadline"):
        services.extension_request(
            actor=w.liaison_town_a1, assignment=sub.pk, requested_deadline=parent_deadline, reason="工期长"
        )


def test_an_extension_past_the_parent_is_not_granted(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    services.assignment_claim(actor=w.liaison_town_a1, assignment=sub.pk)
    ext = services.extension_request(
        actor=w.liaison_town_a1, assignment=sub.pk, requested_deadline=SOON + dt.timedelta(days=5), reason="工期长"
    )
    services.extension_sign(actor=w.leader_town_a1, extension=ext.pk)
    # Written around the services (as an older request might be): the decision still checks.
    type(ext).objects.filter(pk=ext.pk).update(requested_deadline=county_task.deadline + dt.timedelta(days=3))
    with pytest.raises(InvalidTransition, match="after the parent task's deadline"):
        services.extension_approve(actor=w.leader_a, extension=ext.pk)


def test_reminder_letters_chase_the_office_s_own_tasks_only(hierarchy, county_task):
    w = hierarchy
    break_down(w, county_task, "town_a1")
    late = _day(SOON + dt.timedelta(days=1))
    with clock.frozen(late):
        overdue_assignments_chase(now=late)
    assert not Letter.objects.filter(kind=LetterKind.REMINDER).exists()
    # Past the parent's own deadline, the office chases the county, never its township.
    later = _day(county_task.deadline + dt.timedelta(days=1))
    with clock.frozen(later):
        overdue_assignments_chase(now=later)
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    assert set(reminder.addressees.values_list("pk", flat=True)) == {w.unit_a.pk, w.unit_b.pk}


def test_a_letter_with_tasks_handed_down_cannot_be_withdrawn(hierarchy, county_task):
    w = hierarchy
    break_down(w, county_task, "town_a1")
    with pytest.raises(InvalidTransition, match="already claimed or returned"):
        services.letter_withdraw(actor=w.clerk, letter=county_task.letter_id, reason="误发")


def test_a_township_s_write_off_does_not_close_the_item_s_cooperating_units(hierarchy):
    w = hierarchy
    letter = sign_and_issue(w, draft_letter(w, units=[w.unit_a, w.unit_c], items=[(w.unit_a, [w.unit_c])]))
    lead = services.assignment_claim(actor=w.liaison_a, assignment=Assignment.objects.get(letter=letter, unit=w.unit_a))
    (sub,) = break_down(w, lead, "town_a1")
    finish_below(w, sub, "town_a1")
    assert Assignment.objects.get(letter=letter, unit=w.unit_c).state == S.ISSUED
    assert Letter.objects.get(pk=letter.pk).state == "issued"
    services.assignment_roll_up(actor=w.liaison_a, assignment=lead.pk)
    services.assignment_approve_completion(actor=w.leader_a, assignment=lead.pk)
    services.assignment_verify(actor=w.inspector, assignment=lead.pk)
    services.assignment_close(actor=w.director, assignment=lead.pk)
    # The office's write-off of its lead task closes the cooperating one, and the letter with it.
    assert Assignment.objects.get(letter=letter, unit=w.unit_c).state == S.CLOSED
    assert Letter.objects.get(pk=letter.pk).state == "closed"


def test_the_lights_refresh_reads_the_date_of_its_now_and_counts_the_flags(hierarchy, county_task):
    """Run for a given moment (a catch-up run, or a run without the clock frozen), the sweep of
    the parents' flags goes by that moment's date, not by the clock's, and the tick counts it."""
    from supervision.services.cycles import TickResult

    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    result = TickResult()
    assignment_lights_refresh(now=_day(SOON + dt.timedelta(days=1)), result=result)
    assert _flag(county_task)
    assert (result.sub_overdue_marked, result.sub_overdue_cleared) == (1, 0) and result.changed
    result = TickResult()
    assignment_lights_refresh(now=_day(SOON), result=result)  # on its deadline day: not late
    assert not _flag(county_task)
    assert (result.sub_overdue_marked, result.sub_overdue_cleared) == (0, 1) and result.changed
