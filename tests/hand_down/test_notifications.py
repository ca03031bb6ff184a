"""Who hears of a sub-task's office-side events: the unit that handed it down (its liaison and
leader, in the roles that play the office there), never the office's staff; the sub-unit hears
of its own as usual."""

from __future__ import annotations

import datetime as dt

from supervision import services
from supervision.models import Notification
from supervision.services.reminders import assignment_remind
from tests.hand_down.conftest import SOON, break_down


def _told(verb: str, since: int) -> set[str]:
    return set(Notification.objects.filter(verb=verb, pk__gt=since).values_list("recipient__username", flat=True))


def _last() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_office_side_events_of_a_sub_task_go_to_the_unit_above(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    mark = _last()
    services.assignment_claim(actor=w.liaison_town_a1, assignment=sub.pk)
    assert _told("assignment_claimed", mark) == {"leader_town_a1"}

    # An extension signed below waits for the county's decision (clerk/director -> liaison/leader).
    ext = services.extension_request(
        actor=w.liaison_town_a1, assignment=sub.pk, requested_deadline=SOON + dt.timedelta(days=3), reason="工期长"
    )
    mark = _last()
    services.extension_sign(actor=w.leader_town_a1, extension=ext.pk)
    assert _told("extension_needed", mark) == {"liaison_a", "leader_a"}
    mark = _last()
    services.extension_approve(actor=w.leader_a, extension=ext.pk)
    assert _told("extension_decided", mark) == {"liaison_town_a1", "leader_town_a1"}

    # A completion signed below waits for the county's verification (inspector -> liaison/leader).
    services.assignment_start(actor=w.liaison_town_a1, assignment=sub.pk)
    services.assignment_submit_completion(actor=w.liaison_town_a1, assignment=sub.pk, text="完成")
    mark = _last()
    services.assignment_approve_completion(actor=w.leader_town_a1, assignment=sub.pk)
    assert _told("verification_needed", mark) == {"liaison_a", "leader_a"}
    mark = _last()
    services.assignment_verify(actor=w.liaison_a, assignment=sub.pk)
    # Verified, to be written off by the county's leader (director -> leader).
    assert _told("close_needed", mark) == {"leader_a"}
    mark = _last()
    services.assignment_close(actor=w.leader_a, assignment=sub.pk)
    assert _told("assignment_closed", mark) == {"liaison_town_a1", "leader_town_a1"}
    # Nothing of it reached the office's people.
    office = Notification.objects.filter(
        assignment=sub, recipient__username__in=["clerk", "inspector", "director", "observer"]
    )
    assert not office.exists()


def test_a_return_below_and_a_reminder_from_above(hierarchy, county_task):
    w = hierarchy
    (sub,) = break_down(w, county_task, "town_a1")
    mark = _last()
    assignment_remind(actor=w.leader_a, assignment=sub.pk, text="请尽快排查")
    reminded = Notification.objects.get(verb="assignment_reminded", pk__gt=mark, recipient=w.leader_town_a1)
    assert reminded.text.startswith("Reminder from 甲县 on ")
    services.assignment_request_return(actor=w.liaison_town_a1, assignment=sub.pk, reason="不属本镇")
    mark = _last()
    services.assignment_approve_return(actor=w.leader_town_a1, assignment=sub.pk)
    # The county's liaison decides a return below (clerk -> liaison).
    assert _told("assignment_returned", mark) == {"liaison_a"}
    mark = _last()
    services.assignment_reassign(actor=w.liaison_a, assignment=sub.pk, unit=w.town_a2)
    assert _told("assignment_reassigned", mark) == {"liaison_town_a2", "leader_town_a2"}
    accepted = Notification.objects.get(verb="return_accepted", pk__gt=mark, recipient=w.liaison_town_a1)
    assert accepted.text.startswith("甲县 accepted your return")
