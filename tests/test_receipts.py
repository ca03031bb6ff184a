"""Read receipts (已阅): the first time each member of a receiving unit opens an issued letter or a
published notice (its page or its PDF) is recorded once; the office sees, unit by unit, who has
opened it and which units have not; units see nobody's receipts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision import clock, services
from supervision.models import Cycle, Notice, ReadReceipt, Unit, UnitKind, UnitResult
from supervision.selectors.receipts import letter_receipts, notice_receipts
from supervision.services.receipts import letter_mark_read, notice_mark_read
from tests.conftest import make_user
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.factories import draft_letter, issue_letter, signed_in

HEADING = "Read by the units"


def _readers(**document) -> set[tuple[str, str]]:
    return set(ReadReceipt.objects.filter(**document).values_list("unit__short_name", "user__username"))


# --- letters: recording ---------------------------------------------------------------------------


def test_the_first_opening_is_recorded_once(world, django_assert_num_queries):
    letter = issue_letter(world, items=1)
    with clock.frozen(at("2030-01-02", "09:30")):
        assert letter_mark_read(actor=world.liaison_a, letter=letter) is True
    receipt = ReadReceipt.objects.get(letter=letter)
    assert (receipt.user, receipt.unit, receipt.opened_at) == (world.liaison_a, world.unit_a, at("2030-01-02", "09:30"))
    # Every later view: one look-up, no write, and the first time stays.
    with django_assert_num_queries(1), clock.frozen(at("2030-01-03")):
        assert letter_mark_read(actor=world.liaison_a, letter=letter) is False
    assert ReadReceipt.objects.get(letter=letter).opened_at == at("2030-01-02", "09:30")


def test_only_members_of_the_units_it_went_to_leave_a_receipt(world, django_assert_max_num_queries):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    # The office, and someone it was shared with, read it without a receipt; the office with no
    # query beyond reading its roles (which the page has done already).
    for office_person in (world.clerk, world.observer):
        with django_assert_max_num_queries(1):
            assert letter_mark_read(actor=office_person, letter=letter) is False
    services.letter_share(actor=world.clerk, letter=letter, user=world.liaison_c)
    assert letter_mark_read(actor=world.liaison_c, letter=letter) is False
    assert letter_mark_read(actor=world.leader_a, letter=letter) is True
    assert _readers(letter=letter) == {("甲县", "leader_a")}


def test_copied_units_and_drafts(world):
    draft = draft_letter(world, units=[world.unit_a], cc=[world.unit_b])
    # A draft is nobody's to read yet.
    assert letter_mark_read(actor=world.liaison_a, letter=draft) is False
    services.letter_sign(actor=world.director, letter=draft)
    letter = services.letter_issue(actor=world.clerk, letter=draft)
    assert letter_mark_read(actor=world.liaison_b, letter=letter) is True
    assert _readers(letter=letter) == {("乙县", "liaison_b")}


def test_a_unit_shared_with_is_not_a_receiving_unit(world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    services.letter_share(actor=world.clerk, letter=letter, unit=world.unit_c)
    assert letter_mark_read(actor=world.leader_c, letter=letter) is False
    assert not ReadReceipt.objects.exists()


# --- letters: the pages -----------------------------------------------------------------------------


def test_the_letter_page_and_its_pdf_record_the_opening(client, world):
    letter = issue_letter(world, items=1)
    assert signed_in(client, world.liaison_a).get(reverse("letters:detail", args=[letter.pk])).status_code == 200
    assert signed_in(client, world.leader_b).get(reverse("notices:letter_pdf", args=[letter.pk])).status_code == 200
    assert _readers(letter=letter) == {("甲县", "liaison_a"), ("乙县", "leader_b")}


def test_the_office_sees_who_opened_it_and_who_has_not(client, world):
    letter = issue_letter(world, items=1, units=[world.unit_a, world.unit_b, world.unit_c])
    with clock.frozen(at("2030-01-02", "09:30")):
        signed_in(client, world.liaison_a).get(reverse("letters:detail", args=[letter.pk]))
    receipts = letter_receipts(world.observer, letter)
    assert [(r.unit.display_name, [x.user.username for x in r.readers]) for r in receipts.units] == [
        ("甲县", ["liaison_a"]),
        ("乙县", []),
        ("农业农村局", []),
    ]
    assert [u.display_name for u in receipts.unread] == ["乙县", "农业农村局"]
    page = signed_in(client, world.clerk).get(reverse("letters:detail", args=[letter.pk])).content.decode()
    assert HEADING in page and "Not opened yet:" in page and "2030-01-02 09:30" in page
    assert "乙县、农业农村局" in page


def test_units_see_no_receipts(client, world):
    letter = issue_letter(world, items=1)
    letter_mark_read(actor=world.liaison_b, letter=letter)
    for person in (world.liaison_a, world.leader_b):
        assert letter_receipts(person, letter) is None
        page = signed_in(client, person).get(reverse("letters:detail", args=[letter.pk])).content.decode()
        assert HEADING not in page and "liaison_b" not in page


def test_the_letter_page_query_count_does_not_grow_with_units_and_readers(client, world):
    letter = issue_letter(world, items=1)
    c = signed_in(client, world.clerk)
    url = reverse("letters:detail", args=[letter.pk])
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        c.get(url)
    units = [
        Unit.objects.create(
            name=f"测试单位{n}", short_name=f"单位{n}", kind=UnitKind.DEPARTMENT, peer_group="department"
        )
        for n in range(8)
    ]
    big = issue_letter(world, items=1, units=[world.unit_a, world.unit_b, *units])
    for n, unit in enumerate(units):
        for k in range(3):
            reader = make_user(f"reader{n}_{k}", unit, "liaison")
            letter_mark_read(actor=reader, letter=big)
    assert ReadReceipt.objects.filter(letter=big).count() == 24
    url = reverse("letters:detail", args=[big.pk])
    c.get(url)
    with CaptureQueriesContext(connection) as large:
        page = c.get(url).content.decode()
    assert "reader7_2" in page
    assert len(large) == len(small)


# --- notices ----------------------------------------------------------------------------------------


@pytest.fixture
def published(world, settings) -> Notice:
    use_calendar(settings)
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=2, units=[world.unit_a, world.unit_b])
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    with clock.frozen(at("2024-01-15")):
        notice = services.notice_draft(actor=world.clerk, office=world.office, cycle=Cycle.objects.get(number=1))
        services.notice_sign(actor=world.director, notice=notice.pk)
        services.notice_publish(actor=world.clerk, notice=notice.pk)
    return Notice.objects.select_related("cycle", "office").get(pk=notice.pk)


def test_a_published_notice_records_its_ranked_units_readers(client, world, published):
    ranked = set(
        UnitResult.objects.filter(cycle=published.cycle, ranked=True).values_list("unit__short_name", flat=True)
    )
    assert {"甲县", "乙县"} <= ranked
    with clock.frozen(at("2024-01-16")):
        assert signed_in(client, world.leader_a).get(reverse("cycles:notice", args=[published.pk])).status_code == 200
        # Asking for the PDF (the button's POST: a background job, whose page it is sent to) is
        # opening the notice; the page a plain GET shows, with that button, is not.
        pdf = reverse("notices:notice_pdf", args=[published.pk])
        assert signed_in(client, world.liaison_b).get(pdf).status_code == 200
        assert not _readers(notice=published) & {("乙县", "liaison_b")}
        assert signed_in(client, world.liaison_b).post(pdf).status_code == 302
        assert notice_mark_read(actor=world.leader_a, notice=published) is False
        assert notice_mark_read(actor=world.clerk, notice=published) is False
    assert _readers(notice=published) == {("甲县", "leader_a"), ("乙县", "liaison_b")}
    receipts = notice_receipts(world.director, published)
    assert {r.unit.display_name for r in receipts.units} == ranked
    assert notice_receipts(world.liaison_a, published) is None
    url = reverse("cycles:notice", args=[published.pk])
    page = signed_in(client, world.clerk).get(url).content.decode()
    assert HEADING in page and "leader_a" in page
    assert HEADING not in signed_in(client, world.leader_a).get(url).content.decode()


def test_a_draft_notice_has_no_readers(world, settings):
    use_calendar(settings)
    tick(at("2024-01-02", "09:00"))
    issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a])
    tick(cutoff(0))
    with clock.frozen(at("2024-01-15")):
        notice = services.notice_draft(actor=world.clerk, office=world.office, cycle=Cycle.objects.get(number=1))
    assert notice_mark_read(actor=world.liaison_a, notice=notice) is False
    assert notice_receipts(world.clerk, notice) is None
