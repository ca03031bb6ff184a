"""Document routing (送签 / 退回修改): a draft letter or notice is sent to a named director, who is
told and either signs it, with a comment, or returns it to the drafter with a reason. Also the
items of a draft changed in place, the unit picker and the reply deadline in the edit form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from notices.letters import letter_context
from notices.wording import DRAFT
from supervision import clock, integrity, services
from supervision.models import AuditEvent, Cycle, Item, ItemUnit, Letter, Notice, Notification
from supervision.selectors import queues
from supervision.selectors.document_routing import directors_to_send_to
from supervision.services import InvalidInput, InvalidTransition, NotAllowed, document_routing, stand_ins
from supervision.services.letters import item_update
from tests.conftest import make_user
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.helpers import draft_letter, page_messages, signed_in, snapshot

REASON = "第2项整改时限与省里要求不一致，请核实后再送签。"


@pytest.fixture
def second_director(world):
    return make_user("director2", world.office, "director", full_name="王副主任")


def _letter(pk: int) -> Letter:
    return Letter.objects.select_related("routed_to", "signer").get(pk=pk)


# --- letters: the loop --------------------------------------------------------------------------------


def test_send_return_and_sign_a_letter(world, second_director):
    letter = draft_letter(world)
    document_routing.letter_send(actor=world.clerk, letter=letter, director=world.director)
    sent = _letter(letter.pk)
    assert (sent.state, sent.routed_to, sent.sent_at is not None) == ("pending_signature", world.director, True)
    # The director learns of it from the bell; nobody else is told.
    told = Notification.objects.get(verb="letter_sent")
    assert (told.recipient, told.letter_id) == (world.director, letter.pk)
    assert letter.title in told.text
    assert queues.letters_to_sign(world.director).filter(pk=letter.pk).exists()
    assert not queues.letters_to_sign(second_director).filter(pk=letter.pk).exists()

    # While it waits nobody changes it, and only the director it was sent to acts on it.
    before = snapshot()
    with pytest.raises(InvalidTransition):
        services.letter_update_draft(actor=world.clerk, letter=letter, title="改")
    with pytest.raises(InvalidTransition):
        services.item_add(actor=world.clerk, letter=letter, description="新问题", deadline=dt.date(2030, 1, 1))
    with pytest.raises(NotAllowed, match="director") as refused:
        services.letter_sign(actor=second_director, letter=letter)
    assert "sent to" in str(refused.value)
    with pytest.raises(NotAllowed):
        document_routing.letter_return(actor=second_director, letter=letter, reason=REASON)
    # A return says why.
    with pytest.raises(InvalidInput):
        document_routing.letter_return(actor=world.director, letter=letter, reason="  ")
    assert snapshot() == before

    document_routing.letter_return(actor=world.director, letter=letter, reason=REASON)
    back = _letter(letter.pk)
    assert (back.state, back.routed_to, back.sent_at) == ("draft", None, None)
    told = Notification.objects.get(verb="letter_returned")
    assert told.recipient == world.clerk and REASON in told.text
    returned = AuditEvent.objects.get(action="letter.returned")
    assert (returned.actor, returned.comment, returned.from_state, returned.to_state) == (
        world.director,
        REASON,
        "pending_signature",
        "draft",
    )

    # The drafter changes it and sends it again, this time to the other director, who signs.
    services.letter_update_draft(actor=world.clerk, letter=letter, title="关于加快整改的督办函（修改稿）")
    document_routing.letter_send(actor=world.clerk, letter=letter, director=second_director)
    services.letter_sign(actor=second_director, letter=letter, comment="  同意印发。 ")
    signed = _letter(letter.pk)
    assert (signed.state, signed.signer, signed.sign_comment) == ("signed", second_director, "同意印发。")
    assert [e.action for e in AuditEvent.objects.filter(letter=letter).order_by("id")].count("letter.sent") == 2


def test_a_director_may_still_sign_a_draft_nobody_sent_them(world):
    letter = draft_letter(world)
    services.letter_sign(actor=world.director, letter=letter)
    assert _letter(letter.pk).state == "signed"


def test_whom_a_letter_can_be_sent_to(world, second_director):
    incomplete = services.letter_create(
        actor=world.clerk, office=world.office, kind="supervision", title="督办函", addressee_ids=[world.unit_a.pk]
    )
    letter = draft_letter(world)
    dual = make_user("dual_o", world.office, "clerk", "director")
    Letter.objects.filter(pk=letter.pk).update(drafter=dual)
    letter = _letter(letter.pk)
    assert set(directors_to_send_to(letter)) == {world.director, second_director}
    before = snapshot()
    # The drafter may not sign it, so it is not sent to them; nor to someone who is no director.
    with pytest.raises(InvalidInput, match="drafter"):
        document_routing.letter_send(actor=world.clerk, letter=letter, director=dual)
    for nobody in (world.inspector, world.leader_a, None, 10**9):
        with pytest.raises(InvalidInput, match="director"):
            document_routing.letter_send(actor=world.clerk, letter=letter, director=nobody)
    # Only a clerk sends, and only a letter that could go out as it is.
    with pytest.raises(NotAllowed):
        document_routing.letter_send(actor=world.director, letter=letter, director=second_director)
    with pytest.raises(InvalidInput, match="no items"):
        document_routing.letter_send(actor=world.clerk, letter=incomplete, director=world.director)
    assert snapshot() == before


def test_a_letter_awaiting_signature_is_a_draft_on_paper_and_to_the_checks(world):
    letter = draft_letter(world)
    document_routing.letter_send(actor=world.clerk, letter=letter, director=world.director)
    with translation.override("zh-hans"):
        assert letter_context(_letter(letter.pk))["stamp"] == DRAFT
    assert list(integrity.letter_states()) == []


# --- notices ------------------------------------------------------------------------------------------


@pytest.fixture
def notice(world, settings) -> Notice:
    """A draft notice of the first closed cycle on the test calendar."""
    use_calendar(settings)
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, deadline=dt.date(2024, 6, 28))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    with clock.frozen(at("2024-01-15")):
        return services.notice_draft(actor=world.clerk, office=world.office, cycle=Cycle.objects.get(number=1))


def test_send_return_and_sign_a_notice(world, notice, second_director):
    with clock.frozen(at("2024-01-15", "10:00")):
        document_routing.notice_send(actor=world.clerk, notice=notice, director=world.director)
        assert Notification.objects.get(verb="notice_sent").recipient == world.director
        with pytest.raises(InvalidTransition):
            services.notice_update_draft(actor=world.clerk, notice=notice, title="改")
        with pytest.raises(NotAllowed):
            services.notice_sign(actor=second_director, notice=notice)
        document_routing.notice_return(actor=world.director, notice=notice, reason=REASON)
        told = Notification.objects.get(verb="notice_returned")
        assert told.recipient == world.clerk and REASON in told.text
        assert Notice.objects.get(pk=notice.pk).state == "draft"
        document_routing.notice_send(actor=world.clerk, notice=notice, director=world.director)
        services.notice_sign(actor=world.director, notice=notice, comment="同意。")
    notice = Notice.objects.get(pk=notice.pk)
    assert (notice.state, notice.signer, notice.sign_comment) == ("signed", world.director, "同意。")
    actions = AuditEvent.objects.filter(action__startswith="notice.").values_list("action", flat=True)
    assert list(actions.order_by("id")) == [
        "notice.drafted",
        "notice.sent",
        "notice.returned",
        "notice.sent",
        "notice.signed",
    ]


def test_the_notice_page_shows_the_way_to_the_signature(client, world, notice):
    c = signed_in(client, world.clerk)
    url = reverse("cycles:notice", args=[notice.pk])
    response = c.post(reverse("cycles:notice_send", args=[notice.pk]), {"director": world.director.pk}, follow=True)
    assert "Sent for signature" in page_messages(response)
    c.force_login(world.director)
    page = c.get(url).content.decode()
    assert reverse("cycles:notice_return", args=[notice.pk]) in page
    response = c.post(reverse("cycles:notice_return", args=[notice.pk]), {"reason": REASON}, follow=True)
    assert "Returned to the drafter" in page_messages(response)
    c.force_login(world.clerk)
    page = c.get(url).content.decode()
    assert REASON in page and "Returned for revision by director" in page


# --- the letter page ------------------------------------------------------------------------------------


def test_the_letter_page_routes_and_shows_who_did_what(client, world, second_director):
    letter = draft_letter(world)
    url = reverse("letters:detail", args=[letter.pk])
    act = lambda action: reverse("letters:act", args=[letter.pk, action])  # noqa: E731
    c = signed_in(client, world.clerk)
    page = c.get(url).content.decode()
    assert act("send") in page and f'value="{second_director.pk}"' in page
    response = c.post(act("send"), {"director": second_director.pk}, follow=True)
    assert "Sent for signature" in page_messages(response)
    # The director it was not sent to is offered nothing; the one it was sent to signs or returns.
    c.force_login(world.director)
    page = c.get(url).content.decode()
    assert act("sign") not in page and act("return") not in page
    c.force_login(second_director)
    page = c.get(url).content.decode()
    assert act("sign") in page and act("return") in page
    response = c.post(act("return"), {"reason": ""}, follow=True)
    assert "required" in page_messages(response)
    c.post(act("return"), {"reason": REASON})
    c.force_login(world.clerk)
    page = c.get(url).content.decode()
    assert REASON in page and "Returned for revision by 王副主任" in page
    c.post(act("send"), {"director": second_director.pk})
    c.force_login(second_director)
    c.post(act("sign"), {"comment": "同意印发。"})
    page = c.get(url).content.decode()
    for shown in ("Drafter", "clerk", "Signer", "王副主任", "Signing comment", "同意印发。", "Routing"):
        assert shown in page, shown
    assert _letter(letter.pk).state == "signed"


def test_the_reply_deadline_shows_in_the_edit_form_and_can_be_cleared(client, world):
    letter = draft_letter(world)
    services.letter_update_draft(actor=world.clerk, letter=letter, deadline=dt.date(2026, 12, 31))
    c = signed_in(client, world.clerk, language="zh-hans")
    page = c.get(reverse("letters:detail", args=[letter.pk])).content.decode()
    assert 'type="date" name="deadline" value="2026-12-31"' in page
    c.post(
        reverse("letters:act", args=[letter.pk, "update"]),
        {
            "kind": letter.kind,
            "title": letter.title,
            "body": letter.body,
            "deadline": "",
            "addressees": [world.unit_a.pk],
        },
    )
    assert _letter(letter.pk).deadline is None
    # Leaving the deadline out of a service call keeps it.
    services.letter_update_draft(actor=world.clerk, letter=letter, deadline=dt.date(2027, 1, 15))
    services.letter_update_draft(actor=world.clerk, letter=letter, title="新标题")
    assert _letter(letter.pk).deadline == dt.date(2027, 1, 15)


def test_the_unit_picker_offers_search_and_group_shortcuts(client, world):
    page = signed_in(client, world.clerk).get(reverse("letters:new")).content.decode()
    assert page.count("data-unit-picker") == 2
    # The shortcuts are the peer groups that have units to choose: 全部县（市、区）, 全部部门.
    assert "All Counties" in page and "All Departments" in page and "All Work teams" not in page
    assert f'value="{world.unit_a.pk}" data-group="county"' in page
    assert "workflows/unit_picker.js" in page


# --- items changed in place -----------------------------------------------------------------------------


def test_an_item_of_a_draft_is_changed_in_place(world):
    letter = draft_letter(world, units=[world.unit_a, world.unit_b], items=[(None, []), (None, [])])
    item = letter.items.get(seq=2)
    item_update(
        actor=world.clerk,
        item=item,
        description="  安置点配套设施仍不完善 ",
        measures="增设配套设施",
        category="common",
        source="national",
        site="城东安置点",
        deadline=dt.date(2027, 3, 31),
        deadline_kind="phase_then_ongoing",
        lead_unit_id=world.unit_a.pk,
        cooperating_unit_ids=[world.unit_b.pk],
    )
    item = Item.objects.get(pk=item.pk)
    assert (item.seq, item.description, item.site, item.deadline, item.category) == (
        2,
        "安置点配套设施仍不完善",
        "城东安置点",
        dt.date(2027, 3, 31),
        "common",
    )
    assert set(ItemUnit.objects.filter(item=item).values_list("unit_id", "role")) == {
        (world.unit_a.pk, "lead"),
        (world.unit_b.pk, "cooperating"),
    }
    event = AuditEvent.objects.get(action="item.edited")
    assert event.actor == world.clerk and event.data["seq"] == 2
    assert set(event.data["changed"]) >= {"description", "deadline", "category", "units"}


def test_an_item_is_checked_as_when_it_was_added(world):
    letter = draft_letter(world)
    item = letter.items.get()
    fields = {"description": "问题", "deadline": dt.date(2030, 1, 1)}
    before = snapshot()
    for bad in (
        {"category": "nonsense"},
        {"description": " "},
        {"lead_unit_id": world.unit_a.pk, "cooperating_unit_ids": [world.unit_a.pk]},
        {"cooperating_unit_ids": [world.unit_b.pk]},
        {"lead_unit_id": world.office.pk},
    ):
        with pytest.raises(InvalidInput):
            item_update(actor=world.clerk, item=item, **{**fields, **bad})
    with pytest.raises(NotAllowed):
        item_update(actor=world.director, item=item, **fields)
    document_routing.letter_send(actor=world.clerk, letter=letter, director=world.director)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        item_update(actor=world.clerk, item=item, **fields)
    assert snapshot() == before


def test_the_item_page_changes_an_item(client, world):
    letter = draft_letter(world)
    item = letter.items.get()
    c = signed_in(client, world.clerk, language="zh-hans")
    url = reverse("letters:item_edit", args=[letter.pk, item.pk])
    page = c.get(url).content.decode()
    assert item.description in page and f'value="{item.deadline.isoformat()}"' in page
    response = c.post(
        url,
        {
            "description": "改过的问题描述",
            "measures": "",
            "category": "specific",
            "source": "self_inspection",
            "deadline": "2027-06-30",
            "deadline_kind": "by_date",
            "lead": world.unit_b.pk,
        },
    )
    assert response.status_code == 302
    item = Item.objects.get(pk=item.pk)
    assert (item.description, item.deadline) == ("改过的问题描述", dt.date(2027, 6, 30))
    assert list(item.item_units.values_list("unit_id", "role")) == [(world.unit_b.pk, "lead")]


def test_the_stand_in_of_the_director_it_was_sent_to_may_sign_it(world, second_director):
    # The director is away: their stand-in (a clerk of the office, who holds the director's role
    # only through the stand-in) signs what was sent to them, recorded as done for them; another
    # director, to whom it was not sent, still may not.
    letter = draft_letter(world)
    document_routing.letter_send(actor=world.clerk, letter=letter, director=world.director)
    deputy = make_user("clerk2", world.office, "clerk", full_name="赵督办")
    today = clock.today()
    stand_ins.standin_create(actor=world.director, deputy=deputy, unit=world.office, starts_on=today, ends_on=today)
    with pytest.raises(NotAllowed):
        services.letter_sign(actor=second_director, letter=letter)
    services.letter_sign(actor=type(deputy).objects.get(pk=deputy.pk), letter=letter)
    signed = _letter(letter.pk)
    assert (signed.state, signed.signer) == ("signed", deputy)
    event = AuditEvent.objects.filter(letter=letter, action="letter.signed").get()
    assert (event.actor_id, event.actor_role, event.on_behalf_of_id) == (deputy.pk, "director", world.director.pk)
