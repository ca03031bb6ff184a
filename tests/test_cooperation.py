"""Cooperating units in step with their lead: an approved extension of the lead task moves the
cooperating tasks' deadlines, the lead's write-off closes those still open, each audited and
their units told; reopening the lead reopens nothing else. A common item (共性, no units named)
goes to every addressee as lead and to nobody else. And what the task page shows of it all."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision import services
from supervision.models import Assignment, AuditEvent, ExtensionRequest, Letter, Notification
from supervision.selectors import task_page
from supervision.services import steps
from tests.factories import FUTURE, draft_letter, sign_and_issue, signed_in, write_off
from tests.helpers import drive, last_audit_id, new_audit


def _task(letter, unit) -> Assignment:
    return Assignment.objects.get(letter=letter, unit=unit)


@pytest.fixture
def coop(world) -> SimpleNamespace:
    """One item led by county A with county B and the department C cooperating, issued."""
    letter = draft_letter(
        world, units=[world.unit_a, world.unit_b, world.unit_c], items=[(world.unit_a, [world.unit_b, world.unit_c])]
    )
    sign_and_issue(world, letter)
    return SimpleNamespace(
        letter=letter,
        lead=_task(letter, world.unit_a),
        b=_task(letter, world.unit_b),
        c=_task(letter, world.unit_c),
    )


def _extend(world, a: Assignment, liaison, leader, days: int) -> ExtensionRequest:
    """The unit asks for ``days`` more, its leader signs, the clerk approves."""
    a = Assignment.objects.get(pk=a.pk)
    if a.claimed_by_id is None:
        services.assignment_claim(actor=liaison, assignment=a.pk)
    ext = services.extension_request(
        actor=liaison, assignment=a.pk, requested_deadline=a.deadline + dt.timedelta(days=days), reason="施工周期长"
    )
    services.extension_sign(actor=leader, extension=ext.pk)
    return services.extension_approve(actor=world.clerk, extension=ext.pk, comment="准予延期")


def _verified(world, a: Assignment, liaison, leader) -> None:
    services.assignment_claim(actor=liaison, assignment=a.pk)
    services.assignment_start(actor=liaison, assignment=a.pk)
    services.assignment_submit_completion(actor=liaison, assignment=a.pk, text="已全部完成整改")
    services.assignment_approve_completion(actor=leader, assignment=a.pk)
    services.assignment_verify(actor=world.inspector, assignment=a.pk)


def _texts(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("text", flat=True))


# --- an extension of the lead -------------------------------------------------------------------------


def test_an_approved_extension_of_the_lead_moves_the_cooperating_deadlines(world, coop):
    since = last_audit_id()
    _extend(world, coop.lead, world.liaison_a, world.leader_a, 30)
    new = FUTURE + dt.timedelta(days=30)
    assert {a.unit_id: a.deadline for a in Assignment.objects.filter(letter=coop.letter)} == {
        world.unit_a.pk: new,
        world.unit_b.pk: new,
        world.unit_c.pk: new,
    }
    followed = [e for e in new_audit(since) if e.action == "assignment.deadline_followed"]
    assert sorted(e.assignment_id for e in followed) == sorted([coop.b.pk, coop.c.pk])
    for e in followed:
        assert e.data["old_deadline"] == FUTURE.isoformat() and e.data["new_deadline"] == new.isoformat()
        assert (e.actor_id, e.actor_unit_id, e.from_state, e.to_state) == (
            world.clerk.pk,
            world.office.pk,
            "issued",
            "issued",
        )
    # Each cooperating unit is told; the lead unit hears about its own extension only once.
    for person in (world.liaison_b, world.leader_b, world.liaison_c, world.leader_c):
        assert any("yours moves with it" in t for t in _texts(person)), person
    assert not any("yours moves with it" in t for t in _texts(world.liaison_a))


def test_following_never_shortens_a_cooperating_deadline(world, coop):
    # C got more time of its own first: the lead's shorter extension leaves C's deadline alone.
    _extend(world, coop.c, world.liaison_c, world.leader_c, 90)
    since = last_audit_id()
    _extend(world, coop.lead, world.liaison_a, world.leader_a, 30)
    assert Assignment.objects.get(pk=coop.c.pk).deadline == FUTURE + dt.timedelta(days=90)
    assert Assignment.objects.get(pk=coop.b.pk).deadline == FUTURE + dt.timedelta(days=30)
    assert [e.assignment_id for e in new_audit(since) if e.action == "assignment.deadline_followed"] == [coop.b.pk]


def test_a_cooperating_request_overtaken_by_the_lead_never_brings_the_deadline_back(world, coop):
    services.assignment_claim(actor=world.liaison_b, assignment=coop.b.pk)
    asked = services.extension_request(
        actor=world.liaison_b,
        assignment=coop.b.pk,
        requested_deadline=FUTURE + dt.timedelta(days=20),
        reason="需协调资金",
    )
    services.extension_sign(actor=world.leader_b, extension=asked.pk)
    _extend(world, coop.lead, world.liaison_a, world.leader_a, 30)
    services.extension_approve(actor=world.clerk, extension=asked.pk)
    assert Assignment.objects.get(pk=coop.b.pk).deadline == FUTURE + dt.timedelta(days=30)


def test_a_cooperating_units_extension_moves_nobody_else(world, coop):
    since = last_audit_id()
    _extend(world, coop.b, world.liaison_b, world.leader_b, 30)
    assert Assignment.objects.get(pk=coop.lead.pk).deadline == FUTURE
    assert Assignment.objects.get(pk=coop.c.pk).deadline == FUTURE
    assert not [e for e in new_audit(since) if e.action == "assignment.deadline_followed"]


# --- the lead's write-off -----------------------------------------------------------------------------


def _cooperating_reads(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "'cooperating'" in q["sql"]]


def test_only_an_item_issued_with_cooperating_units_has_its_lead_look_for_them(world, coop):
    plain = draft_letter(world, units=[world.unit_a, world.unit_b], items=[(world.unit_a, [])])
    sign_and_issue(world, plain)
    lead = _task(plain, world.unit_a)
    assert Assignment.objects.get(pk=coop.lead.pk).item.has_cooperating
    assert not lead.item.has_cooperating
    # Written off up to the last step, then the write-off's statements read.
    services.assignment_claim(actor=world.liaison_a, assignment=lead.pk)
    services.assignment_start(actor=world.liaison_a, assignment=lead.pk)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=lead.pk, text="已全部完成整改")
    services.assignment_approve_completion(actor=world.leader_a, assignment=lead.pk)
    services.assignment_verify(actor=world.inspector, assignment=lead.pk)
    with CaptureQueriesContext(connection) as ctx:
        services.assignment_close(actor=world.director, assignment=lead.pk)
    assert _cooperating_reads(ctx.captured_queries) == []
    # The item that has them: its lead's write-off looks, and closes them (the test below).
    services.assignment_claim(actor=world.liaison_a, assignment=coop.lead.pk)
    services.assignment_start(actor=world.liaison_a, assignment=coop.lead.pk)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=coop.lead.pk, text="已全部完成整改")
    services.assignment_approve_completion(actor=world.leader_a, assignment=coop.lead.pk)
    services.assignment_verify(actor=world.inspector, assignment=coop.lead.pk)
    with CaptureQueriesContext(connection) as ctx:
        services.assignment_close(actor=world.director, assignment=coop.lead.pk)
    assert _cooperating_reads(ctx.captured_queries)
    assert set(Assignment.objects.filter(letter=coop.letter).values_list("state", flat=True)) == {"closed"}


def test_the_leads_write_off_closes_the_open_cooperating_tasks_and_the_letter(world, coop):
    services.assignment_claim(actor=world.liaison_b, assignment=coop.b.pk)
    services.assignment_start(actor=world.liaison_b, assignment=coop.b.pk)  # B in progress, C untouched
    since = last_audit_id()
    write_off(world, coop.lead, world.liaison_a, world.leader_a)
    states = dict(Assignment.objects.filter(letter=coop.letter).values_list("unit_id", "state"))
    assert states == {world.unit_a.pk: "closed", world.unit_b.pk: "closed", world.unit_c.pk: "closed"}
    closed = {e.assignment_id: e for e in new_audit(since) if e.action == "assignment.closed_with_lead"}
    assert set(closed) == {coop.b.pk, coop.c.pk}
    assert (closed[coop.b.pk].from_state, closed[coop.c.pk].from_state) == ("in_progress", "issued")
    assert all(e.to_state == "closed" and e.actor_id == world.director.pk for e in closed.values())
    assert all(e.data["lead"] == coop.lead.pk for e in closed.values())
    for person in (world.liaison_b, world.leader_b, world.liaison_c, world.leader_c):
        assert any("Closed with the lead unit's write-off" in t for t in _texts(person)), person
    # Every task is closed, so the letter is too.
    assert Letter.objects.get(pk=coop.letter.pk).state == "closed"


def test_a_verified_cooperating_task_closes_with_the_lead_and_a_closed_one_is_left_alone(world, coop):
    _verified(world, coop.b, world.liaison_b, world.leader_b)
    write_off(world, coop.c, world.liaison_c, world.leader_c)
    since = last_audit_id()
    write_off(world, coop.lead, world.liaison_a, world.leader_a)
    assert [(e.assignment_id, e.from_state) for e in new_audit(since) if e.action == "assignment.closed_with_lead"] == [
        (coop.b.pk, "verified")
    ]
    assert Assignment.objects.get(pk=coop.b.pk).state == "closed"


def test_a_returned_cooperating_task_waits_for_the_office(world, coop):
    services.assignment_request_return(actor=world.liaison_c, assignment=coop.c.pk, reason="不属于本单位职责")
    services.assignment_approve_return(actor=world.leader_c, assignment=coop.c.pk)
    write_off(world, coop.lead, world.liaison_a, world.leader_a)
    assert Assignment.objects.get(pk=coop.c.pk).state == "returned"
    assert Assignment.objects.get(pk=coop.b.pk).state == "closed"
    assert Letter.objects.get(pk=coop.letter.pk).state == "issued"  # the office still owes C's return its decision


def test_reopening_the_lead_does_not_silently_reopen_its_cooperating_tasks(world, coop):
    write_off(world, coop.lead, world.liaison_a, world.leader_a)
    since = last_audit_id()
    services.assignment_reopen(actor=world.inspector, assignment=coop.lead.pk, reason="问题反弹")
    assert Assignment.objects.get(pk=coop.lead.pk).state == "in_progress"
    assert Assignment.objects.get(pk=coop.b.pk).state == "closed"
    assert Assignment.objects.get(pk=coop.c.pk).state == "closed"
    assert {e.assignment_id for e in new_audit(since) if e.assignment_id} == {coop.lead.pk}
    # The office reopens a cooperating task that rebounded on its own.
    services.assignment_reopen(actor=world.inspector, assignment=coop.b.pk, reason="配合整改部分反弹")
    assert Assignment.objects.get(pk=coop.b.pk).state == "in_progress"


def test_the_steps_are_automatic_in_the_table(world, coop):
    assert steps.CLOSE_WITH_LEAD in steps.TABLE and steps.FOLLOW_LEAD_DEADLINE in steps.TABLE
    assert steps.step("assignment", "close_with_lead") is None
    assert steps.step("assignment", "follow_lead_deadline") is None
    b = Assignment.objects.select_related("letter").get(pk=coop.b.pk)
    for name in ("clerk", "inspector", "director", "liaison_b", "leader_b"):
        offered = steps.allowed(getattr(world, name), b)
        assert steps.CLOSE_WITH_LEAD not in offered and steps.FOLLOW_LEAD_DEADLINE not in offered


# --- a common item -------------------------------------------------------------------------------------


def test_a_common_item_goes_only_to_the_addressees_as_lead(world):
    letter = draft_letter(
        world,
        units=[world.unit_a, world.unit_b],
        cc=[world.unit_c],
        items=[(world.unit_a, [world.unit_b]), (None, [])],
    )
    sign_and_issue(world, letter)
    got = set(Assignment.objects.filter(letter=letter).values_list("item__seq", "unit_id", "role"))
    assert got == {
        (1, world.unit_a.pk, "lead"),
        (1, world.unit_b.pk, "cooperating"),
        # The common item: each addressee leads its own part; the copied unit gets no task.
        (2, world.unit_a.pk, "lead"),
        (2, world.unit_b.pk, "lead"),
    }
    # Leads of a common item do not close each other.
    common_a = Assignment.objects.get(letter=letter, item__seq=2, unit=world.unit_a)
    since = last_audit_id()
    write_off(world, common_a, world.liaison_a, world.leader_a)
    assert Assignment.objects.get(letter=letter, item__seq=2, unit=world.unit_b).state == "issued"
    assert not [e for e in new_audit(since) if e.action == "assignment.closed_with_lead"]


# --- the reason in the notification of a refusal or rejection -----------------------------------------

LONG = "现场复查发现安置点排水设施仍未完工，" * 10


@pytest.mark.parametrize(
    ("path", "call", "told"),
    [
        (
            "return_requested",
            lambda w, c: services.assignment_refuse_return(actor=w.leader_a, assignment=c.assignment.pk, comment=LONG),
            "liaison_a",
        ),
        (
            "returned",
            lambda w, c: services.assignment_reissue(actor=w.clerk, assignment=c.assignment.pk, comment=LONG),
            "liaison_a",
        ),
        (
            "completion_requested",
            lambda w, c: services.assignment_refuse_completion(
                actor=w.leader_a, assignment=c.assignment.pk, comment=LONG
            ),
            "liaison_a",
        ),
        (
            "awaiting_verification",
            lambda w, c: services.assignment_reject(actor=w.inspector, assignment=c.assignment.pk, reason=LONG),
            "liaison_a",
        ),
        (
            "closed",
            lambda w, c: services.assignment_reopen(actor=w.inspector, assignment=c.assignment.pk, reason=LONG),
            "leader_a",
        ),
        (
            "ext_awaiting_signoff",
            lambda w, c: services.extension_refuse(actor=w.leader_a, extension=c.extension.pk, comment=LONG),
            "liaison_a",
        ),
        (
            "ext_awaiting_decision",
            lambda w, c: services.extension_reject(actor=w.director, extension=c.extension.pk, comment=LONG),
            "liaison_a",
        ),
    ],
)
def test_a_refusal_or_rejection_tells_the_reason_shortened(world, path, call, told):
    case = drive(world, path)
    since = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    call(world, case)
    texts = list(
        Notification.objects.filter(pk__gt=since, recipient=getattr(world, told)).values_list("text", flat=True)
    )
    assert len(texts) == 1, texts
    assert "Reason: 现场复查发现安置点排水设施仍未完工" in texts[0]
    reason = texts[0].split("Reason: ", 1)[1]
    assert reason.endswith("…") and len(reason) <= 80


# --- the task page ------------------------------------------------------------------------------------


def _page(client, user, a: Assignment):
    response = signed_in(client, user).get(reverse("tasks:detail", args=[a.pk]))
    assert response.status_code == 200
    return response


def test_the_lead_unit_sees_its_cooperating_units_and_they_see_their_lead(client, world, coop):
    services.assignment_claim(actor=world.liaison_b, assignment=coop.b.pk)
    lead_page = _page(client, world.liaison_a, coop.lead)
    partners = lead_page.context["partners"]
    assert partners.lead is None and not partners.linked
    assert {(p.unit_id, p.state) for p in partners.cooperating} == {
        (world.unit_b.pk, "accepted"),
        (world.unit_c.pk, "issued"),
    }
    html = lead_page.content.decode()
    assert "Cooperating units" in html and "乙县" in html and "农业农村局" in html and "Accepted" in html
    # Not a link: the lead unit cannot open the other units' tasks.
    assert reverse("tasks:detail", args=[coop.b.pk]) not in html

    coop_page = _page(client, world.liaison_b, coop.b)
    partners = coop_page.context["partners"]
    assert partners.lead.pk == coop.lead.pk and partners.cooperating == [] and partners.others == []
    html = coop_page.content.decode()
    assert "Lead unit" in html and "甲县" in html
    assert "农业农村局" not in html  # the other cooperating unit is none of B's business

    office = _page(client, world.clerk, coop.b).context["partners"]
    assert office.linked and office.lead.pk == coop.lead.pk
    assert [p.pk for p in office.cooperating] == [coop.c.pk]


def test_the_partners_are_read_in_one_query_however_many(world, coop, django_assert_max_num_queries):
    lead = Assignment.objects.select_related("letter").get(pk=coop.lead.pk)
    # The person's offices, then the tasks: never one query per cooperating unit.
    with django_assert_max_num_queries(2):
        assert len(task_page.task_partners(world.clerk, lead).cooperating) == 2


def test_after_an_extension_the_page_says_which_deadline_holds(client, world, coop):
    _extend(world, coop.lead, world.liaison_a, world.leader_a, 30)
    new = (FUTURE + dt.timedelta(days=30)).isoformat()
    today = timezone.localdate().isoformat()
    for user, a, why in (
        (world.liaison_a, coop.lead, f"superseded by the extension approved on {today}"),
        (world.liaison_b, coop.b, f"superseded by the lead unit's extension on {today}"),
    ):
        html = _page(client, user, a).content.decode()
        assert f'<dd class="sv-deadline">{new} <span class="sv-state">in force</span>' in html
        assert "<s>by " in html and why in html
    # Before any move, the item's own deadline simply holds.
    html = _page(client, world.liaison_a, drive(world, "in_progress").assignment).content.decode()
    assert "in force" not in html and "<s>" not in html


def test_the_timeline_names_the_unit_a_task_was_reassigned_to(client, world):
    case = drive(world, "reassigned")  # unit A's task, given to the department C
    old = _page(client, world.clerk, case.assignment)
    assert "Reassigned to 农业农村局" in old.content.decode()
    new = Assignment.objects.get(reassigned_from=case.assignment)
    assert "Reassigned here from 甲县" in _page(client, world.liaison_c, new).content.decode()


def test_the_two_report_forms_say_what_each_is_for(client, world):
    a = drive(world, "in_progress").assignment
    html = _page(client, world.liaison_a, a).content.decode()
    assert html.count('name="text"') == 2
    assert "This cycle's progress" in html and "Completion report: the problem is fixed" in html
    assert html.count('placeholder="What was done"') == 1 and 'placeholder="How the problem was fixed"' in html


def test_the_responsible_person_is_named_with_its_label(client, world):
    a = drive(world, "accepted").assignment  # claimed with 张三 as the responsible person
    assert "responsible person: 张三" in _page(client, world.liaison_a, a).content.decode()


def test_a_cooperating_task_closed_with_its_lead_says_so_on_its_page(client, world, coop):
    write_off(world, coop.lead, world.liaison_a, world.leader_a)
    page = _page(client, world.liaison_b, coop.b)
    assert page.context["timeline"][-1].action == "assignment.closed_with_lead"
    assert "Closed with the lead unit&#x27;s write-off" in page.content.decode()
    assert AuditEvent.objects.filter(assignment=coop.b, action="assignment.closed_with_lead").count() == 1
