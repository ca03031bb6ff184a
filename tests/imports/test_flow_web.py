"""The problem-list import as the clerk goes through it on the pages: upload, preview (nothing
written), confirm (every row written, or none)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.models import Assignment, Item, Role
from tests.factories import make_user
from tests.helpers import browser_for, draft_letter, page_messages, sign_and_issue, snapshot
from tests.imports.flow import confirm, post_upload, preview, problems, row, token_of, workbook
from workflows.documents import imports


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


@pytest.fixture
def clerk(world):
    return browser_for(world.clerk)


def _descriptions(letter) -> list[str]:
    return list(Item.objects.filter(letter=letter).order_by("seq").values_list("description", flat=True))


def test_the_preview_shows_every_item_and_writes_nothing(world, draft, clerk):
    before = snapshot()
    rows = [row(description="问题甲", deadline="8月15日前"), row(seq=2, description="问题乙", lead="乙县")]
    page, _token = preview(clerk, draft, rows)
    html = page.content.decode()
    assert page.status_code == 200
    assert "问题甲" in html and "问题乙" in html and "Nothing has been imported yet" in html
    # The deadline as written, then as understood (the year taken from the form).
    assert "8月15日前 →" in html and "2031" in html
    # The summary, and the button that imports every row.
    assert 'data-summary="measures">2<' in html and 'data-summary="errors">0<' in html
    assert "Import all 2 items" in html
    assert snapshot() == before and _descriptions(draft) == []


def test_confirming_imports_every_row_and_returns_to_the_letter(world, draft, clerk):
    _page, token = preview(clerk, draft, problems(3))
    response = confirm(clerk, draft, token, next=reverse("letters:list"))
    assert response.status_code == 302 and response["Location"] == reverse("letters:list")
    assert _descriptions(draft) == ["安置点问题1", "安置点问题2", "安置点问题3"]
    assert "Imported 3 problems into the letter." in page_messages(clerk.get(response["Location"]))
    # The held file has served; the same token cannot import twice.
    again = confirm(clerk, draft, token)
    assert again.status_code == 302 and again["Location"] == reverse("notices:letter_import", args=[draft.pk])
    assert len(_descriptions(draft)) == 3


def test_errors_are_listed_with_row_and_column_and_block_the_import(world, draft, clerk):
    before = snapshot()
    rows = [row(description="问题甲"), row(seq=2, description="问题乙", lead="丙县"), row(seq=3, deadline="")]
    page, token = preview(clerk, draft, rows)
    html = page.content.decode()
    assert "The file has 2 errors; nothing can be imported until they are fixed." in html
    assert "Row 3, 牵头单位" in html and "Row 4, 整改时限" in html
    assert "Import all" not in html and "sv-import-go" not in html
    # Posting the confirmation anyway imports nothing, and says why.
    response = confirm(clerk, draft, token)
    assert response.status_code == 400 and "nothing was imported" in response.content.decode()
    assert snapshot() == before


def test_the_clerk_chooses_the_lead_of_a_row_naming_several_units(world, draft, clerk):
    rows = [row(description="问题甲", lead="甲县人民政府", cooperating="市农业农村局"), row(seq=2)]
    page, token = preview(clerk, draft, rows)
    html = page.content.decode()
    # A choice only where there is one to make.
    assert 'name="lead_2"' in html and 'name="lead_3"' not in html
    assert "市农业农村局 leads, the others cooperate" in html
    assert confirm(clerk, draft, token, lead_2=world.unit_c.pk).status_code == 302
    first = Item.objects.get(letter=draft, description="问题甲")
    assert sorted((link.role, link.unit_id) for link in first.item_units.all()) == [
        ("cooperating", world.unit_a.pk),
        ("lead", world.unit_c.pk),
    ]


def test_a_lead_outside_the_row_s_units_is_refused(world, draft, clerk):
    _page, token = preview(clerk, draft, [row(lead="甲县人民政府", cooperating="市农业农村局")])
    response = confirm(clerk, draft, token, lead_2=world.unit_b.pk)
    assert response.status_code == 400 and "Choose the lead units among the units the row names" in (
        response.content.decode()
    )
    assert _descriptions(draft) == []


def test_a_workbook_with_several_sheets_offers_them(world, draft, clerk):
    content = workbook(("问题清单", [row(description="第一批问题")]), ("第二批", [row(description="第二批问题")]))
    page, token = preview(clerk, draft, content=content)
    html = page.content.decode()
    assert 'name="sheet"' in html and '<option value="第二批">' in html and "第一批问题" in html
    response = clerk.post(reverse("notices:letter_import_sheet", args=[draft.pk]), {"t": token, "sheet": "第二批"})
    assert response.status_code == 302
    second = clerk.get(response["Location"]).content.decode()
    assert "第二批问题" in second and "第一批问题" not in second
    assert '<option value="第二批" selected>' in second
    assert confirm(clerk, draft, token_of(second)).status_code == 302
    assert _descriptions(draft) == ["第二批问题"]


def test_a_single_sheet_workbook_has_no_sheet_picker(world, draft, clerk):
    page, _token = preview(clerk, draft, problems(1))
    assert 'name="sheet"' not in page.content.decode()


# --- who may -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["liaison_a", "leader_b", "outsider"])
def test_a_letter_one_may_not_see_is_not_found(world, draft, who):
    other = browser_for(getattr(world, who))
    assert other.get(reverse("notices:letter_import", args=[draft.pk])).status_code == 404
    assert post_upload(other, draft, problems(1)).status_code == 404
    clerk = browser_for(world.clerk)
    _page, token = preview(clerk, draft, problems(1))
    assert other.get(reverse("notices:letter_import_preview", args=[draft.pk]), {"t": token}).status_code == 404
    assert confirm(other, draft, token).status_code == 404
    assert _descriptions(draft) == []


@pytest.mark.parametrize("who", ["observer", "director", "inspector"])
def test_the_office_s_other_roles_are_refused(world, draft, who):
    other = browser_for(getattr(world, who))
    response = post_upload(other, draft, problems(1))
    assert response.status_code == 403
    assert not default_storage.exists("jobs/held")  # nothing kept for someone refused
    _page, token = preview(browser_for(world.clerk), draft, problems(1))
    assert other.get(reverse("notices:letter_import_preview", args=[draft.pk]), {"t": token}).status_code == 403
    assert confirm(other, draft, token).status_code == 403
    assert _descriptions(draft) == []


def test_a_token_is_its_uploader_s_for_its_letter(world, draft, clerk):
    _page, token = preview(clerk, draft, problems(1))
    colleague = browser_for(make_user("clerk2", world.office, Role.CLERK))
    response = confirm(colleague, draft, token)
    assert response.status_code == 302 and response["Location"] == reverse("notices:letter_import", args=[draft.pk])
    other_draft = draft_letter(world, items=[])
    assert confirm(clerk, other_draft, token)["Location"] == reverse("notices:letter_import", args=[other_draft.pk])
    assert confirm(clerk, draft, token[:-3] + "abc")["Location"] == reverse("notices:letter_import", args=[draft.pk])
    assert _descriptions(draft) == [] and _descriptions(other_draft) == []


# --- large previews ---------------------------------------------------------------------------------------


def test_the_preview_page_s_queries_do_not_grow_with_the_rows(world, draft, clerk):
    def queries(n: int) -> int:
        page, token = preview(clerk, draft, problems(n, cooperating="市农业农村局"))
        url = reverse("notices:letter_import_preview", args=[draft.pk])
        with CaptureQueriesContext(connection) as seen:
            assert clerk.get(url, {"t": token}).status_code == 200
        return len(seen)

    assert queries(3) == queries(60) <= 25


def test_a_long_preview_is_shown_a_page_at_a_time_keeping_the_leads_chosen(world, draft, clerk, monkeypatch):
    monkeypatch.setattr(imports, "PAGE_ROWS", 5)
    page, token = preview(clerk, draft, problems(12, cooperating="市农业农村局"))
    html = page.content.decode()
    assert html.count('class="sv-import-row') == 5 and "Rows 1–5 of 12 shown." in html
    assert "安置点问题5" in html and "安置点问题6" not in html
    url = reverse("notices:letter_import_preview", args=[draft.pk])
    # Page 3, with a lead chosen on page 1 (row 2): the choice rides along.
    third = clerk.post(url, {"t": token, "page": 3, "lead_2": world.unit_c.pk}).content.decode()
    assert "Rows 11–12 of 12 shown." in third and "安置点问题12" in third
    assert f'<input type="hidden" name="lead_2" value="{world.unit_c.pk}">' in third
    assert confirm(clerk, draft, token, lead_2=world.unit_c.pk).status_code == 302
    first = Item.objects.get(letter=draft, description="安置点问题1")
    assert {(link.role, link.unit_id) for link in first.item_units.all()} == {
        ("lead", world.unit_c.pk),
        ("cooperating", world.unit_a.pk),
    }
    assert Item.objects.filter(letter=draft).count() == 12


# --- collective names -----------------------------------------------------------------------------------


def test_a_collective_name_makes_every_county_a_lead_with_its_own_assignment(world, draft, clerk):
    rows = [row(description="各县安置点问题", lead="各县（市、区）", cooperating="市农业农村局")]
    page, token = preview(clerk, draft, rows)
    html = page.content.decode()
    # As understood: each county leads, the collective name shown with what it stood for.
    assert "各县（市、区） → 甲县人民政府、乙县人民政府" in html
    assert "甲县人民政府、乙县人民政府" in html.split('data-label="Lead units"')[1].split("</td>")[0]
    assert confirm(clerk, draft, token).status_code == 302
    item = Item.objects.get(letter=draft)
    assert sorted((link.role, link.unit_id) for link in item.item_units.all()) == sorted(
        [("lead", world.unit_a.pk), ("lead", world.unit_b.pk), ("cooperating", world.unit_c.pk)]
    )
    sign_and_issue(world, draft)
    assert sorted(Assignment.objects.filter(item=item).values_list("unit_id", "role")) == sorted(
        [(world.unit_a.pk, "lead"), (world.unit_b.pk, "lead"), (world.unit_c.pk, "cooperating")]
    )


def test_one_county_may_be_chosen_to_lead_a_collective_row(world, draft, clerk):
    _page, token = preview(clerk, draft, [row(lead="各县（市、区）", cooperating="市农业农村局")])
    assert confirm(clerk, draft, token, lead_2=world.unit_b.pk).status_code == 302
    item = Item.objects.get(letter=draft)
    assert sorted((link.role, link.unit_id) for link in item.item_units.all()) == sorted(
        [("lead", world.unit_b.pk), ("cooperating", world.unit_a.pk), ("cooperating", world.unit_c.pk)]
    )


def test_a_guess_is_highlighted_on_its_row_and_listed_apart(world, draft, clerk):
    rows = [row(description="问题甲"), row(seq=2, category="", description="问题乙"), row(seq=3, description="问题丙")]
    page, token = preview(clerk, draft, rows)
    html = page.content.decode()
    assert 'data-summary="warnings">1<' in html
    guessed = html.split('data-row="3"')[0].rsplit("<tr", 1)[1]
    assert "sv-msg--warning" in guessed  # the row the importer guessed on, highlighted
    assert "问题类别" in html.split('data-row="3"')[1].split("</tr>")[0]  # with what it guessed
    assert "sv-msg--warning" not in html.split('data-row="2"')[0].rsplit("<tr", 1)[1]
    flagged = clerk.post(reverse("notices:letter_import_preview", args=[draft.pk]), {"t": token, "show": "flagged"})
    text = flagged.content.decode()
    assert "问题乙" in text and "问题甲" not in text and "问题丙" not in text
    # A guess does not block: the import goes ahead as understood.
    assert confirm(clerk, draft, token).status_code == 302 and len(_descriptions(draft)) == 3
