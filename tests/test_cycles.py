"""Cycles (双周调度) and ``manage.py tick``: the calendar, opening and closing, idempotence, the
lights, near-due reminders, overdue marks and reminder letters, carrying a report forward."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from supervision import clock, cycle_calendar, services
from supervision.models import (
    Assignment,
    AuditEvent,
    Cycle,
    DeadlineReminder,
    Item,
    Letter,
    LetterKind,
    Notification,
    ProgressReport,
)
from supervision.selectors.rankings import current_cycle, report_span, report_window
from supervision.selectors.search import AssignmentFilters, Light, assignment_search
from supervision.services import InvalidTransition, NotAllowed, steps
from tests.cycles import SHANGHAI, at, claim_and_report, cutoff, issue_at, mine, state, tick, use_calendar
from tests.helpers import write_off

FAR = dt.date(2024, 6, 28)


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


# --- the calendar -----------------------------------------------------------------------------------


def test_a_cycle_is_fourteen_days_with_its_cut_off_on_the_friday_of_its_second_week():
    span = cycle_calendar.span(0)
    assert (span.starts_on, span.ends_on) == (dt.date(2024, 1, 1), dt.date(2024, 1, 14))
    assert span.cutoff_at == at("2024-01-12", "17:00")
    assert span.opens_at == at("2023-12-29", "17:00")
    nxt = cycle_calendar.span(1)
    assert (nxt.starts_on, nxt.opens_at, nxt.cutoff_at) == (dt.date(2024, 1, 15), span.cutoff_at, cutoff(1))
    assert cycle_calendar.span(-1).ends_on == dt.date(2023, 12, 31)


def test_a_report_counts_for_the_cycle_whose_window_holds_it():
    c0 = cutoff(0)
    assert cycle_calendar.span_at(at("2024-01-01", "00:00")).seq == 0
    assert cycle_calendar.span_at(c0).seq == 0  # the cut-off itself is still in time
    assert cycle_calendar.span_at(c0 + dt.timedelta(seconds=1)).seq == 1
    # Saturday and Sunday after the cut-off already belong to the next cycle.
    assert cycle_calendar.span_at(at("2024-01-14", "23:59")).seq == 1
    assert cycle_calendar.span_at(at("2024-01-15", "00:00")).seq == 1
    assert cycle_calendar.span_at(at("2023-12-29", "17:00")).seq == -1
    # Any zone: 09:00 UTC is 17:00 in Shanghai.
    assert cycle_calendar.span_at(dt.datetime(2024, 1, 12, 9, 0, tzinfo=dt.UTC)).seq == 0
    assert cycle_calendar.span_at(dt.datetime(2024, 1, 12, 9, 0, 1, tzinfo=dt.UTC)).seq == 1
    with pytest.raises(ValueError):
        cycle_calendar.span_at(dt.datetime(2024, 1, 12, 9, 0))


def test_the_cut_off_weekday_and_time_are_settings(settings):
    settings.CYCLE_CUTOFF_WEEKDAY = 0
    settings.CYCLE_CUTOFF_TIME = "09:30"
    # The Monday of the second week: 8 January.
    assert cycle_calendar.span(0).cutoff_at == at("2024-01-08", "09:30")
    settings.CYCLE_CUTOFF_WEEKDAY = 6
    settings.CYCLE_CUTOFF_TIME = "23:59:59"
    assert cycle_calendar.span(0).cutoff_at == at("2024-01-14", "23:59:59")
    settings.CYCLE_ANCHOR = "2024-01-03"  # a Wednesday: cycles run Wednesday to Tuesday
    assert cycle_calendar.span(0).cutoff_at == at("2024-01-14", "23:59:59")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CYCLE_ANCHOR", "next monday"),
        ("CYCLE_LENGTH_DAYS", 5),
        ("CYCLE_CUTOFF_WEEKDAY", 7),
        ("CYCLE_CUTOFF_TIME", "5pm"),
        ("CYCLE_TIME_ZONE", "Mars/Olympus"),
    ],
)
def test_bad_calendar_settings_are_refused(settings, name, value):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured):
        cycle_calendar.span(0)


def test_no_daylight_saving_every_cycle_is_exactly_fourteen_days():
    # The server's own zone has daylight saving; the cycles are kept in Shanghai, which has none.
    with override_settings(TIME_ZONE="America/New_York"):
        cuts = [cycle_calendar.span(n).cutoff_at for n in range(-4, 30)]  # across March and November
        for earlier, later in zip(cuts, cuts[1:], strict=False):
            assert later - earlier == dt.timedelta(days=14)
            assert later.astimezone(SHANGHAI).time() == dt.time(17, 0)
            assert later.utcoffset() == dt.timedelta(hours=8)
        # A moment just before and after a US change of clocks lands in the right cycle.
        spring = dt.datetime(2024, 3, 10, 7, 30, tzinfo=dt.UTC)
        assert cycle_calendar.span_at(spring).seq == 5


# --- tick: cycles -----------------------------------------------------------------------------------


def test_the_first_tick_opens_the_cycle_of_the_moment(world):
    result = tick(at("2024-01-03"))
    assert result.opened == [1] and result.closed == []
    cycle = Cycle.objects.get()
    assert (cycle.number, cycle.seq, cycle.state) == (1, 0, "open")
    assert (cycle.opens_at, cycle.cutoff_at) == (at("2023-12-29", "17:00"), cutoff(0))
    assert AuditEvent.objects.filter(action="cycle.opened").count() == 1
    assert current_cycle() == cycle


def test_a_cycle_closes_at_its_cut_off_and_the_next_one_opens(world):
    tick(at("2024-01-03"))
    assert tick(cutoff(0) - dt.timedelta(seconds=1)).changed is False
    result = tick(cutoff(0))
    assert result.closed == [1] and result.opened == [2]
    first, second = Cycle.objects.order_by("number")
    assert first.state == "closed" and first.closed_at == cutoff(0) and first.rule_set.version == 1
    assert second.state == "open" and second.opens_at == first.cutoff_at and second.cutoff_at == cutoff(1)
    # Every responsible unit has a frozen result, ranked or not.
    assert first.results.count() == 3


def test_a_long_stop_is_caught_up_cycle_by_cycle(world):
    tick(at("2024-01-03"))
    result = tick(at("2024-02-20"))  # three cut-offs later
    assert result.closed == [1, 2, 3] and result.opened == [2, 3, 4]
    numbers = list(Cycle.objects.order_by("number").values_list("number", "state", "seq"))
    assert numbers == [(1, "closed", 0), (2, "closed", 1), (3, "closed", 2), (4, "open", 3)]


def test_tick_twice_in_a_row_leaves_the_same_database(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=2, deadline=dt.date(2024, 1, 10))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    for moment in (at("2024-01-07"), at("2024-01-11"), cutoff(0), cutoff(1)):
        first = tick(moment)
        after_first = state()
        second = tick(moment)
        assert second.changed is False, (moment, second)
        assert state() == after_first, moment
        assert first.changed
    # The story behind: reminders, overdue marks, a reminder letter, a ranked cycle.
    assert DeadlineReminder.objects.exists()
    assert Letter.objects.filter(kind=LetterKind.REMINDER, parent=letter).count() == 1
    assert Cycle.objects.filter(state="closed").count() == 2


def test_the_command_says_what_it_did_and_is_quiet_otherwise(world):
    out = StringIO()
    with clock.frozen(at("2024-01-03")):
        call_command("tick", stdout=out)
    assert "opened cycle 1" in out.getvalue()
    out = StringIO()
    with clock.frozen(at("2024-01-03", "10:01")):
        call_command("tick", stdout=out)
    assert out.getvalue() == ""


# --- near-due reminders -------------------------------------------------------------------------------


def test_near_due_reminders_go_once_three_days_and_one_day_before(world):
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    a = mine(letter, world.unit_a)[0]
    sent = []
    for day in ("2024-01-06", "2024-01-07", "2024-01-07", "2024-01-08", "2024-01-09", "2024-01-09", "2024-01-10"):
        sent.append(tick(at(day, "08:00")).reminders)
    assert sent == [0, 1, 0, 0, 1, 0, 0]
    assert list(DeadlineReminder.objects.order_by("pk").values_list("assignment_id", "days_before")) == [
        (a.pk, 3),
        (a.pk, 1),
    ]
    notes = Notification.objects.filter(verb="deadline_near").order_by("pk")
    # The unit's liaison and leader, each time.
    assert sorted(notes.values_list("recipient__username", flat=True)) == sorted(["liaison_a", "leader_a"] * 2)
    assert "Due in 3 days" in notes.first().text and "Due tomorrow" in notes.last().text


def test_a_tick_that_missed_the_day_still_sends_the_threshold_it_is_in(world):
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    assert tick(at("2024-01-08", "08:00")).reminders == 1  # two days left: the three-day reminder
    assert DeadlineReminder.objects.get().days_before == 3
    assert tick(at("2024-01-10", "08:00")).reminders == 1  # due today: the one-day reminder
    assert Notification.objects.filter(verb="deadline_near", assignment__letter=letter).count() == 4


def test_finished_assignments_are_not_reminded(world):
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    with clock.frozen(at("2024-01-03")):
        write_off(world, mine(letter, world.unit_a)[0], world.liaison_a, world.leader_a)
    assert tick(at("2024-01-07", "08:00")).reminders == 0


# --- overdue marks and reminder letters -----------------------------------------------------------------


def test_overdue_assignments_are_marked_once_and_put_in_one_draft_reminder(world):
    letter = issue_at(at("2024-01-02"), world, items=2, deadline=dt.date(2024, 1, 10))
    other = issue_at(at("2024-01-02", "11:00"), world, items=1, units=[world.unit_b], deadline=dt.date(2024, 1, 20))
    result = tick(at("2024-01-11", "00:01"))
    assert result.overdue == 4
    overdue = Assignment.objects.filter(letter=letter)
    assert set(overdue.values_list("overdue_since", flat=True)) == {dt.date(2024, 1, 11)}
    assert not Assignment.objects.filter(letter=other, overdue_since__isnull=False).exists()
    assert AuditEvent.objects.filter(action="assignment.overdue").count() == 4

    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    assert (reminder.state, reminder.parent_id, reminder.drafter_id) == ("draft", letter.pk, world.clerk.pk)
    assert set(reminder.addressees.all()) == {world.unit_a, world.unit_b}
    # Each overdue item once, in the letter's order, naming both units late on it as leads.
    items = list(reminder.items.order_by("seq"))
    assert [(i.seq, i.chased_item.letter_id, i.chased_item.seq) for i in items] == [
        (1, letter.pk, 1),
        (2, letter.pk, 2),
    ]
    for item in items:
        chased = item.chased_item
        assert item.description == chased.description and item.deadline == chased.deadline
        assert sorted(item.item_units.values_list("unit_id", "role")) == [
            (world.unit_a.pk, "lead"),
            (world.unit_b.pk, "lead"),
        ]
    assert result.reminder_letters == [reminder.pk]

    # Later ticks chase nothing twice; the other letter's assignment lapses into its own reminder.
    assert tick(at("2024-01-12", "00:01")).overdue == 0
    assert tick(at("2024-01-21", "00:01")).overdue == 1
    assert Letter.objects.filter(kind=LetterKind.REMINDER).count() == 2
    assert Item.objects.filter(letter__kind=LetterKind.REMINDER).count() == 3


def test_newly_overdue_items_join_the_draft_still_waiting(world):
    letter = issue_at(at("2024-01-02"), world, items=2, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    first, second = mine(letter, world.unit_a)
    with clock.frozen(at("2024-01-03")):
        services.assignment_claim(actor=world.liaison_a, assignment=second.pk)
        ext = services.extension_request(
            actor=world.liaison_a, assignment=second.pk, requested_deadline=dt.date(2024, 1, 12), reason="施工周期长"
        )
        services.extension_sign(actor=world.leader_a, extension=ext.pk)
        services.extension_approve(actor=world.clerk, extension=ext.pk)
    tick(at("2024-01-11", "00:01"))
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    assert list(reminder.items.values_list("chased_item_id", flat=True)) == [first.item_id]
    result = tick(at("2024-01-13", "00:01"))
    assert result.overdue == 1 and result.reminder_letters == [reminder.pk]
    assert list(reminder.items.order_by("seq").values_list("chased_item_id", "deadline")) == [
        (first.item_id, dt.date(2024, 1, 10)),
        (second.item_id, dt.date(2024, 1, 12)),  # the extended deadline it missed
    ]
    # Once the clerk has had it signed, a further lapse starts a new draft.
    with clock.frozen(at("2024-01-13", "09:00")):
        services.letter_sign(actor=world.director, letter=reminder)
    third = issue_at(at("2024-01-02", "11:00"), world, items=1, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    assert third.pk != letter.pk
    assert Letter.objects.filter(kind=LetterKind.REMINDER, state="draft").count() == 0
    tick(at("2024-01-13", "09:01"))
    assert Letter.objects.filter(kind=LetterKind.REMINDER, state="draft", parent=third).count() == 1


def test_issuing_the_reminder_chases_the_assignments_without_creating_new_ones(world):
    letter = issue_at(at("2024-01-02"), world, items=2, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    tick(at("2024-01-11", "00:01"))
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    before = Assignment.objects.count()
    with clock.frozen(at("2024-01-11", "09:00")):
        services.letter_sign(actor=world.director, letter=reminder)
        issued = services.letter_issue(actor=world.clerk, letter=reminder)
    assert issued.number == "测巩办催〔2024〕1号"
    assert Assignment.objects.count() == before
    chased = AuditEvent.objects.filter(action="assignment.chased")
    assert sorted(chased.values_list("assignment_id", flat=True)) == [a.pk for a in mine(letter, world.unit_a)]
    assert set(chased.values_list("letter_id", flat=True)) == {letter.pk}
    assert Notification.objects.filter(verb="letter_issued", letter=issued, recipient=world.liaison_a).exists()


def test_a_mark_is_cleared_once_the_assignment_is_no_longer_overdue(world):
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    tick(at("2024-01-11", "00:01"))
    a = mine(letter, world.unit_a)[0]
    with clock.frozen(at("2024-01-11", "10:00")):
        write_off(world, a, world.liaison_a, world.leader_a)
    result = tick(at("2024-01-11", "10:01"))
    assert result.overdue_cleared == 1
    assert Assignment.objects.get(pk=a.pk).overdue_since is None


def test_no_reminder_prefix_marks_overdue_and_reports_the_problem(world):
    world.office.letter_prefixes.filter(kind=LetterKind.REMINDER).update(is_active=False)
    issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=dt.date(2024, 1, 10))
    result = tick(at("2024-01-11", "00:01"))
    assert result.overdue == 1 and result.reminder_letters == []
    assert result.problems and "prefix" in result.problems[0]
    assert not Letter.objects.filter(kind=LetterKind.REMINDER).exists()


# --- the light ------------------------------------------------------------------------------------------


def test_a_missed_report_turns_the_light_yellow_until_the_unit_reports(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, deadline=FAR)
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    with clock.frozen(at("2024-01-03")):
        services.assignment_claim(actor=world.liaison_b, assignment=mine(letter, world.unit_b)[0])
    result = tick(cutoff(0))
    assert result.missed_marked == 1
    a, b = mine(letter, world.unit_a)[0], mine(letter, world.unit_b)[0]
    with clock.frozen(at("2024-01-15")):
        lights = {r.pk: r.light for r in assignment_search(world.clerk).rows}
        assert lights == {a.pk: Light.GREEN, b.pk: Light.YELLOW}
        assert [r.pk for r in assignment_search(world.clerk, AssignmentFilters(light=Light.YELLOW)).rows] == [b.pk]
        assert [r.pk for r in assignment_search(world.clerk, AssignmentFilters(light=Light.GREEN)).rows] == [a.pk]
        # The report makes it up at once, without waiting for the next tick.
        services.assignment_report_progress(actor=world.liaison_b, assignment=b.pk, text="已整改")
        assert {r.light for r in assignment_search(world.clerk).rows} == {Light.GREEN}
    assert tick(at("2024-01-15", "10:01")).missed_cleared == 0


def test_a_missed_report_made_up_after_the_cut_off_is_cleared_by_tick(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_b], deadline=FAR)
    b = mine(letter, world.unit_b)[0]
    with clock.frozen(at("2024-01-03")):
        services.assignment_claim(actor=world.liaison_b, assignment=b.pk)
    tick(cutoff(0))
    assert Assignment.objects.get(pk=b.pk).report_missed
    # Reported by another path than the services' report (say, an import): tick notices.
    with clock.frozen(at("2024-01-16")):
        ProgressReport.objects.create(assignment=b, text="补报", author=world.liaison_b, created_at=clock.now())
    assert tick(at("2024-01-16", "10:01")).missed_cleared == 1


# --- carrying a report forward (最多报一次) ---------------------------------------------------------------


def test_a_report_is_carried_forward_once_per_cycle(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=FAR)
    a = mine(letter, world.unit_a)[0]
    claim_and_report(at("2024-01-03"), world.liaison_a, [a], text="已完成入户排查，正在整改")
    first = ProgressReport.objects.get()
    with clock.frozen(at("2024-01-04")), pytest.raises(InvalidTransition, match="already reported in this cycle"):
        services.assignment_carry_forward(actor=world.liaison_a, assignment=a.pk)
    tick(cutoff(0))
    with clock.frozen(at("2024-01-16")):
        carried = services.assignment_carry_forward(actor=world.liaison_a, assignment=a.pk)
        with pytest.raises(InvalidTransition):
            services.assignment_carry_forward(actor=world.liaison_a, assignment=a.pk)
    assert (carried.text, carried.carried_from_id, carried.kind) == (first.text, first.pk, "progress")
    # What the page would offer: nothing in a cycle already reported, the button again in the next.
    fresh = Assignment.objects.select_related("letter").get(pk=a.pk)
    with clock.frozen(at("2024-01-17")):
        assert steps.CARRY_FORWARD not in steps.allowed(world.liaison_a, fresh)
    with clock.frozen(cutoff(1) + dt.timedelta(hours=1)):
        assert steps.CARRY_FORWARD in steps.allowed(world.liaison_a, fresh)
    event = AuditEvent.objects.get(action="assignment.report_carried")
    assert (event.assignment_id, event.data) == (a.pk, {"carried_from": first.pk})
    assert Assignment.objects.get(pk=a.pk).version == 3  # claim, report, carry forward


def test_carry_forward_needs_an_earlier_report_and_the_claimer(world):
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a], deadline=FAR)
    a = mine(letter, world.unit_a)[0]
    with clock.frozen(at("2024-01-03")):
        with pytest.raises(NotAllowed):
            services.assignment_carry_forward(actor=world.liaison_b, assignment=a.pk)
        services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
        with pytest.raises(InvalidTransition, match="no earlier progress report"):
            services.assignment_carry_forward(actor=world.liaison_a, assignment=a.pk)
    assert not ProgressReport.objects.exists()


def test_before_any_tick_the_window_comes_from_the_calendar(world):
    assert report_window(at("2024-01-13")) == (cutoff(0), cutoff(1))
    tick(at("2024-01-03"))
    # The open cycle's stored bounds, while it holds the moment.
    assert report_window(at("2024-01-05")) == (at("2023-12-29", "17:00"), cutoff(0))


def test_a_reports_cycle_and_window_come_from_one_span(world, django_assert_max_num_queries):
    tick(at("2024-01-03"))
    cycle = current_cycle()
    # One query for both answers: the cycle a report counts for and the window it is checked in.
    with django_assert_max_num_queries(1):
        span = report_span(at("2024-01-05"))
    assert span == (cycle.seq, cycle.opens_at, cycle.cutoff_at)
    # Past its cut-off, before tick has closed it: the calendar's next cycle.
    assert report_span(at("2024-01-13")) == (cycle.seq + 1, cutoff(0), cutoff(1))
