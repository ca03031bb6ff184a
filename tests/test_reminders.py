"""Reminders by hand (催办): the office chases an overdue or stalled assignment in one click, or
every red assignment of a unit at once; the unit's liaison and leader hear of it, the task's
timeline and page show it, and a unit is reminded of one task at most once a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supervision import clock, services
from supervision.models import Assignment, AuditEvent, Notification
from supervision.selectors.reminders import reminder_summary
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from supervision.services.reminders import MAX_REMINDER, assignment_remind, unit_remind_red
from tests.conftest import FUTURE, issue_letter, make_user
from tests.helpers import drive, signed_in, snapshot
from workflows.tasks import buttons

# A day after every FUTURE deadline: what was due is red.
OVERDUE_DAY = FUTURE + dt.timedelta(days=1)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _reminded(a: Assignment) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(assignment=a, action="assignment.reminded").order_by("id"))


def _told(a: Assignment) -> set[str]:
    return set(
        Notification.objects.filter(assignment=a, verb="assignment_reminded").values_list(
            "recipient__username", flat=True
        )
    )


def _offered(user, a: Assignment) -> bool:
    a = Assignment.objects.select_related("letter").get(pk=a.pk)
    return "remind" in {b.key for b in buttons.assignment_buttons(user, a)}


# --- one task -------------------------------------------------------------------------------------


def test_a_stalled_task_is_reminded_and_the_unit_hears_of_it(world):
    a = drive(world, "issued").assignment
    make_user("liaison_a2", world.unit_a, "liaison")
    assert _offered(world.clerk, a)
    version = a.version
    assignment_remind(actor=world.clerk, assignment=a.pk, text="请于本周五前报送进展")
    a = Assignment.objects.get(pk=a.pk)
    # Nothing about the task changes: it is chased, not moved.
    assert (a.state, a.version) == ("issued", version)
    (event,) = _reminded(a)
    assert (event.actor, event.actor_role, event.actor_unit, event.comment) == (
        world.clerk,
        "clerk",
        world.office,
        "请于本周五前报送进展",
    )
    assert event.label == "Reminder sent by the office"
    # Nobody has claimed it: every liaison of the unit, and its leader.
    assert _told(a) == {"liaison_a", "liaison_a2", "leader_a"}
    text = Notification.objects.filter(assignment=a, verb="assignment_reminded").first().text
    assert "请于本周五前报送进展" in text and a.letter.number in text
    assert reminder_summary(a.pk).count == 1


def test_once_claimed_only_the_claimer_and_the_leader_are_told(world):
    make_user("liaison_a2", world.unit_a, "liaison")
    a = drive(world, "accepted").assignment
    assignment_remind(actor=world.director, assignment=a.pk)
    assert _told(a) == {"liaison_a", "leader_a"}
    # Without a text the unit reads the usual request.
    assert _reminded(a)[0].comment == "Please deal with it promptly and report your progress."


def test_one_reminder_a_day(world):
    a = drive(world, "issued").assignment
    with clock.frozen(_at(dt.date.today(), 9)):
        assignment_remind(actor=world.clerk, assignment=a.pk)
    with clock.frozen(_at(dt.date.today(), 16)):
        assert not _offered(world.inspector, a)
        before = snapshot()
        with pytest.raises(InvalidTransition, match="already sent for this assignment today at 09:00"):
            assignment_remind(actor=world.inspector, assignment=a.pk, text="再催一次")
        assert snapshot() == before
    with clock.frozen(_at(dt.date.today() + dt.timedelta(days=1), 9)):
        assert _offered(world.inspector, a)
        assignment_remind(actor=world.inspector, assignment=a.pk)
    summary = reminder_summary(a.pk)
    assert (summary.count, summary.last_at) == (2, _at(dt.date.today() + dt.timedelta(days=1), 9))


def test_a_task_on_schedule_that_has_reported_is_not_reminded_until_it_is_overdue(world):
    a = drive(world, "accepted").assignment
    services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text="已完成排查")
    assert not _offered(world.clerk, a)
    with pytest.raises(InvalidTransition, match="nothing to remind"):
        assignment_remind(actor=world.clerk, assignment=a.pk)
    with clock.frozen(_at(OVERDUE_DAY)):
        assert _offered(world.clerk, a)
        assignment_remind(actor=world.clerk, assignment=a.pk)
    assert len(_reminded(a)) == 1


@pytest.mark.parametrize("who", ["observer", "liaison_a", "leader_a", "liaison_b", "outsider"])
def test_only_the_issuing_office_reminds(world, who):
    a = drive(world, "issued").assignment
    before = snapshot()
    with pytest.raises(NotAllowed):
        assignment_remind(actor=getattr(world, who), assignment=a.pk)
    assert snapshot() == before


@pytest.mark.parametrize("state", ["awaiting_verification", "verified", "closed", "returned"])
def test_nothing_to_chase_the_unit_for(world, state):
    # Waiting on the office, done, or no longer the unit's: the unit has nothing to do.
    a = drive(world, state).assignment
    assert not _offered(world.clerk, a)
    with pytest.raises(InvalidTransition):
        assignment_remind(actor=world.clerk, assignment=a.pk)


def test_a_long_text_is_refused(world):
    a = drive(world, "issued").assignment
    before = snapshot()
    with pytest.raises(InvalidInput):
        assignment_remind(actor=world.clerk, assignment=a.pk, text="催" * (MAX_REMINDER + 1))
    assert snapshot() == before


# --- every red task of a unit -------------------------------------------------------------------


def test_every_red_task_of_a_unit_each_through_the_single_service(world):
    letter = issue_letter(world, items=3, units=[world.unit_a, world.unit_b])
    later = issue_letter(world, items=1, units=[world.unit_a], deadline=FUTURE + dt.timedelta(days=30))
    red = list(Assignment.objects.filter(letter=letter, unit=world.unit_a).order_by("pk"))
    with clock.frozen(_at(OVERDUE_DAY, 9)):
        assignment_remind(actor=world.clerk, assignment=red[0].pk)
    with clock.frozen(_at(OVERDUE_DAY, 15)):
        done = unit_remind_red(actor=world.inspector, unit=world.unit_a, text="请立即整改到位")
    assert [pk for pk, _item in done.reminded] == [x.pk for x in red[1:]]
    # The one reminded this morning is left alone, and the page is told why.
    ((pk, item, why),) = done.refused
    assert pk == red[0].pk and "already sent" in why and item.startswith("问题描述1")
    for x in red[1:]:
        (event,) = _reminded(x)
        assert (event.actor, event.comment) == (world.inspector, "请立即整改到位")
    assert len(_reminded(red[0])) == 1
    # Not red (due later), or another unit's: untouched.
    assert not AuditEvent.objects.filter(action="assignment.reminded", assignment__letter=later).exists()
    assert not AuditEvent.objects.filter(action="assignment.reminded", assignment__unit=world.unit_b).exists()


def test_remind_all_needs_a_reminding_office_role(world):
    issue_letter(world, items=1, units=[world.unit_a])
    for who in ("observer", "liaison_a", "leader_a"):
        with clock.frozen(_at(OVERDUE_DAY)), pytest.raises(NotAllowed):
            unit_remind_red(actor=getattr(world, who), unit=world.unit_a)
    assert not AuditEvent.objects.filter(action="assignment.reminded").exists()


# --- the pages ------------------------------------------------------------------------------------


def test_the_button_on_the_task_page_and_the_count_it_leaves(client, world):
    a = drive(world, "issued").assignment
    url = reverse("tasks:detail", args=[a.pk])
    act = reverse("tasks:act", args=[a.pk, "remind"])
    c = signed_in(client, world.clerk)
    page = c.get(url).content.decode()
    assert act in page and "Send a reminder" in page and "Reminded 1 time" not in page
    response = c.post(act, {"comment": "请尽快签收"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Reminder sent to the unit."]
    page = response.content.decode()
    assert "Reminded 1 time, last on" in page and "Reminder sent by the office" in page and "请尽快签收" in page
    assert act not in page  # one a day: the button is gone
    # A second post (another tab) is refused with the reason, not an error page.
    response = c.post(act, follow=True)
    assert "at most one a day" in " ".join(str(m) for m in response.context["messages"])
    # The unit sees how often it was chased.
    page = signed_in(client, world.liaison_a).get(url).content.decode()
    assert "Reminded 1 time, last on" in page and act not in page


def test_a_unit_cannot_remind_and_others_do_not_see_the_task(client, world):
    a = drive(world, "issued").assignment
    act = reverse("tasks:act", args=[a.pk, "remind"])
    response = signed_in(client, world.leader_a).post(act, follow=True)
    assert response.status_code == 200 and "You need the role" in " ".join(str(m) for m in response.context["messages"])
    assert signed_in(client, world.liaison_b).post(act).status_code == 404
    assert not _reminded(a)


def test_remind_all_red_tasks_from_the_unit_filtered_list(client, world):
    issue_letter(world, items=2, units=[world.unit_a])
    listing = reverse("tasks:list") + f"?filtered=1&overdue=on&unit={world.unit_a.pk}"
    post = reverse("tasks:remind_unit", args=[world.unit_a.pk])
    with clock.frozen(_at(OVERDUE_DAY)):
        assert post in signed_in(client, world.clerk).get(listing).content.decode()
        for who in ("observer", "liaison_a"):
            assert post not in signed_in(client, getattr(world, who)).get(listing).content.decode()
        response = signed_in(client, world.director).post(post, {"comment": "限期整改", "next": listing}, follow=True)
        messages = [str(m) for m in response.context["messages"]]
        assert messages == ["Reminders sent on 2 red assignments of 甲县."]
        assert response.redirect_chain[-1][0] == listing
        # Again the same day: each refused with its reason, nothing sent twice.
        response = signed_in(client, world.director).post(post, follow=True)
        messages = [str(m) for m in response.context["messages"]]
        assert len(messages) == 2 and all("Not reminded" in m and "at most one a day" in m for m in messages)
    assert AuditEvent.objects.filter(action="assignment.reminded").count() == 2


def test_the_overview_offers_it_on_the_most_overdue_units(client, world):
    issue_letter(world, items=1, units=[world.unit_a])
    post = reverse("tasks:remind_unit", args=[world.unit_a.pk])
    with clock.frozen(_at(OVERDUE_DAY)):
        overview = reverse("office:index")
        assert post in signed_in(client, world.clerk).get(overview).content.decode()
        assert post not in signed_in(client, world.observer).get(overview).content.decode()
