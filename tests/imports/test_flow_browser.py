"""The import in the browser, in English: upload, the preview (a lead chosen on a row naming
several units), confirm; no script is refused by the CSP, and the page fits a phone."""

from __future__ import annotations

import pytest

from supervision.models import Item
from tests.browser import conftest as browser_fixtures
from tests.helpers import draft_letter
from tests.imports.flow import row, workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The browser tests' fixtures (tests/browser/conftest.py), used here too.
browser = browser_fixtures.browser
open_page = browser_fixtures.open_page
people = browser_fixtures.people


def test_upload_preview_choose_a_lead_and_confirm(people, open_page, tmp_path):
    world = people
    draft = draft_letter(world, items=[])
    path = tmp_path / "问题清单.xlsx"
    rows = [
        row(description="问题甲", lead="各县（市、区）", cooperating="市农业农村局"),
        row(seq=2, description="问题乙"),
    ]
    path.write_bytes(workbook(("问题清单", rows), ("说明", [])))
    page = open_page(world.clerk, f"/documents/letters/{draft.pk}/import/", language="en")
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_text("Nothing has been imported yet").wait_for()
    assert page.locator("select[name=sheet] option").count() == 2
    assert page.get_by_text("各县（市、区） → 甲县人民政府、乙县人民政府").is_visible()
    assert not Item.objects.filter(letter=draft).exists()
    page.locator("select[name=lead_2]").select_option(str(world.unit_b.pk))
    page.get_by_role("button", name="Import all 2 items").click()
    page.get_by_text("Imported 2 problems into the letter.").wait_for()
    first = Item.objects.get(letter=draft, description="问题甲")
    assert {(link.role, link.unit_id) for link in first.item_units.all()} == {
        ("lead", world.unit_b.pk),
        ("cooperating", world.unit_a.pk),
        ("cooperating", world.unit_c.pk),
    }
    assert refused == []


def test_the_preview_fits_a_phone(people, open_page, tmp_path):
    world = people
    draft = draft_letter(world, items=[])
    path = tmp_path / "问题清单.xlsx"
    path.write_bytes(workbook(("问题清单", [row(lead="甲县人民政府", cooperating="市农业农村局")])))
    page = open_page(world.clerk, f"/documents/letters/{draft.pk}/import/", width=390, language="en")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_text("Nothing has been imported yet").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
