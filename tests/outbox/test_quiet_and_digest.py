"""Quiet hours hold a message until the morning (the office's urgent reminder still goes); a
person who chose the daily digest gets one e-mail a morning with everything in it."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from supervision import clock, services
from supervision.models import Channel, Delivery, DeliveryStatus, MessagePreference
from supervision.outbox.quiet import DEFAULT_WINDOW, QuietWindow
from supervision.services.cycles import tick_run
from supervision.services.reminders import assignment_remind
from tests.factories import issue_letter
from tests.outbox.conftest import dispatch, latest, wednesday


def _local(d: dt.datetime) -> tuple[int, int, int]:
    d = timezone.localtime(d)
    return d.weekday(), d.hour, d.minute


def test_the_quiet_window_ends_in_the_morning_and_after_the_weekend():
    assert DEFAULT_WINDOW.next_open(wednesday(10)) == wednesday(10)
    assert _local(DEFAULT_WINDOW.next_open(wednesday(22))) == (3, 8, 0)  # Thursday 08:00
    assert _local(DEFAULT_WINDOW.next_open(wednesday(6))) == (2, 8, 0)
    friday_night = wednesday(23) + dt.timedelta(days=2)
    assert _local(DEFAULT_WINDOW.next_open(friday_night)) == (0, 8, 0)  # Monday 08:00
    assert _local(DEFAULT_WINDOW.next_open(friday_night + dt.timedelta(hours=12))) == (0, 8, 0)
    night_owl = QuietWindow(dt.time(23, 30), dt.time(6, 0), rest_days=False)
    assert not night_owl.is_quiet(friday_night + dt.timedelta(hours=12))  # Saturday 11:00
    assert _local(night_owl.next_open(wednesday(23, 45))) == (3, 6, 0)
    # The digest goes out on the next morning, a workday's.
    assert _local(DEFAULT_WINDOW.next_morning(wednesday(10))) == (3, 8, 0)
    assert _local(DEFAULT_WINDOW.next_morning(wednesday(7))) == (2, 8, 0)
    assert _local(DEFAULT_WINDOW.next_morning(friday_night)) == (0, 8, 0)


# A week from a Monday (1 January 2024), local time; window times on quarter hours, so whether a
# moment is quiet can change only on a quarter hour, and checking each quarter hour between a
# moment and its next open moment shows there is no open moment in between.
MONDAY = dt.datetime(2024, 1, 1)
QUARTER = dt.timedelta(minutes=15)
WEEK_MINUTES = 7 * 24 * 60
_quarters = st.integers(0, 95).map(lambda q: dt.time(q // 4, q % 4 * 15))
_fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check_next_open(window: QuietWindow, minute: int) -> None:
    at = timezone.make_aware(MONDAY + dt.timedelta(minutes=minute))
    opens = window.next_open(at)
    assert opens >= at and not window.is_quiet(opens)
    if opens == at:
        return
    assert window.is_quiet(at)
    mark = timezone.make_aware(MONDAY + dt.timedelta(minutes=minute // 15 * 15)) + QUARTER
    while mark < opens:
        assert window.is_quiet(mark), f"{timezone.localtime(mark)} is open, before {timezone.localtime(opens)}"
        mark += QUARTER


@_fuzz
@given(start=_quarters, end=_quarters, rest_days=st.booleans(), minute=st.integers(0, WEEK_MINUTES - 1))
@example(start=dt.time(12), end=dt.time(14), rest_days=True, minute=5 * 24 * 60 + 10 * 60)  # Saturday 10:00
def test_a_window_within_the_day_opens_at_the_first_moment_that_is_not_quiet(start, end, rest_days, minute):
    if start > end:
        start, end = end, start
    _check_next_open(QuietWindow(start, end, rest_days), minute)


@_fuzz
@given(start=_quarters, end=_quarters, rest_days=st.booleans(), minute=st.integers(0, WEEK_MINUTES - 1))
@example(start=dt.time(21), end=dt.time(8), rest_days=True, minute=4 * 24 * 60 + 23 * 60)  # Friday 23:00
def test_a_window_across_midnight_opens_at_the_first_moment_that_is_not_quiet(start, end, rest_days, minute):
    if start < end:
        start, end = end, start
    _check_next_open(QuietWindow(start, end, rest_days), minute)


def test_a_midday_window_with_quiet_rest_days_opens_at_monday_midnight():
    lunch = QuietWindow(dt.time(12), dt.time(14), rest_days=True)
    saturday = timezone.make_aware(MONDAY + dt.timedelta(days=5, hours=10))
    assert _local(lunch.next_open(saturday)) == (0, 0, 0)  # not Monday 14:00: Monday morning is open
    assert _local(lunch.next_open(saturday + dt.timedelta(days=2, hours=3))) == (0, 14, 0)  # Monday 13:00


def test_quiet_hours_hold_a_message_until_the_morning(channels):
    w, receiver = channels.world, channels.receiver
    Channel.objects.filter(pk=channels.webhook.pk).update(quiet_hours=False)  # an integration: at once
    night = wednesday(22)
    with clock.frozen(night):
        issue_letter(w, units=[w.unit_a])
        dispatch()
    event = latest("letter.issued")
    held = Delivery.objects.filter(event=event)
    # The robots and the two people's e-mails wait; the office's webhook goes now.
    assert [d.kind for d in held if d.status == DeliveryStatus.SENT] == ["webhook"]
    waiting = [d for d in held if d.status == DeliveryStatus.HELD]
    assert {d.kind for d in waiting} == {"wecom", "dingtalk", "email"} and len(waiting) == 4
    assert {_local(d.due_at) for d in waiting} == {(3, 8, 0)}
    assert receiver.delivered("wecom") == [] and mail.outbox == []
    dispatch(night + dt.timedelta(hours=9, minutes=59))  # 07:59: still quiet
    assert mail.outbox == []
    dispatch(night + dt.timedelta(hours=10))  # 08:00
    assert len(receiver.delivered("wecom")) == 1 and len(receiver.delivered("dingtalk")) == 1
    assert len(mail.outbox) == 2
    assert not Delivery.objects.filter(event=event).exclude(status=DeliveryStatus.SENT).exists()


def test_an_urgent_reminder_goes_through_in_quiet_hours(channels, assignment_a):
    w, receiver = channels.world, channels.receiver
    with clock.frozen(wednesday(22, 30)):
        assignment_remind(actor=w.clerk, assignment=assignment_a, text="请今晚报送")
        dispatch()
    event = latest("assignment.reminded")
    assert event.urgent
    assert {d.status for d in Delivery.objects.filter(event=event)} == {DeliveryStatus.SENT}
    assert any("请今晚报送" in m.text for m in receiver.delivered("wecom"))
    assert {m.to[0] for m in mail.outbox} == {"liaison_a@example.org", "leader_a@example.org"}


def test_a_digest_folds_a_days_messages_into_one_email(channels, assignment_a):
    w = channels.world
    MessagePreference.objects.create(
        user=w.leader_a, digest=True, events=["todo", "issued", "outcomes"], updated_at=timezone.now()
    )
    day = wednesday(10)
    with clock.frozen(day):
        services.assignment_claim(actor=w.liaison_a, assignment=assignment_a)
        services.assignment_report_progress(actor=w.liaison_a, assignment=assignment_a, text="已排查")
        services.assignment_submit_completion(actor=w.liaison_a, assignment=assignment_a, text="已完成整改")
        dispatch()
    folded = list(Delivery.objects.filter(user=w.leader_a, status=DeliveryStatus.DIGEST))
    # The letter's issue (from the fixture) and the claim and the sign-off request of today.
    assert len(folded) == 3 and {_local(d.due_at) for d in folded} == {(3, 8, 0)}
    assert all(m.to != ["leader_a@example.org"] for m in mail.outbox)
    tick_run(now=day + dt.timedelta(hours=21, minutes=59))  # 07:59 the next day: not yet
    assert Delivery.objects.filter(user=w.leader_a, status=DeliveryStatus.DIGEST).count() == 3
    morning = day + dt.timedelta(hours=22)
    assert tick_run(now=morning).digests == 1
    assert tick_run(now=morning + dt.timedelta(minutes=1)).digests == 0
    dispatch(morning)
    (digest,) = [m for m in mail.outbox if m.to == ["leader_a@example.org"]]
    assert digest.subject == "Daily digest: 3 messages"
    for d in folded:
        assert d.event.text in digest.body
    carrier = Delivery.objects.get(user=w.leader_a, event__name="digest")
    assert carrier.status == DeliveryStatus.SENT
    assert set(Delivery.objects.filter(digest=carrier).values_list("status", flat=True)) == {DeliveryStatus.DIGESTED}
