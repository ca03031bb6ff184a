"""A sheet with a bad row: the preview lists every row it understood beside the error (marked on
its own row), on the page, in the dry run and in the worker's preview; the import still takes
every row or none, so nothing can be confirmed while an error stands."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from notices import jobs
from notices.job_kinds import uploads
from notices.services import letter_import_items, letter_import_preview
from supervision.models import Item, Job, JobState
from tests.helpers import browser_for, draft_letter, snapshot
from tests.imports.flow import YEAR, confirm, post_upload, preview, problems, row, token_in, workbook, xlsx
from tests.jobs.helpers import run_jobs
from workflows.documents import imports

GOOD_ROWS = [2, 3, 5, 6]  # sheet rows: the heading is row 1
BAD_ROW = 4


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


def _one_bad_of_five() -> list[list]:
    """Five problems; the third (sheet row 4) names a unit that does not exist."""
    rows = problems(5)
    rows[2] = row(seq=3, description="安置点问题3", lead="丙县")
    return rows


def _tr(html: str, number: int) -> str:
    """The preview table's row for a sheet row ("" when it is not shown)."""
    found = re.search(rf'<tr class="sv-import-row[^"]*" data-row="{number}">.*?</tr>', html, re.S)
    return found.group(0) if found else ""


def _shown_rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="sv-import-row[^"]*" data-row="(\d+)"', html)]


def _descriptions(letter) -> list[str]:
    return list(Item.objects.filter(letter=letter).values_list("description", flat=True))


def test_the_preview_keeps_the_rows_understood_and_the_import_takes_none(world, draft):
    before = snapshot()
    preview_ = letter_import_preview(
        actor=world.clerk, letter=draft, workbook_file=xlsx(_one_bad_of_five()), campaign_year=YEAR
    )
    assert [item.row for item in preview_.items] == GOOD_ROWS
    assert [(e.row, e.column) for e in preview_.errors] == [(BAD_ROW, "牵头单位")]
    assert not preview_.ok and (preview_.problems, preview_.measures) == (4, 4)

    result = letter_import_items(
        actor=world.clerk, letter=draft, workbook_file=xlsx(_one_bad_of_five()), campaign_year=YEAR
    )
    assert not result.ok and result.items == [] and [e.row for e in result.errors] == [BAD_ROW]
    assert snapshot() == before and _descriptions(draft) == []


def test_the_page_lists_four_rows_and_marks_the_error_on_its_row(world, draft):
    clerk = browser_for(world.clerk)
    before = snapshot()
    page, _token = preview(clerk, draft, _one_bad_of_five())
    html = page.content.decode()
    assert page.status_code == 200
    assert _shown_rows(html) == [2, 3, BAD_ROW, 5, 6]
    for number, k in zip(GOOD_ROWS, (1, 2, 4, 5), strict=True):
        assert f"安置点问题{k}" in _tr(html, number) and "sv-msg--error" not in _tr(html, number)
    bad = _tr(html, BAD_ROW)
    assert "sv-import-row--error" in bad and "牵头单位" in bad and "丙县" in bad
    assert "Row 4, 牵头单位" in html  # the error list above the table too
    # The summary counts what was understood, and the error.
    for key, value in (("problems", 4), ("measures", 4), ("warnings", 0), ("errors", 1)):
        assert re.search(rf'data-summary="{key}"[^>]*>{value}<', html), key
    assert "Rows marked in red have errors" in html
    assert "once it has no error" not in html  # the rows are no longer held back
    # Nothing can be confirmed.
    assert "sv-import-go" not in html and "Import all" not in html
    assert "Nothing can be imported from this file until its errors are fixed." in html
    assert snapshot() == before


def test_confirming_anyway_writes_nothing_and_shows_the_errors(world, draft):
    clerk = browser_for(world.clerk)
    before = snapshot()
    _page, token = preview(clerk, draft, _one_bad_of_five())
    response = confirm(clerk, draft, token)
    html = response.content.decode()
    assert response.status_code == 400
    assert "The import was refused (1 error); nothing was imported." in html and "Row 4, 牵头单位" in html
    assert _shown_rows(html) == [2, 3, BAD_ROW, 5, 6] and "sv-import-go" not in html
    assert snapshot() == before and _descriptions(draft) == []


def test_a_long_sheet_opens_on_the_rows_with_errors(world, draft, monkeypatch):
    monkeypatch.setattr(imports, "PAGE_ROWS", 2)
    clerk = browser_for(world.clerk)
    page, _token = preview(clerk, draft, _one_bad_of_five())
    html = page.content.decode()
    assert _shown_rows(html) == [BAD_ROW]
    assert 'value="errors">Rows with errors<span class="sv-count">1</span>' in html
    assert 'value="all">All rows<span class="sv-count">5</span>' in html


def test_an_error_among_the_measures_of_one_problem_stays_on_its_row(world, draft):
    clerk = browser_for(world.clerk)
    rows = [
        row(description="安置点问题甲", measures="措施一"),
        row(seq="", description="安置点问题甲", measures="措施二", deadline="尽快"),
        row(seq="", description="安置点问题甲", measures="措施三"),
    ]
    page, _token = preview(clerk, draft, rows)
    html = page.content.decode()
    assert _shown_rows(html) == [2, 3, 4]
    assert "措施一" in _tr(html, 2) and "措施三" in _tr(html, 4)
    assert "sv-import-row--error" in _tr(html, 3) and "整改时限" in _tr(html, 3) and "措施二" not in html
    assert 'data-summary="problems">1<' in html and 'data-summary="measures">2<' in html
    assert "sv-import-go" not in html


def test_the_dry_run_prints_the_rows_understood_and_the_error_and_exits_1(world, draft, tmp_path):
    before = snapshot()
    path = tmp_path / "问题清单.xlsx"
    path.write_bytes(workbook(("问题清单", _one_bad_of_five())))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_items", str(draft.pk), str(path), "--dry-run", "--year", str(YEAR), stdout=out, stderr=err)
    assert refused.value.returncode == 1
    printed = out.getvalue()
    for number, k in zip(GOOD_ROWS, (1, 2, 4, 5), strict=True):
        assert f"Row {number} [Specific problem] 安置点问题{k}" in printed
    assert "安置点问题3" not in printed
    assert "Error: Row 4, 牵头单位" in err.getvalue()
    assert "4 problems, 4 measures, 0 warnings, 1 errors." in printed
    assert "Dry run: nothing was written." not in printed
    assert snapshot() == before


def test_the_worker_s_preview_keeps_the_rows_and_cannot_be_confirmed(
    world, draft, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(uploads, "INLINE_ROWS", 2)
    clerk = browser_for(world.clerk)
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        url = post_upload(clerk, draft, _one_bad_of_five())["Location"]
    run_jobs()
    job = Job.objects.get(kind=jobs.PROBLEM_LIST_PREVIEW)
    assert job.state == JobState.DONE
    assert not job.result["ok"] and (job.result["measures"], job.result["error_count"]) == (4, 1)
    stored = uploads.preview_load(job)
    assert [item["row"] for item in stored["items"]] == GOOD_ROWS
    assert [r[:2] for r in stored["row_errors"]] == [[BAD_ROW, "牵头单位"]]

    html = clerk.get(url).content.decode()
    assert _shown_rows(html) == [2, 3, BAD_ROW, 5, 6] and "sv-import-go" not in html
    response = confirm(clerk, draft, token_in(url))
    assert response.status_code == 302 and "/preview" in response["Location"]
    assert not Job.objects.filter(kind=jobs.PROBLEM_LIST_IMPORT).exists()
    assert snapshot() == before and _descriptions(draft) == []
