"""Letters: four eyes, numbering, fan-out into assignments, all-or-nothing issue, closing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from supervision import clock, services
from supervision.models import (
    Assignment,
    AuditEvent,
    ItemUnit,
    Letter,
    LetterNumberCounter,
    Membership,
    Notification,
    Role,
    Unit,
)
from supervision.selectors import visibility
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from supervision.services.roles import forget_roles
from tests.helpers import ACTORS, draft_letter, sign_and_issue, snapshot, write_off

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _letter(pk: int) -> Letter:
    return Letter.objects.get(pk=pk)


# --- signing: four eyes, director only ------------------------------------------------------------


def test_drafter_cannot_sign_even_as_director(world):
    Membership.objects.create(user=world.clerk, unit=world.office, role=Role.DIRECTOR)
    forget_roles(world.clerk)
    letter = draft_letter(world)
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.letter_sign(actor=world.clerk, letter=letter)
    assert snapshot() == before
    # Another director signs it.
    services.letter_sign(actor=world.director, letter=letter)
    letter = _letter(letter.pk)
    assert (letter.state, letter.signer) == ("signed", world.director)


def test_a_director_who_drafted_cannot_sign_their_own_letter(world):
    # The director also clerks: they may draft, and another director must sign.
    Membership.objects.create(user=world.director, unit=world.office, role=Role.CLERK)
    forget_roles(world.director)
    letter = services.letter_create(
        actor=world.director, office=world.office, kind="supervision", title="督办函", addressee_ids=[world.unit_a.pk]
    )
    services.item_add(actor=world.director, letter=letter, description="问题", deadline=dt.date(2030, 1, 1))
    with pytest.raises(NotAllowed):
        services.letter_sign(actor=world.director, letter=letter)
    assert _letter(letter.pk).state == "draft"


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != "director"])
def test_only_a_director_signs(world, actor: str):
    letter = draft_letter(world)
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.letter_sign(actor=getattr(world, actor), letter=letter)
    assert snapshot() == before


@pytest.mark.parametrize("actor", ["inspector", "observer", "liaison_a", "leader_a", "outsider"])
def test_only_clerk_or_director_issues(world, actor: str):
    letter = draft_letter(world)
    services.letter_sign(actor=world.director, letter=letter)
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.letter_issue(actor=getattr(world, actor), letter=letter)
    assert snapshot() == before


def test_director_may_issue(world):
    letter = draft_letter(world)
    services.letter_sign(actor=world.director, letter=letter)
    services.letter_issue(actor=world.director, letter=letter)
    assert _letter(letter.pk).state == "issued"


def test_signing_is_audited_and_tells_the_drafter(world):
    letter = draft_letter(world)
    services.letter_sign(actor=world.director, letter=letter, comment="同意")
    event = AuditEvent.objects.filter(letter=letter).latest("id")
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        "letter.signed",
        world.director,
        "draft",
        "signed",
        "同意",
    )
    assert Notification.objects.filter(recipient=world.clerk, verb="letter_signed", letter=letter).count() == 1


def test_a_letter_is_signed_and_issued_once(world):
    letter = draft_letter(world)
    services.letter_sign(actor=world.director, letter=letter)
    with pytest.raises(InvalidTransition):
        services.letter_sign(actor=world.director, letter=letter)
    services.letter_issue(actor=world.clerk, letter=letter)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        services.letter_issue(actor=world.clerk, letter=letter)
    with pytest.raises(InvalidTransition):
        services.letter_sign(actor=world.director, letter=letter)
    assert snapshot() == before


def test_a_draft_cannot_be_issued_unsigned(world):
    letter = draft_letter(world)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        services.letter_issue(actor=world.clerk, letter=letter)
    assert snapshot() == before


# --- numbers ----------------------------------------------------------------------------------------


def test_numbers_are_sequential_per_prefix_and_year(world):
    at = dt.datetime(2024, 6, 1, 10, 0, tzinfo=SHANGHAI)
    with clock.frozen(at):
        sup = [sign_and_issue(world, draft_letter(world)).number for _ in range(3)]
        asg = [sign_and_issue(world, draft_letter(world, kind="assignment")).number for _ in range(2)]
        rem = sign_and_issue(world, draft_letter(world, kind="reminder")).number
    assert sup == ["测巩办督〔2024〕1号", "测巩办督〔2024〕2号", "测巩办督〔2024〕3号"]
    # Each prefix counts on its own.
    assert asg == ["测巩办交〔2024〕1号", "测巩办交〔2024〕2号"]
    assert rem == "测巩办催〔2024〕1号"
    letter = Letter.objects.get(number=sup[2])
    assert (letter.year, letter.serial) == (2024, 3)


def test_numbering_restarts_each_year_in_the_offices_time_zone(world):
    # 2024-12-31 16:30 UTC is already 2025-01-01 in Shanghai: the new year's counter starts.
    with clock.frozen(dt.datetime(2024, 12, 31, 23, 0, tzinfo=SHANGHAI)):
        first = sign_and_issue(world, draft_letter(world)).number
        second = sign_and_issue(world, draft_letter(world)).number
    with clock.frozen(dt.datetime(2024, 12, 31, 16, 30, tzinfo=dt.UTC)):
        new_year = sign_and_issue(world, draft_letter(world)).number
    with clock.frozen(dt.datetime(2025, 3, 1, 9, 0, tzinfo=SHANGHAI)):
        later = sign_and_issue(world, draft_letter(world)).number
    assert [first, second, new_year, later] == [
        "测巩办督〔2024〕1号",
        "测巩办督〔2024〕2号",
        "测巩办督〔2025〕1号",
        "测巩办督〔2025〕2号",
    ]


def test_letter_number_format():
    assert services.letter_number("吕巩办督", 2023, 19) == "吕巩办督〔2023〕19号"
    assert services.letter_number("吕巩办交", 2024, 7) == "吕巩办交〔2024〕7号"


def test_drafts_and_signed_letters_have_no_number(world):
    letter = draft_letter(world)
    assert _letter(letter.pk).number is None
    services.letter_sign(actor=world.director, letter=letter)
    assert _letter(letter.pk).number is None
    assert not LetterNumberCounter.objects.exists()


# --- fan-out ------------------------------------------------------------------------------------------


def test_issue_creates_one_assignment_per_item_and_unit_with_drafted_roles(world):
    a, b, c = world.unit_a, world.unit_b, world.unit_c
    letter = draft_letter(
        world,
        units=[a, b, c],
        items=[(a, [b, c]), (None, []), (c, [])],
        deadline=dt.date(2030, 5, 1),
    )
    letter = sign_and_issue(world, letter)
    got = sorted(
        Assignment.objects.filter(letter=letter).values_list("item__seq", "unit_id", "role", "state", "deadline")
    )
    d = dt.date(2030, 5, 1)
    assert got == sorted(
        [
            (1, a.pk, "lead", "issued", d),
            (1, b.pk, "cooperating", "issued", d),
            (1, c.pk, "cooperating", "issued", d),
            (2, a.pk, "lead", "issued", d),
            (2, b.pk, "lead", "issued", d),
            (2, c.pk, "lead", "issued", d),
            (3, c.pk, "lead", "issued", d),
        ]
    )
    # One audit row for the letter and one per assignment it created.
    issued = AuditEvent.objects.filter(letter=letter, action="assignment.issued")
    assert sorted(issued.values_list("assignment_id", flat=True)) == sorted(
        Assignment.objects.filter(letter=letter).values_list("pk", flat=True)
    )
    event = AuditEvent.objects.get(letter=letter, action="letter.issued")
    assert (event.from_state, event.to_state, event.data) == (
        "signed",
        "issued",
        {"number": letter.number, "assignments": 7},
    )


# --- all or nothing ---------------------------------------------------------------------------------


def test_item_naming_an_unaddressed_unit_is_refused_at_sign(world):
    letter = draft_letter(world, units=[world.unit_a, world.unit_b], items=[(world.unit_c, [])])
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.letter_sign(actor=world.director, letter=letter)
    assert snapshot() == before


def test_cooperating_unit_not_addressed_is_refused_at_sign(world):
    letter = draft_letter(world, units=[world.unit_a], items=[(world.unit_a, [world.unit_b])])
    with pytest.raises(InvalidInput):
        services.letter_sign(actor=world.director, letter=letter)
    assert _letter(letter.pk).state == "draft"


def test_letter_without_items_is_refused_at_sign(world):
    letter = draft_letter(world, items=[])
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.letter_sign(actor=world.director, letter=letter)
    assert snapshot() == before


def test_letter_without_addressees_is_refused_at_sign(world):
    letter = draft_letter(world, units=[])
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.letter_sign(actor=world.director, letter=letter)
    assert snapshot() == before


@pytest.mark.parametrize("breakage", ["stray_unit", "no_addressees", "no_items"])
def test_failed_issue_takes_no_number_and_creates_nothing(world, breakage: str):
    # The services keep a signed letter consistent; break it behind their back to prove that
    # issue re-checks and that a refusal leaves no assignment, audit row or number behind.
    first = sign_and_issue(world, draft_letter(world))
    letter = draft_letter(world)
    services.letter_sign(actor=world.director, letter=letter)
    if breakage == "stray_unit":
        ItemUnit.objects.create(item=letter.items.get(), unit=world.unit_c, role="lead")
    elif breakage == "no_addressees":
        letter.addressees.clear()
    else:
        letter.items.all().delete()
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.letter_issue(actor=world.clerk, letter=letter)
    assert snapshot() == before
    # The next good letter takes the next number: no gap.
    year = first.year
    second = sign_and_issue(world, draft_letter(world))
    assert (first.serial, second.serial) == (1, 2)
    assert second.number == f"测巩办督〔{year}〕2号"


def test_issue_refuses_a_unit_dissolved_after_signing(world):
    letter = draft_letter(world)
    services.letter_sign(actor=world.director, letter=letter)
    Unit.objects.filter(pk=world.unit_a.pk).update(is_active=False)
    before = snapshot()
    with pytest.raises(InvalidInput, match="no longer active"):
        services.letter_issue(actor=world.clerk, letter=letter)
    assert snapshot() == before


def test_issue_failing_after_numbering_rolls_the_number_back(world):
    # A failure after the counter moved (here: the database refuses a duplicate assignment)
    # must roll back the number, the letter's state and every assignment with it.
    first = sign_and_issue(world, draft_letter(world))
    letter = draft_letter(world, items=[(None, []), (None, [])])
    services.letter_sign(actor=world.director, letter=letter)
    second_item = letter.items.get(seq=2)
    blocker = Assignment.objects.create(
        item=second_item,
        letter=letter,
        unit=world.unit_b,
        role="lead",
        deadline=second_item.deadline,
        issued_at=clock.now(),
    )
    before = snapshot()
    with pytest.raises(IntegrityError):
        services.letter_issue(actor=world.clerk, letter=letter)
    assert snapshot() == before
    assert _letter(letter.pk).state == "signed"
    blocker.delete()
    letter = services.letter_issue(actor=world.clerk, letter=letter)
    assert letter.serial == first.serial + 1
    assert Assignment.objects.filter(letter=letter).count() == 4


# --- editing -----------------------------------------------------------------------------------------


def _edits(world, letter, actor):
    item = letter.items.first()
    return {
        "update": lambda: services.letter_update_draft(actor=actor, letter=letter, title="改过的标题"),
        "addressees": lambda: services.letter_update_draft(actor=actor, letter=letter, addressee_ids=[world.unit_c.pk]),
        "add_item": lambda: services.item_add(
            actor=actor, letter=letter, description="新增问题", deadline=dt.date(2030, 1, 1)
        ),
        "delete_item": lambda: services.item_delete(actor=actor, item=item),
    }


@pytest.mark.parametrize("stage", ["signed", "issued", "closed"])
@pytest.mark.parametrize("edit", ["update", "addressees", "add_item", "delete_item"])
def test_only_drafts_can_be_edited(world, stage: str, edit: str):
    letter = draft_letter(world, units=[world.unit_a])
    services.letter_sign(actor=world.director, letter=letter)
    if stage in ("issued", "closed"):
        services.letter_issue(actor=world.clerk, letter=letter)
    if stage == "closed":
        write_off(world, Assignment.objects.get(letter=letter), world.liaison_a, world.leader_a)
    letter = _letter(letter.pk)
    assert letter.state == stage
    before = snapshot()
    with pytest.raises(InvalidTransition):
        _edits(world, letter, world.clerk)[edit]()
    assert snapshot() == before


@pytest.mark.parametrize("actor", ["inspector", "director", "observer", "liaison_a", "outsider"])
@pytest.mark.parametrize("edit", ["update", "addressees", "add_item", "delete_item"])
def test_only_the_clerk_edits_drafts(world, actor: str, edit: str):
    letter = draft_letter(world)
    before = snapshot()
    with pytest.raises(NotAllowed):
        _edits(world, letter, getattr(world, actor))[edit]()
    assert snapshot() == before


def test_drafts_can_be_edited_and_items_keep_continuous_numbers(world):
    letter = draft_letter(world, items=[(None, []), (None, []), (None, [])])
    services.letter_update_draft(actor=world.clerk, letter=letter, title="新标题", addressee_ids=[world.unit_a.pk])
    services.item_delete(actor=world.clerk, item=letter.items.get(seq=1))
    letter = _letter(letter.pk)
    assert letter.title == "新标题"
    assert list(letter.addressees.all()) == [world.unit_a]
    assert list(letter.items.order_by("seq").values_list("seq", "description")) == [
        (1, "问题描述2：安置点配套设施不完善"),
        (2, "问题描述3：安置点配套设施不完善"),
    ]
    letter = sign_and_issue(world, letter)
    assert Assignment.objects.filter(letter=letter, unit=world.unit_a).count() == 2
    assert not Assignment.objects.filter(letter=letter).exclude(unit=world.unit_a).exists()


# --- notifications ---------------------------------------------------------------------------------


def test_issue_notifies_liaisons_and_leaders_of_addressed_units_only(world):
    letter = draft_letter(world, units=[world.unit_a, world.unit_b], cc=[world.unit_c])
    letter = sign_and_issue(world, letter)

    def told(verb: str) -> set[int]:
        return set(Notification.objects.filter(letter=letter, verb=verb).values_list("recipient_id", flat=True))

    w = world
    assert told("letter_issued") == {w.liaison_a.pk, w.leader_a.pk, w.liaison_b.pk, w.leader_b.pk}
    assert told("letter_copied") == {w.liaison_c.pk, w.leader_c.pk}
    n = Notification.objects.get(letter=letter, verb="letter_issued", recipient=w.liaison_a)
    assert letter.number in n.text
    # Nobody else hears about it; the office only got the drafter's "signed" note.
    everyone = set(Notification.objects.filter(letter=letter).values_list("recipient_id", flat=True))
    assert everyone == told("letter_issued") | told("letter_copied") | {w.clerk.pk}


def test_inactive_members_are_not_notified(world):
    world.leader_b.is_active = False
    world.leader_b.save()
    letter = sign_and_issue(world, draft_letter(world))
    assert not Notification.objects.filter(letter=letter, recipient=world.leader_b).exists()
    assert Notification.objects.filter(letter=letter, recipient=world.liaison_b).exists()


# --- closing --------------------------------------------------------------------------------------


def test_letter_closes_when_its_last_assignment_closes(world):
    letter = sign_and_issue(world, draft_letter(world, units=[world.unit_a, world.unit_b]))
    a = Assignment.objects.get(letter=letter, unit=world.unit_a)
    b = Assignment.objects.get(letter=letter, unit=world.unit_b)
    write_off(world, a, world.liaison_a, world.leader_a)
    assert _letter(letter.pk).state == "issued"
    write_off(world, b, world.liaison_b, world.leader_b)
    letter = _letter(letter.pk)
    assert letter.state == "closed"
    assert letter.closed_at is not None
    event = AuditEvent.objects.get(letter=letter, action="letter.closed")
    assert (event.actor, event.from_state, event.to_state) == (world.director, "issued", "closed")


def test_a_reassigned_assignment_does_not_keep_the_letter_open(world):
    letter = sign_and_issue(world, draft_letter(world, units=[world.unit_a, world.unit_b]))
    a = Assignment.objects.get(letter=letter, unit=world.unit_a)
    b = Assignment.objects.get(letter=letter, unit=world.unit_b)
    services.assignment_request_return(actor=world.liaison_a, assignment=a, reason="不属于本县")
    services.assignment_approve_return(actor=world.leader_a, assignment=a)
    c = services.assignment_reassign(actor=world.clerk, assignment=a, unit=world.unit_c)
    write_off(world, b, world.liaison_b, world.leader_b)
    # C's new assignment is still open.
    assert _letter(letter.pk).state == "issued"
    write_off(world, c, world.liaison_c, world.leader_c)
    assert _letter(letter.pk).state == "closed"


def test_a_returned_assignment_keeps_the_letter_open(world):
    letter = sign_and_issue(world, draft_letter(world, units=[world.unit_a, world.unit_b]))
    a = Assignment.objects.get(letter=letter, unit=world.unit_a)
    services.assignment_request_return(actor=world.liaison_a, assignment=a, reason="不属于本县")
    services.assignment_approve_return(actor=world.leader_a, assignment=a)
    write_off(world, Assignment.objects.get(letter=letter, unit=world.unit_b), world.liaison_b, world.leader_b)
    # The office has not decided where A's item goes: the letter cannot be done.
    assert _letter(letter.pk).state == "issued"


# --- withdrawing -------------------------------------------------------------------------------------


def test_withdrawing_an_untouched_letter_ends_all_its_assignments(world):
    letter = sign_and_issue(world, draft_letter(world))
    ids = set(letter.assignments.values_list("pk", flat=True))
    since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    services.letter_withdraw(actor=world.clerk, letter=letter, reason="发文对象有误")
    letter = _letter(letter.pk)
    assert letter.state == "withdrawn"
    # The number stays on record: the next letter does not reuse it.
    assert letter.number and letter.serial == 1
    assert set(Assignment.objects.filter(state="withdrawn").values_list("pk", flat=True)) == ids
    events = AuditEvent.objects.filter(pk__gt=since)
    assert sorted(events.values_list("action", flat=True)) == ["assignment.withdrawn"] * len(ids) + ["letter.withdrawn"]
    assert set(events.values_list("comment", flat=True)) == {"发文对象有误"}
    told = set(Notification.objects.filter(verb="letter_withdrawn").values_list("recipient_id", flat=True))
    assert told == {world.liaison_a.pk, world.leader_a.pk, world.liaison_b.pk, world.leader_b.pk}
    assert sign_and_issue(world, draft_letter(world)).serial == 2


def test_a_claimed_item_stops_the_withdrawal(world):
    letter = sign_and_issue(world, draft_letter(world))
    services.assignment_claim(actor=world.liaison_a, assignment=letter.assignments.filter(unit=world.unit_a).first())
    before = snapshot()
    with pytest.raises(InvalidTransition, match="already claimed or returned"):
        services.letter_withdraw(actor=world.director, letter=letter, reason="发文对象有误")
    assert snapshot() == before


def test_a_withdrawn_item_cannot_be_claimed(world):
    letter = sign_and_issue(world, draft_letter(world))
    services.letter_withdraw(actor=world.clerk, letter=letter, reason="重复发文")
    before = snapshot()
    with pytest.raises(InvalidTransition):
        services.assignment_claim(
            actor=world.liaison_a, assignment=letter.assignments.filter(unit=world.unit_a).first()
        )
    assert snapshot() == before


@pytest.mark.parametrize("actor", ["inspector", "observer", "liaison_a", "leader_a", "outsider"])
def test_only_clerk_or_director_withdraws(world, actor: str):
    letter = sign_and_issue(world, draft_letter(world))
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.letter_withdraw(actor=getattr(world, actor), letter=letter, reason="发文对象有误")
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_withdrawing_needs_a_reason(world, reason: str):
    letter = sign_and_issue(world, draft_letter(world))
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.letter_withdraw(actor=world.clerk, letter=letter, reason=reason)
    assert snapshot() == before


@pytest.mark.parametrize("stage", ["draft", "signed"])
def test_only_issued_letters_are_withdrawn(world, stage: str):
    letter = draft_letter(world)
    if stage == "signed":
        services.letter_sign(actor=world.director, letter=letter)
    with pytest.raises(InvalidTransition):
        services.letter_withdraw(actor=world.clerk, letter=letter, reason="发文对象有误")


def test_a_unit_still_sees_the_withdrawn_letter(world):
    letter = sign_and_issue(world, draft_letter(world))
    services.letter_withdraw(actor=world.clerk, letter=letter, reason="发文对象有误")
    assert visibility.letter_get(world.liaison_a, letter.pk) is not None


# --- attachments -------------------------------------------------------------------------------------


def _file(name: str = "问题清单.xlsx", body: bytes = b"PK\x03\x04 list") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, "application/octet-stream")


def test_attachments_are_added_while_drafting_and_travel_with_the_letter(world):
    letter = draft_letter(world)
    added = services.letter_attach(actor=world.clerk, letter=letter, files=[_file(), _file("方案.pdf", b"%PDF-1.4")])
    assert [a.original_name for a in added] == ["问题清单.xlsx", "方案.pdf"]
    assert AuditEvent.objects.filter(letter=letter, action="letter.attached").count() == 1
    sign_and_issue(world, letter)
    # The addressed units may open them, an outsider may not.
    assert world.liaison_a.has_perm("supervision.view_letterattachment", added[0])
    assert not world.outsider.has_perm("supervision.view_letterattachment", added[0])
    assert not world.liaison_c.has_perm("supervision.view_letterattachment", added[0])


def test_attachments_are_fixed_once_signed(world):
    letter = draft_letter(world)
    (first,) = services.letter_attach(actor=world.clerk, letter=letter, files=[_file()])
    services.letter_sign(actor=world.director, letter=letter)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        services.letter_attach(actor=world.clerk, letter=letter, files=[_file("补充.pdf", b"%PDF")])
    with pytest.raises(InvalidTransition):
        services.letter_detach(actor=world.clerk, attachment=first)
    assert snapshot() == before
    assert letter.attachments.count() == 1


def test_detaching_removes_the_file_from_the_draft(world):
    letter = draft_letter(world)
    (first,) = services.letter_attach(actor=world.clerk, letter=letter, files=[_file()])
    services.letter_detach(actor=world.clerk, attachment=first.pk)
    assert letter.attachments.count() == 0
    assert AuditEvent.objects.filter(letter=letter, action="letter.detached").get().data == {"file": "问题清单.xlsx"}


@pytest.mark.parametrize("actor", ["inspector", "director", "liaison_a", "outsider"])
def test_only_the_clerk_attaches(world, actor: str):
    letter = draft_letter(world)
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.letter_attach(actor=getattr(world, actor), letter=letter, files=[_file()])
    assert snapshot() == before


def test_a_bad_attachment_refuses_them_all(world):
    letter = draft_letter(world)
    with pytest.raises(InvalidInput, match="not an accepted file type"):
        services.letter_attach(actor=world.clerk, letter=letter, files=[_file(), _file("病毒.exe", b"MZ")])
    assert letter.attachments.count() == 0
