"""Where the documents are offered in the app: the letter page, the assignment lists, the ledger
page in each menu; and that what a link downloads is what the person may see."""

from __future__ import annotations

import io
import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from supervision import services
from supervision.models import Assignment, Letter
from tests.conftest import FUTURE
from tests.helpers import draft_letter, sign_and_issue, signed_in
from tests.notices.ledger_sheet import sheet_lines

from . import pdfs


def _page(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def _links(page: str) -> dict[str, str]:
    """Link text → href, for the links and buttons of a page."""
    return {
        # Icons are ligature text inside <i>: not part of the label.
        re.sub(r"<[^>]+>", "", re.sub(r"<i[^>]*>.*?</i>", "", text, flags=re.S)).strip(): href
        for href, text in re.findall(r'<a[^>]*href="([^"]*)"[^>]*>(.*?)</a>', page, flags=re.S)
    }


def _buttons(page: str) -> dict[str, str]:
    """Button text → the address its form posts to, for the POST forms (with their CSRF token)
    that hold one button: the downloads that may be background jobs."""
    found = {}
    for action, body in re.findall(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', page, flags=re.S):
        buttons = re.findall(r"<button[^>]*>(.*?)</button>", body, flags=re.S)
        if len(buttons) == 1:
            assert 'name="csrfmiddlewaretoken"' in body, action
            found[re.sub(r"<[^>]+>", "", buttons[0]).strip()] = action
    return found


def _rows(response) -> list[list]:
    assert response.status_code == 200, response.content[:300]
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return sheet_lines(ws)


@pytest.fixture
def issued(world) -> Letter:
    return sign_and_issue(world, draft_letter(world, units=[world.unit_a, world.unit_b]))


# --- the letter page ----------------------------------------------------------------------------------


def test_an_issued_letter_offers_its_pdf_to_whoever_sees_it(client, world, issued):
    pdf = reverse("notices:letter_pdf", args=[issued.pk])
    for user in (world.liaison_a, world.leader_b, world.clerk, world.observer):
        links = _links(_page(signed_in(client, user).get(reverse("letters:detail", args=[issued.pk]))))
        assert links["Download PDF"] == pdf, user
        assert "Import items from Excel" not in links
    # The office also gets the items as Excel, in the import layout.
    links = _links(_page(signed_in(client, world.clerk).get(reverse("letters:detail", args=[issued.pk]))))
    assert links["Items as Excel"] == reverse("notices:import_template") + f"?letter={issued.pk}"


def test_a_draft_offers_a_marked_preview_and_the_import_to_its_clerk(client, world):
    draft = draft_letter(world, items=[])
    page = reverse("letters:detail", args=[draft.pk])
    links = _links(_page(signed_in(client, world.clerk).get(page)))
    assert links["Preview PDF (marked as a draft)"] == reverse("notices:letter_pdf", args=[draft.pk])
    assert links["Import items from Excel"] == reverse("notices:letter_import", args=[draft.pk]) + f"?next={page}"
    assert links["Download the template"] == reverse("notices:import_template")
    assert "Download PDF" not in links
    # The observer sees the draft and its preview, but may not change it.
    links = _links(_page(signed_in(client, world.observer).get(page)))
    assert "Preview PDF (marked as a draft)" in links and "Import items from Excel" not in links
    # Signed, it is no longer editable; its PDF says it has not been issued.
    services.item_add(actor=world.clerk, letter=draft, description="问题一", measures="措施", deadline=FUTURE)
    services.letter_sign(actor=world.director, letter=draft)
    links = _links(_page(signed_in(client, world.clerk).get(page)))
    assert "Download PDF (marked not yet issued)" in links and "Import items from Excel" not in links


def test_the_import_link_comes_back_to_the_letter(client, world):
    draft = draft_letter(world, items=[])
    page = reverse("letters:detail", args=[draft.pk])
    links = _links(_page(signed_in(client, world.clerk).get(page)))
    form = _page(client.get(links["Import items from Excel"]))
    assert f'name="next" value="{page}"' in form


# --- the assignment list -------------------------------------------------------------------------------


def test_the_list_exports_what_it_shows(client, world, issued):
    client = signed_in(client, world.clerk)
    # Untouched, the list shows open work only: so does its export.
    buttons = _buttons(_page(client.get(reverse("tasks:list"))))
    assert buttons["Export ledger (Excel)"] == reverse("notices:ledger_xlsx") + "?open=on"
    assert buttons["Export ledger (PDF)"] == reverse("notices:ledger_pdf") + "?open=on"
    # Filtered, the filters travel with the button's address (and the queue, when there is one).
    query = {"queue": "all", "filtered": "1", "state": "issued", "peer_group": "county", "q": "问题描述1"}
    buttons = _buttons(_page(client.get(reverse("tasks:list"), query)))
    href = buttons["Export ledger (Excel)"]
    expected = urlencode({"q": "问题描述1", "state": "issued", "peer_group": "county"})
    assert href == reverse("notices:ledger_xlsx") + "?" + expected
    rows = _rows(client.post(href))
    # Item 1 for both counties: one problem (merged down its lines), two units.
    assert sorted(r[5] for r in rows) == ["乙县人民政府", "甲县人民政府"]
    assert rows[0][1].startswith("问题描述1") and rows[1][1] is None
    # A queue travels too: the inspector's "to verify" holds nothing yet, nor does its export.
    client = signed_in(client, world.inspector)
    buttons = _buttons(_page(client.get(reverse("tasks:list"), {"queue": "to_verify"})))
    assert buttons["Export ledger (Excel)"] == reverse("notices:ledger_xlsx") + "?queue=to_verify"
    assert _rows(client.post(buttons["Export ledger (Excel)"])) == []
    assert len(_rows(client.get(reverse("notices:ledger_xlsx")))) == Assignment.objects.count()


def test_a_unit_s_export_holds_its_own_rows_only(client, world, issued):
    client = signed_in(client, world.liaison_a)
    buttons = _buttons(_page(client.get(reverse("tasks:list"))))
    own = Assignment.objects.filter(unit=world.unit_a).count()
    assert [r[5] for r in _rows(client.post(buttons["Export ledger (Excel)"]))] == ["甲县人民政府"] * own
    # Asking for another unit's rows is refused, in words, for either format.
    for name in ("notices:ledger_xlsx", "notices:ledger_pdf"):
        response = client.get(reverse(name), {"unit": world.unit_b.pk})
        assert response.status_code == 400
        assert "“乙县人民政府” is not one of your units." in unescape(response.content.decode())
    # Its own unit by name is fine, and the PDF names it.
    response = client.get(reverse("notices:ledger_pdf"), {"unit": "甲县"})
    assert response.status_code == 200 and "单位：甲县人民政府" in pdfs.text(response.content)


def test_a_filter_the_list_knows_but_the_ledger_refuses_is_a_page(client, world, issued):
    response = signed_in(client, world.clerk).get(reverse("notices:ledger_xlsx"), {"light": "purple"})
    assert response.status_code == 400 and "Unknown light" in response.content.decode()
    response = client.get(reverse("notices:ledger_xlsx"), {"category": "x", "overdue": "on"})
    assert response.status_code == 400 and "Unknown category" in response.content.decode()


# --- the ledger page and the menus ------------------------------------------------------------------------


def test_each_app_menu_has_the_ledger(client, world):
    ledger_page = reverse("notices:ledger_page")
    for user, home in ((world.clerk, "office:index"), (world.liaison_a, "unit:index")):
        links = _links(_page(signed_in(client, user).get(reverse(home))))
        assert links["Ledger (台账)"] == ledger_page, user


def test_the_ledger_page_offers_what_the_person_may_export(client, world, issued):
    office = _page(signed_in(client, world.clerk).get(reverse("notices:ledger_page")))
    assert "甲县人民政府" in office and "乙县人民政府" in office and "市农业农村局" in office
    assert Letter.objects.get(pk=issued.pk).number in office
    assert f'formaction="{reverse("notices:ledger_xlsx")}"' in office
    assert f'formaction="{reverse("notices:ledger_pdf")}"' in office
    assert 'data-turbo="false"' in office and "sv-page" in office  # a file download, inside the shell
    unit = _page(signed_in(client, world.liaison_a).get(reverse("notices:ledger_page")))
    assert "甲县人民政府" in unit and "乙县人民政府" not in unit
    # What the page's form posts is what the downloads take (and a link's query string still works).
    assert 'method="post"' in unit and 'name="csrfmiddlewaretoken"' in unit
    for send in (client.post, client.get):
        rows = _rows(send(reverse("notices:ledger_xlsx"), {"unit": world.unit_a.pk, "letter": "", "state": ""}))
        assert len(rows) == Assignment.objects.filter(unit=world.unit_a).count()


def test_an_outsider_has_no_ledger(client, world, issued):
    client = signed_in(client, world.outsider)
    for name in ("notices:ledger_page", "notices:ledger_xlsx", "notices:ledger_pdf"):
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert "You hold no role in any unit" in response.content.decode()
