"""A long problem list is previewed and imported by the worker: the preview page waits for its
job, then shows the preview; confirming queues the import. The limit is scaled down here, so
that three rows already count as a long list. Held uploads are pruned after a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from notices import jobs
from notices.job_kinds import uploads
from supervision import clock
from supervision.models import Item, Job, JobState
from supervision.services.held_uploads import upload_hold
from supervision.services.job_housekeeping import job_files_prune
from tests.helpers import browser_for, draft_letter, snapshot
from tests.imports.flow import confirm, post_upload, problems, row, token_in, token_of
from tests.jobs.helpers import job_of, run_jobs


@pytest.fixture(autouse=True)
def small_limit(monkeypatch):
    monkeypatch.setattr(uploads, "INLINE_ROWS", 2)


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


def _upload(client, letter, rows, capture):
    with capture(execute=True):
        response = post_upload(client, letter, rows)
    assert response.status_code == 302
    return response["Location"]


def test_a_long_list_is_previewed_then_imported_by_the_worker(world, draft, django_capture_on_commit_callbacks):
    clerk = browser_for(world.clerk)
    before = snapshot()
    url = _upload(clerk, draft, problems(3, cooperating="市农业农村局"), django_capture_on_commit_callbacks)
    job = Job.objects.get(kind=jobs.PROBLEM_LIST_PREVIEW)
    held = job.params["held"]
    assert job.requested_by == world.clerk and default_storage.exists(held)
    waiting = clerk.get(url).content.decode()
    assert f'data-job-status="{reverse("jobs:status", args=[job.uuid])}"' in waiting and "安置点问题1" not in waiting

    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result["ok"] and job.result["measures"] == 3
    assert snapshot() == before  # read, not written
    page = clerk.get(url).content.decode()
    assert "安置点问题1" in page and "安置点问题3" in page and 'name="lead_3"' in page
    # The job's own page leads to the preview too.
    assert (
        reverse("notices:import_job_preview", args=[job.uuid])
        in clerk.get(reverse("jobs:detail", args=[job.uuid])).content.decode()
    )
    assert clerk.get(reverse("notices:import_job_preview", args=[job.uuid])).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        imported = job_of(confirm(clerk, draft, token_of(page), lead_3=world.unit_c.pk))
    assert imported.kind == jobs.PROBLEM_LIST_IMPORT and not Item.objects.filter(letter=draft).exists()
    run_jobs()
    imported.refresh_from_db()
    assert imported.state == JobState.DONE and imported.result["imported"] == 3
    second = Item.objects.get(letter=draft, description="安置点问题2")
    assert {(link.role, link.unit_id) for link in second.item_units.all()} == {
        ("lead", world.unit_c.pk),
        ("cooperating", world.unit_a.pk),
    }
    assert (
        "Imported 3 problems into the letter."
        in clerk.get(reverse("jobs:detail", args=[imported.uuid])).content.decode()
    )
    # Imported: the held sheet is gone, and its preview with it.
    assert not default_storage.exists(held) and not default_storage.exists(uploads.preview_file(job))


def test_a_long_list_with_errors_cannot_be_confirmed(world, draft, django_capture_on_commit_callbacks):
    clerk = browser_for(world.clerk)
    rows = problems(3) + [row(seq=4, description="问题四", lead="丙县")]
    url = _upload(clerk, draft, rows, django_capture_on_commit_callbacks)
    run_jobs()
    page = clerk.get(url).content.decode()
    assert "Row 5, 牵头单位" in page and "sv-import-go" not in page
    response = confirm(clerk, draft, token_in(url))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("notices:letter_import_preview", args=[draft.pk])
    )
    assert not Job.objects.filter(kind=jobs.PROBLEM_LIST_IMPORT).exists()
    assert not Item.objects.filter(letter=draft).exists()


def test_a_short_list_needs_no_job(world, draft, django_capture_on_commit_callbacks):
    clerk = browser_for(world.clerk)
    url = _upload(clerk, draft, problems(1), django_capture_on_commit_callbacks)
    assert not Job.objects.exists() and "安置点问题1" in clerk.get(url).content.decode()


def test_held_uploads_are_pruned_a_day_after_they_came(world):
    then = clock.now()
    with clock.frozen(then):
        old = upload_hold(ContentFile(b"sheet", name="a.xlsx"))
    with clock.frozen(then + dt.timedelta(hours=settings.JOB_FILE_HOURS - 1)):
        young = upload_hold(ContentFile(b"sheet", name="b.xlsx"))
    job_files_prune(now=then + dt.timedelta(hours=settings.JOB_FILE_HOURS, seconds=1))
    assert not default_storage.exists(old) and default_storage.exists(young)
