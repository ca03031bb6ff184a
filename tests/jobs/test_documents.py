"""Heavy documents go through background jobs: asking sends the person to the job's page, the
worker makes the file, and the file holds what the same request used to return at once.

The limits below which a document is still made in the request are scaled down here, so that
the world's few rows already count as a large ledger or sheet."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from notices import jobs
from notices.job_kinds import uploads
from notices.problem_list import COLUMNS
from notices.progress_sheet import COLUMNS as SHEET_COLUMNS
from notices.progress_sheet import HEADER_ROW
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision import services
from supervision.models import Assignment, Item, Job, JobState, ProgressReport
from tests.factories import draft_letter, issue_letter
from tests.helpers import browser_for
from tests.jobs.helpers import content_of, file_of, job_of, run_jobs
from tests.notices import pdfs
from tests.notices.ledger_sheet import sheet_lines


@pytest.fixture(autouse=True)
def small_limits(monkeypatch):
    monkeypatch.setattr(jobs, "LEDGER_PDF_INLINE_ROWS", 1)
    monkeypatch.setattr(jobs, "LEDGER_XLSX_INLINE_ROWS", 1)
    monkeypatch.setattr(jobs, "PROGRESS_SHEET_INLINE_ROWS", 1)
    monkeypatch.setattr(uploads, "INLINE_ROWS", 2)


@pytest.fixture
def four_rows(world):
    """Two items, each to units A and B: four ledger rows."""
    return issue_letter(world, items=2, units=[world.unit_a, world.unit_b])


def _ask(client, url, params=None, *, capture):
    """Press a download button: a POST (the filters in its fields, as the ledger page's form)."""
    with capture(execute=True):
        return client.post(url, params or {})


def _xlsx_rows(content: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(content)).active
    return sheet_lines(ws)


def test_a_large_ledger_pdf_is_made_by_the_worker_and_fetched_from_its_page(
    world, four_rows, django_capture_on_commit_callbacks
):
    clerk = browser_for(world.clerk)
    job = job_of(_ask(clerk, reverse("notices:ledger_pdf"), capture=django_capture_on_commit_callbacks))
    assert job.state == JobState.QUEUED and job.requested_by == world.clerk and job.kind == jobs.LEDGER_PDF
    assert "4 rows" in job.title
    page = clerk.get(reverse("jobs:detail", args=[job.uuid])).content.decode()
    assert "Queued" in page and reverse("jobs:status", args=[job.uuid]) in page

    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and (job.rows_done, job.rows_total) == (4, 4) and job.percent == 100
    page = clerk.get(reverse("jobs:detail", args=[job.uuid])).content.decode()
    assert "Download 问题排查整改台账.pdf" in page
    response = file_of(clerk, job)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
    text = pdfs.text(b"".join(response.streaming_content))
    assert "问题排查整改台账" in text and "甲县人民政府" in text and "乙县人民政府" in text
    assert "—1—" in text


def test_a_ledger_pdf_laid_out_in_parts_numbers_its_pages_on(world, four_rows):
    from notices import ledger
    from notices.job_kinds.ledger import ledger_pdf_in_parts

    rows = list(ledger.ledger_queryset(Assignment.objects.all()))
    seen: list[tuple[int, int]] = []
    pdf = ledger_pdf_in_parts(
        rows, unit_label="全市", day=four_rows.issued_at.date(), progress=lambda d, t: seen.append((d, t)), part_rows=1
    )
    # One part per row: four parts, each on a page of its own, numbered on, the title once.
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    text = pdfs.text(pdf)
    assert [f"—{n}—" in text for n in (1, 2, 3, 4)] == [True] * 4
    assert text.count("问题排查整改台账") == 1


def test_a_large_ledger_excel_holds_what_the_page_filters(world, four_rows, django_capture_on_commit_callbacks):
    clerk = browser_for(world.clerk)
    job = job_of(
        _ask(
            clerk,
            reverse("notices:ledger_xlsx"),
            {"unit": [world.unit_a.pk, world.unit_b.pk], "state": "issued"},
            capture=django_capture_on_commit_callbacks,
        )
    )
    assert job.params["unit"] == [str(world.unit_a.pk), str(world.unit_b.pk)] and job.params["state"] == ["issued"]
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.content_type == XLSX_CONTENT_TYPE
    rows = _xlsx_rows(content_of(clerk, job))
    assert len(rows) == 4
    assert sorted({r[5] for r in rows}) == ["乙县人民政府", "甲县人民政府"]


def test_a_unit_s_ledger_job_holds_its_own_rows_only(world, four_rows, django_capture_on_commit_callbacks):
    liaison = browser_for(world.liaison_a)
    job = job_of(_ask(liaison, reverse("notices:ledger_xlsx"), capture=django_capture_on_commit_callbacks))
    run_jobs()
    rows = _xlsx_rows(content_of(liaison, job))
    assert len(rows) == 2 and {r[5] for r in rows} == {"甲县人民政府"}
    # Naming another unit is refused before any job is written, as on the page.
    refused = liaison.get(reverse("notices:ledger_xlsx"), {"unit": world.unit_b.pk})
    assert refused.status_code == 400 and "is not one of your units" in refused.content.decode()


def test_a_small_ledger_stays_in_the_request(world, four_rows, monkeypatch):
    monkeypatch.setattr(jobs, "LEDGER_PDF_INLINE_ROWS", 50)
    response = browser_for(world.clerk).get(reverse("notices:ledger_pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_asking_twice_while_it_is_prepared_is_the_same_job(world, four_rows, django_capture_on_commit_callbacks):
    clerk = browser_for(world.clerk)
    first = job_of(_ask(clerk, reverse("notices:ledger_pdf"), capture=django_capture_on_commit_callbacks))
    again = job_of(_ask(clerk, reverse("notices:ledger_pdf"), capture=django_capture_on_commit_callbacks))
    other = job_of(
        _ask(
            clerk, reverse("notices:ledger_pdf"), {"unit": world.unit_a.pk}, capture=django_capture_on_commit_callbacks
        )
    )
    assert first == again != other


def test_the_progress_sheet_is_a_job_when_it_is_long(world, four_rows, django_capture_on_commit_callbacks):
    for a in Assignment.objects.filter(unit=world.unit_a):
        services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    liaison = browser_for(world.liaison_a)
    job = job_of(_ask(liaison, reverse("notices:progress_xlsx"), capture=django_capture_on_commit_callbacks))
    assert job.kind == jobs.PROGRESS_SHEET
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.filename.startswith("整改进展报送表") and job.rows_total == 2
    ws = load_workbook(io.BytesIO(content_of(liaison, job))).active
    ids = [ws.cell(row=HEADER_ROW + n, column=1).value for n in (1, 2)]
    assert sorted(ids) == sorted(Assignment.objects.filter(unit=world.unit_a).values_list("pk", flat=True))


def _problem_list(*descriptions: str) -> SimpleUploadedFile:
    wb = Workbook()
    wb.active.append([c.heading for c in COLUMNS])
    for n, description in enumerate(descriptions, start=1):
        wb.active.append([n, "个性问题", "自查发现", "", description, "措施", "甲县人民政府", "", "8月15日前"])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("问题清单.xlsx", out.getvalue(), content_type=XLSX_CONTENT_TYPE)


def _post(client, url, data, *, capture):
    with capture(execute=True):
        return client.post(url, data)


def _previewed(clerk, draft, sheet, capture) -> tuple[Job, str]:
    """Upload a large problem list: its preview is read by the worker, then shown."""
    response = _post(clerk, reverse("notices:letter_import", args=[draft.pk]), {"file": sheet}, capture=capture)
    assert response.status_code == 302
    job = Job.objects.get(kind=jobs.PROBLEM_LIST_PREVIEW)
    assert default_storage.exists(job.params["held"])
    run_jobs()
    return job, response["Location"]


def test_a_large_problem_list_is_imported_by_the_worker(world, django_capture_on_commit_callbacks):
    draft = draft_letter(world)
    clerk = browser_for(world.clerk)
    sheet = _problem_list("问题一", "问题二", "问题三")
    preview, url = _previewed(clerk, draft, sheet, django_capture_on_commit_callbacks)
    stored = preview.params["held"]
    page = clerk.get(url).content.decode()
    assert "问题三" in page and not Item.objects.filter(letter=draft, description="问题一").exists()
    token = parse_qs(urlsplit(url).query)["t"][0]
    confirm = reverse("notices:letter_import_confirm", args=[draft.pk])
    job = job_of(_post(clerk, confirm, {"t": token}, capture=django_capture_on_commit_callbacks))
    assert job.kind == jobs.PROBLEM_LIST_IMPORT and job.params["held"] == stored
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result["imported"] == 3 and not job.file
    assert set(Item.objects.filter(letter=draft).values_list("description", flat=True)) >= {
        "问题一",
        "问题二",
        "问题三",
    }
    page = clerk.get(reverse("jobs:detail", args=[job.uuid])).content.decode()
    assert "Imported 3 problems into the letter." in page
    assert reverse("letters:detail", args=[draft.pk]) in page
    # The uploaded sheet is not kept once it has been imported.
    assert not default_storage.exists(stored)


def test_a_large_problem_list_with_errors_lists_them_on_its_preview(world, django_capture_on_commit_callbacks):
    draft = draft_letter(world)
    before = Item.objects.filter(letter=draft).count()
    clerk = browser_for(world.clerk)
    preview, url = _previewed(clerk, draft, _problem_list("问题一", "", "问题一"), django_capture_on_commit_callbacks)
    preview.refresh_from_db()
    assert preview.state == JobState.DONE and not preview.result["ok"] and preview.result["error_count"] >= 1
    page = clerk.get(url).content.decode()
    assert "nothing can be imported until" in page
    assert Item.objects.filter(letter=draft).count() == before


def test_an_import_is_checked_before_it_is_queued(world, django_capture_on_commit_callbacks):
    draft = draft_letter(world)
    # An observer of the office sees the draft but may not change it: nothing is queued or stored.
    response = _post(
        browser_for(world.observer),
        reverse("notices:letter_import", args=[draft.pk]),
        {"file": _problem_list("问题一", "问题二", "问题三")},
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 403
    assert not default_storage.exists("jobs/uploads") and not default_storage.exists("jobs/held")


def test_a_large_progress_sheet_upload_reports_through_the_worker(world, four_rows, django_capture_on_commit_callbacks):
    mine = list(Assignment.objects.filter(unit=world.unit_a).order_by("pk"))
    for a in mine:
        services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    progress_column = [c.heading for c in SHEET_COLUMNS].index("本期进展") + 1
    wb = Workbook()
    ws = wb.active
    ws.append(["整改进展报送表"])
    ws.append([])
    ws.append([c.heading for c in SHEET_COLUMNS])
    for n, a in enumerate(mine, start=1):
        ws.cell(row=HEADER_ROW + n, column=1, value=a.pk)
        ws.cell(row=HEADER_ROW + n, column=progress_column, value=f"进展{n}")
    out = io.BytesIO()
    wb.save(out)
    upload = SimpleUploadedFile("整改进展报送表.xlsx", out.getvalue(), content_type=XLSX_CONTENT_TYPE)
    liaison = browser_for(world.liaison_a)
    job = job_of(
        _post(liaison, reverse("notices:progress_page"), {"file": upload}, capture=django_capture_on_commit_callbacks)
    )
    assert job.kind == jobs.PROGRESS_UPLOAD
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result["reported"] == 2
    assert sorted(ProgressReport.objects.values_list("text", flat=True)) == ["进展1", "进展2"]
    assert (
        "Progress reported on 2 assignments." in liaison.get(reverse("jobs:detail", args=[job.uuid])).content.decode()
    )
