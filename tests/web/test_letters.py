"""The letter pages: a draft from creation to issue, signing by another person, withdrawal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.models import Assignment, Letter
from tests.conftest import issue_letter
from tests.helpers import page_messages, signed_in, snapshot


def _act(client, letter, action, **data):
    return client.post(reverse("letters:act", args=[letter.pk, action]), data, follow=True)


def test_a_letter_from_draft_to_issue_through_the_pages(client, world):
    c = signed_in(client, world.clerk)
    response = c.post(
        reverse("letters:new"),
        {
            "kind": "assignment",
            "title": "关于反馈问题整改的交办函",
            "body": "请于期限内完成整改。",
            "addressees": [world.unit_a.pk, world.unit_b.pk],
        },
        follow=True,
    )
    letter = Letter.objects.get()
    assert response.redirect_chain[-1][0] == reverse("letters:detail", args=[letter.pk])
    response = _act(
        c,
        letter,
        "add_item",
        description="安置点配套设施不完善",
        measures="完善配套设施",
        category="common",
        source="national",
        site="城东安置点",
        deadline="2026-12-31",
        deadline_kind="phase_then_ongoing",
        lead=world.unit_a.pk,
        cooperating=[world.unit_b.pk],
    )
    assert "Item added" in page_messages(response), page_messages(response)
    _act(c, letter, "attach", files=[SimpleUploadedFile("问题清单.pdf", b"%PDF-1.4 list")])
    assert letter.attachments.count() == 1
    # The drafter cannot sign; the page does not even offer it to a clerk.
    assert _act(c, letter, "sign").status_code == 200
    assert Letter.objects.get().state == "draft"
    client.force_login(world.director)
    assert "Signed" in page_messages(_act(client, letter, "sign"))
    client.force_login(world.clerk)
    assert "Issued" in page_messages(_act(client, letter, "issue"))
    letter = Letter.objects.get()
    assert letter.state == "issued" and letter.number
    roles = set(Assignment.objects.filter(letter=letter).values_list("unit_id", "role"))
    assert roles == {(world.unit_a.pk, "lead"), (world.unit_b.pk, "cooperating")}


def test_an_invalid_item_is_refused_with_its_reason(client, world):
    c = signed_in(client, world.clerk)
    c.post(reverse("letters:new"), {"kind": "supervision", "title": "督办函", "addressees": [world.unit_a.pk]})
    letter = Letter.objects.get()
    before = snapshot()
    response = _act(c, letter, "add_item", description="", deadline="not-a-date", deadline_kind="by_date")
    assert "Check the item" in page_messages(response)
    assert snapshot() == before


def test_units_see_issued_letters_addressed_to_them_only(client, world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    c = signed_in(client, world.liaison_a)
    assert [r.pk for r in c.get(reverse("letters:list")).context["rows"]] == [letter.pk]
    client.force_login(world.liaison_b)
    assert client.get(reverse("letters:list")).context["rows"] == []
    assert client.get(reverse("letters:detail", args=[letter.pk])).status_code == 404


def test_a_unit_cannot_act_on_a_letter(client, world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    c = signed_in(client, world.liaison_a)
    before = snapshot()
    response = _act(c, letter, "withdraw", reason="不想要")
    assert "You need the role" in page_messages(response)
    assert snapshot() == before
    assert c.get(reverse("letters:new")).status_code == 404


def test_withdrawing_from_the_page(client, world):
    letter = issue_letter(world, items=1)
    c = signed_in(client, world.director)
    assert "Withdrawn" in page_messages(_act(c, letter, "withdraw", reason="发文对象有误"))
    assert Letter.objects.get(pk=letter.pk).state == "withdrawn"


def test_attachment_downloads_check_permission(client, world):
    c = signed_in(client, world.clerk)
    c.post(reverse("letters:new"), {"kind": "supervision", "title": "督办函", "addressees": [world.unit_a.pk]})
    letter = Letter.objects.get()
    _act(c, letter, "attach", files=[SimpleUploadedFile("方案.pdf", b"%PDF-1.4 plan")])
    url = reverse("letters:attachment", args=[letter.attachments.get().pk])
    assert c.get(url).status_code == 200
    # A draft is the office's own: the unit does not see it yet.
    client.force_login(world.liaison_a)
    assert client.get(url).status_code == 404


def test_letter_list_query_count_does_not_grow(client, world):
    c = signed_in(client, world.clerk)
    issue_letter(world, items=1)
    c.get(reverse("letters:list"))
    with CaptureQueriesContext(connection) as small:
        c.get(reverse("letters:list"))
    for _ in range(5):
        issue_letter(world, items=3)
    with CaptureQueriesContext(connection) as large:
        response = c.get(reverse("letters:list"))
    assert len(response.context["rows"]) == 6
    assert len(large) == len(small)


@pytest.mark.parametrize(
    "url",
    [
        lambda: reverse("letters:detail", args=[999999]),
        lambda: reverse("letters:list") + "?state=nope&kind=xx&before=abc",
        lambda: reverse("letters:attachment", args=[999999]),
    ],
)
def test_bad_input_on_letter_pages_never_gives_a_server_error(client, world, url):
    issue_letter(world, items=1)
    assert signed_in(client, world.clerk).get(url()).status_code in (200, 404)


def test_unknown_letter_action_is_not_found(client, world):
    letter = issue_letter(world, items=1)
    assert signed_in(client, world.clerk).post(reverse("letters:act", args=[letter.pk, "explode"])).status_code == 404
