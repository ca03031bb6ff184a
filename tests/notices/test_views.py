"""The download and import pages: a login, the selectors' view of who sees what, never a 500."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from notices.problem_list import COLUMNS
from supervision.models import Letter
from tests.helpers import draft_letter, sign_and_issue, signed_in, snapshot
from tests.notices.ledger_sheet import sheet_lines


def _sheet(*descriptions: str, lead: str = "甲县人民政府") -> io.BytesIO:
    wb = Workbook()
    wb.active.append([c.heading for c in COLUMNS])
    for n, description in enumerate(descriptions, start=1):
        wb.active.append([n, "个性问题", "自查发现", "", description, "措施", lead, "", "8月15日前"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "问题清单.xlsx"
    return out


@pytest.fixture
def issued(world) -> Letter:
    return sign_and_issue(world, draft_letter(world, units=[world.unit_a, world.unit_b]))


# --- the letter PDF ------------------------------------------------------------------------------


def test_a_login_is_needed(client, issued):
    for url in (
        reverse("notices:letter_pdf", args=[issued.pk]),
        reverse("notices:ledger_xlsx"),
        reverse("notices:ledger_pdf"),
        reverse("notices:import_template"),
        reverse("notices:letter_import", args=[issued.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


def test_an_addressed_unit_gets_its_letter_as_pdf(client, world, issued):
    response = signed_in(client, world.liaison_a).get(reverse("notices:letter_pdf", args=[issued.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; filename*=utf-8''")
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["outsider", "liaison_c"])
def test_a_letter_the_user_may_not_see_is_not_found(client, world, issued, who):
    response = signed_in(client, getattr(world, who)).get(reverse("notices:letter_pdf", args=[issued.pk]))
    assert response.status_code == 404


def test_a_draft_is_the_office_s_alone(client, world):
    draft = draft_letter(world)
    url = reverse("notices:letter_pdf", args=[draft.pk])
    assert signed_in(client, world.liaison_a).get(url).status_code == 404
    assert signed_in(client, world.observer).get(url).status_code == 200


def test_an_unknown_letter_is_not_found(client, world):
    assert signed_in(client, world.clerk).get(reverse("notices:letter_pdf", args=[999999])).status_code == 404


# --- the ledger -----------------------------------------------------------------------------------------


def _rows(response) -> list[list]:
    content = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(content)).active
    return sheet_lines(ws)


def test_a_unit_downloads_only_its_own_ledger(client, world, issued):
    response = signed_in(client, world.liaison_a).get(reverse("notices:ledger_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    rows = _rows(response)
    assert [r[5] for r in rows] == ["甲县人民政府"]
    office = _rows(signed_in(client, world.clerk).get(reverse("notices:ledger_xlsx")))
    assert sorted(r[5] for r in office) == ["乙县人民政府", "甲县人民政府"]


def test_ledger_filters_come_from_the_query_string(client, world, issued):
    client = signed_in(client, world.clerk)
    rows = _rows(client.get(reverse("notices:ledger_xlsx"), {"unit": world.unit_b.pk, "state": "issued"}))
    assert [r[5] for r in rows] == ["乙县人民政府"]
    rows = _rows(client.get(reverse("notices:ledger_xlsx"), {"letter": Letter.objects.get(pk=issued.pk).number}))
    assert len(rows) == 2
    assert not _rows(client.get(reverse("notices:ledger_xlsx"), {"peer_group": "department"}))


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"state": "lost"}, "Unknown state “lost”."),
        ({"unit": "不存在"}, "No unit is called “不存在”."),
        ({"peer_group": "x"}, "Unknown peer group “x”."),
        ({"letter": "123456"}, "No letter “123456” that you may see."),
    ],
)
def test_a_bad_filter_is_a_clear_refusal(client, world, issued, query, says):
    response = signed_in(client, world.clerk).get(reverse("notices:ledger_xlsx"), query)
    assert response.status_code == 400
    assert says in response.content.decode()


def test_a_unit_cannot_name_a_letter_it_does_not_see(client, world):
    other = sign_and_issue(world, draft_letter(world, units=[world.unit_b]))
    response = signed_in(client, world.liaison_a).get(reverse("notices:ledger_pdf"), {"letter": other.pk})
    assert response.status_code == 400


def test_ledger_pdf(client, world, issued):
    response = signed_in(client, world.liaison_b).get(reverse("notices:ledger_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")


def test_ledger_pdf_too_long_is_refused_with_a_hint(client, world, issued, monkeypatch):
    monkeypatch.setattr("notices.ledger.PDF_MAX_ROWS", 1)
    response = signed_in(client, world.clerk).get(reverse("notices:ledger_pdf"))
    assert response.status_code == 400
    assert "download it as Excel" in response.content.decode()


# --- the import template and the import ------------------------------------------------------------------


def test_the_template_and_a_letter_s_list(client, world, issued):
    client = signed_in(client, world.liaison_a)
    response = client.get(reverse("notices:import_template"))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ws["E1"].value == "问题描述" and ws.max_row == 1
    response = client.get(reverse("notices:import_template"), {"letter": issued.pk})
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ws["E2"].value == "问题描述1：安置点配套设施不完善"
    other = sign_and_issue(world, draft_letter(world, units=[world.unit_b]))
    assert client.get(reverse("notices:import_template"), {"letter": other.pk}).status_code == 404
    assert client.get(reverse("notices:import_template"), {"letter": "x"}).status_code == 404


def _preview(client, url, data):
    """Upload a sheet: the answer is its preview page (nothing imported yet), and its token."""
    response = client.post(url, data)
    assert response.status_code == 302
    return client.get(response["Location"]), parse_qs(urlsplit(response["Location"]).query)["t"][0]


def test_import_errors_are_listed_and_nothing_is_kept(client, world):
    draft = draft_letter(world, items=[])
    before = snapshot()
    response, token = _preview(
        signed_in(client, world.clerk),
        reverse("notices:letter_import", args=[draft.pk]),
        {"file": _sheet("问题一", "问题一", lead="丙县")},
    )
    page = response.content.decode()
    assert "The file has 3 errors; nothing can be imported until they are fixed." in page
    assert "Row 2, 牵头单位: No unit is called “丙县”." in page.replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert "Row 3, 问题描述: The same problem as row 2." in page
    # Confirming anyway imports nothing.
    assert client.post(reverse("notices:letter_import_confirm", args=[draft.pk]), {"t": token}).status_code == 400
    assert snapshot() == before


def test_a_good_import_goes_back_to_a_safe_next_page(client, world):
    draft = draft_letter(world, items=[])
    url = reverse("notices:letter_import", args=[draft.pk])
    confirm = reverse("notices:letter_import_confirm", args=[draft.pk])
    client = signed_in(client, world.clerk)
    page, token = _preview(client, url, {"file": _sheet("问题一", "问题二"), "next": "/letters/7/edit/"})
    assert 'name="next" value="/letters/7/edit/"' in page.content.decode()
    response = client.post(confirm, {"t": token, "next": "/letters/7/edit/"})
    assert response.status_code == 302 and response["Location"] == "/letters/7/edit/"
    assert draft.items.count() == 2
    # Anywhere else: the letter's page.
    _page, token = _preview(client, url, {"file": _sheet("问题三"), "next": "https://evil.example/"})
    response = client.post(confirm, {"t": token, "next": "https://evil.example/"})
    assert response["Location"] == reverse("letters:detail", args=[draft.pk])
    assert draft.items.count() == 3


def test_the_import_page_and_its_form_errors(client, world):
    draft = draft_letter(world, items=[])
    client = signed_in(client, world.clerk)
    url = reverse("notices:letter_import", args=[draft.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"file": _sheet("问题一"), "year": "1800"})
    assert response.status_code == 400
    assert draft.items.count() == 0


def test_import_refusals_are_pages_not_errors(client, world):
    draft = draft_letter(world, items=[])
    url = reverse("notices:letter_import", args=[draft.pk])
    # The observer sees the draft but may not change it.
    response = signed_in(client, world.observer).post(url, {"file": _sheet("问题一")})
    assert response.status_code == 403
    assert "You need the role Clerk in this unit to do this." in response.content.decode()
    # A unit does not even see it.
    assert signed_in(client, world.liaison_a).post(url, {"file": _sheet("问题一")}).status_code == 404
    # An issued letter is no longer a draft.
    issued = sign_and_issue(world, draft_letter(world))
    response = signed_in(client, world.clerk).post(
        reverse("notices:letter_import", args=[issued.pk]), {"file": _sheet("问题一")}
    )
    assert response.status_code == 400
    assert "Only a draft letter can be changed" in response.content.decode()
    assert draft.items.count() == 0


def test_downloads_are_not_cached(client, world, issued):
    response = signed_in(client, world.liaison_a).get(reverse("notices:letter_pdf", args=[issued.pk]))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "no-store" in client.get(reverse("notices:ledger_xlsx"))["Cache-Control"]
