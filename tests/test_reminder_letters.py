"""Reminder letters (催办函) drafted by tick: addressed to the units late on an item only, each
overdue item listed once with those units, a unit lapsing later joining its item, and issuing
chasing the units' own assignments without creating any."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from supervision import clock, services
from supervision.models import (
    Assignment,
    AuditEvent,
    Item,
    ItemUnit,
    Letter,
    LetterKind,
    Notification,
    PeerGroup,
    Role,
    Unit,
    UnitKind,
)
from supervision.services import InvalidInput
from supervision.services.letters import item_update
from tests.cycles import at, issue_at, mine, tick, use_calendar
from tests.factories import make_user
from tests.helpers import write_off

DEADLINE = dt.date(2024, 1, 10)
EXTENDED = dt.date(2024, 1, 13)


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


@pytest.fixture
def late(world) -> SimpleNamespace:
    """One item to five units, due 10 January. A, B and C let it lapse; D had it extended to the
    13th; E wrote it off in time. Tick runs on the 11th."""
    for key, name, short in (("d", "丙县人民政府", "丙县"), ("e", "丁县人民政府", "丁县")):
        unit = Unit.objects.create(name=name, short_name=short, kind=UnitKind.COUNTY, peer_group=PeerGroup.COUNTY)
        setattr(world, f"unit_{key}", unit)
        setattr(world, f"liaison_{key}", make_user(f"liaison_{key}", unit, Role.LIAISON))
        setattr(world, f"leader_{key}", make_user(f"leader_{key}", unit, Role.LEADER))
    units = [world.unit_a, world.unit_b, world.unit_c, world.unit_d, world.unit_e]
    letter = issue_at(at("2024-01-02"), world, items=1, units=units, deadline=DEADLINE)
    with clock.frozen(at("2024-01-03")):
        d = mine(letter, world.unit_d)[0]
        services.assignment_claim(actor=world.liaison_d, assignment=d.pk)
        ext = services.extension_request(
            actor=world.liaison_d, assignment=d.pk, requested_deadline=EXTENDED, reason="施工周期长"
        )
        services.extension_sign(actor=world.leader_d, extension=ext.pk)
        services.extension_approve(actor=world.clerk, extension=ext.pk)
        write_off(world, mine(letter, world.unit_e)[0], world.liaison_e, world.leader_e)
    result = tick(at("2024-01-11", "00:01"))
    return SimpleNamespace(world=world, letter=letter, result=result, item=letter.items.get())


def _units(item: Item) -> list[tuple[int, str]]:
    return sorted(ItemUnit.objects.filter(item=item).values_list("unit_id", "role"))


def test_one_item_naming_the_three_late_units_addressed_to_them_only(late):
    w = late.world
    assert late.result.overdue == 3
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    assert late.result.reminder_letters == [reminder.pk]
    # Not D (its deadline was extended) nor E (done in time): nothing of theirs is overdue.
    assert set(reminder.addressees.all()) == {w.unit_a, w.unit_b, w.unit_c}
    [item] = reminder.items.all()
    assert (item.seq, item.chased_item_id, item.description, item.deadline) == (
        1,
        late.item.pk,
        late.item.description,
        DEADLINE,
    )
    assert _units(item) == sorted((u.pk, "lead") for u in (w.unit_a, w.unit_b, w.unit_c))


def test_a_fourth_unit_lapsing_joins_the_same_item_and_the_addressees(late):
    w = late.world
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    result = tick(at("2024-01-14", "00:01"))
    assert result.overdue == 1 and result.reminder_letters == [reminder.pk]
    assert set(reminder.addressees.all()) == {w.unit_a, w.unit_b, w.unit_c, w.unit_d}
    [item] = reminder.items.all()
    assert _units(item) == sorted((u.pk, "lead") for u in (w.unit_a, w.unit_b, w.unit_c, w.unit_d))
    assert item.deadline == DEADLINE  # the earliest missed; D's own is printed beside it
    edited = AuditEvent.objects.get(action="item.edited", letter=reminder)
    assert edited.data["changed"] == ["units"] and edited.data["units"] == [w.unit_d.pk]
    # A further tick adds nothing twice.
    assert tick(at("2024-01-15", "00:01")).overdue == 0
    assert ItemUnit.objects.filter(item__letter=reminder).count() == 4


def test_issuing_chases_the_three_assignments_and_creates_none(late):
    w = late.world
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    before = Assignment.objects.count()
    with clock.frozen(at("2024-01-11", "09:00")):
        services.letter_sign(actor=w.director, letter=reminder)
        issued = services.letter_issue(actor=w.clerk, letter=reminder)
    assert Assignment.objects.count() == before
    assert not Assignment.objects.filter(letter=issued).exists()
    chased = AuditEvent.objects.filter(action="assignment.chased")
    expected = [mine(late.letter, u)[0].pk for u in (w.unit_a, w.unit_b, w.unit_c)]
    assert sorted(chased.values_list("assignment_id", flat=True)) == sorted(expected)
    assert set(chased.values_list("letter_id", flat=True)) == {late.letter.pk}
    assert {e.data["number"] for e in chased} == {issued.number}
    told = set(Notification.objects.filter(verb="letter_issued", letter=issued).values_list("recipient", flat=True))
    assert {w.liaison_a.pk, w.liaison_b.pk, w.liaison_c.pk} <= told
    assert not told & {w.liaison_d.pk, w.liaison_e.pk}


def test_a_unit_may_be_taken_off_a_reminder_item_but_none_added(late):
    w = late.world
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    item = reminder.items.get()
    fields = {"description": item.description, "deadline": item.deadline, "measures": item.measures}
    # Saving the item as it stands (the form shows every lead) changes nothing.
    item_update(actor=w.clerk, item=item, lead_unit_ids=[w.unit_a.pk, w.unit_b.pk, w.unit_c.pk], **fields)
    assert len(_units(item)) == 3
    with pytest.raises(InvalidInput):
        item_update(actor=w.clerk, item=item, lead_unit_ids=[w.unit_a.pk, w.unit_e.pk], **fields)
    with pytest.raises(InvalidInput):
        item_update(actor=w.clerk, item=item, lead_unit_id=w.unit_a.pk, cooperating_unit_ids=[w.unit_b.pk], **fields)
    item_update(actor=w.clerk, item=item, lead_unit_ids=[w.unit_a.pk, w.unit_b.pk], **fields)
    assert _units(item) == sorted((u.pk, "lead") for u in (w.unit_a, w.unit_b))


# --- the printed reminder -------------------------------------------------------------------------------


def _issue(w: SimpleNamespace, moment: dt.datetime) -> Letter:
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    with clock.frozen(moment):
        services.letter_sign(actor=w.director, letter=reminder)
        return services.letter_issue(actor=w.clerk, letter=reminder)


def test_the_printed_reminder_lists_the_item_once_with_its_three_units(late):
    from notices.letters import letter_pdf
    from tests.notices import pdfs

    pdf = letter_pdf(_issue(late.world, at("2024-01-12", "09:00")))
    text = pdfs.text(pdf)
    assert "甲县人民政府、乙县人民政府、市农业农村局：" in text
    assert "丙县" not in text and "丁县" not in text
    [table] = pdfs.tables(pdf, 2)
    assert table == [
        ["序号", "问题描述", "整改措施", "逾期单位", "整改时限", "逾期天数"],
        ["1", "问题描述1：安置点配套设施不完善", "完善配套设施", "甲县、乙县、农业农村局", "2024年1月10日前", "2"],
    ]


def test_a_unit_that_missed_an_extended_deadline_prints_under_the_same_item(late):
    from notices.letters import letter_pdf
    from tests.notices import pdfs

    tick(at("2024-01-14", "00:01"))
    pdf = letter_pdf(_issue(late.world, at("2024-01-15", "09:00")))
    [table] = pdfs.tables(pdf, 2)
    assert table[1:] == [
        ["1", "问题描述1：安置点配套设施不完善", "完善配套设施", "甲县、乙县、农业农村局", "2024年1月10日前", "5"],
        ["", "", "", "丙县", "2024年1月13日前", "2"],
    ]


def test_the_draft_is_written_in_the_site_language_whatever_is_active(late):
    # The suite runs in English; tick drafts a document, which is Chinese like every 公文.
    reminder = Letter.objects.get(kind=LetterKind.REMINDER)
    assert "逾期" in reminder.title and "Reminder" not in reminder.title
    assert "overdue" not in reminder.body and late.letter.title in reminder.body
