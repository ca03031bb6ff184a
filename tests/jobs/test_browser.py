"""The job page in a browser: jobs.js moves the bar as the worker reports rows, and once the job
has finished the page shows its file, with no inline script (the site's policy forbids it)."""

from __future__ import annotations

import pytest

from supervision import clock
from supervision.models import Job, JobState
from supervision.services.jobs import job_execute
from tests.browser.conftest import browser, open_page, people  # noqa: F401  (the browser tests' fixtures)
from tests.factories import issue_letter


@pytest.mark.browser
def test_the_job_page_follows_the_job_and_then_offers_its_file(people, open_page):  # noqa: F811
    issue_letter(people, items=2, units=[people.unit_a, people.unit_b])
    job = Job.objects.create(
        kind="ledger_xlsx", params={}, title="台账", requested_by=people.clerk, created_at=clock.now()
    )
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=clock.now(), rows_done=5, rows_total=20)
    errors: list[str] = []
    page = open_page(people.clerk, f"/jobs/{job.uuid}/", language="en-US")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    assert page.locator("[data-job-bar]").evaluate("bar => bar.value") == 25

    # The worker reports more rows: the bar and the line under it follow without a reload.
    Job.objects.filter(pk=job.pk).update(rows_done=15)
    page.locator("[data-job-text]", has_text="15 of 20 done (75%)").wait_for()
    assert page.locator("[data-job-bar]").evaluate("bar => bar.value") == 75

    # It finishes: the page comes back with the file to download.
    Job.objects.filter(pk=job.pk).update(state=JobState.QUEUED)
    assert job_execute(job.pk) == "done"
    link = page.locator(f"a[href='/jobs/{job.uuid}/file']")
    link.wait_for()
    assert "Download" in link.inner_text()
    # (The live server speaks no websocket: the inbox's socket failing is not this page's error.)
    assert not [e for e in errors if "/ws/inbox/" not in e]
