"""A job's life: its progress as the rows go by, a failure tried again and then shown, a retry,
a job the worker has already finished or is running, files kept for a while and then pruned.

A kind registered by the test stands in for a document, so that each step is the test's to
decide (a runner that fails, one that reports its rows)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from supervision import clock
from supervision.models import AuditEvent, Job, JobState
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from supervision.services import jobs as job_services
from supervision.services.cycles import tick_run
from supervision.services.job_housekeeping import job_files_prune, jobs_recover
from supervision.services.jobs import (
    KINDS,
    JobKind,
    JobOutput,
    job_execute,
    job_request,
    job_retry,
)
from tests.helpers import browser_for
from tests.jobs.helpers import content_of, run_jobs

TEST_KIND = "test_document"


class Script:
    """What the test kind's runner does: report rows, fail some times, then make a file."""

    def __init__(self) -> None:
        self.failures = 0
        self.error: Exception = RuntimeError("disk on fire at /srv/secret/path")
        self.seen: list[tuple[int, int]] = []
        self.runs = 0

    def run(self, job: Job, progress) -> JobOutput:
        self.runs += 1
        if self.failures:
            self.failures -= 1
            raise self.error
        for done in range(0, 31, 10):
            progress(done, 30)
            row = Job.objects.get(pk=job.pk)
            self.seen.append((row.rows_done, row.rows_total))
        return JobOutput(ContentFile(b"the document"), "文件.txt", "text/plain")


@pytest.fixture
def script(monkeypatch):
    script = Script()

    def check(actor, params):
        if params.get("forbidden"):
            raise NotAllowed("Not for you.")

    monkeypatch.setitem(KINDS, TEST_KIND, JobKind(TEST_KIND, check=check, run=script.run))
    monkeypatch.setattr(job_services, "RETRY_BACKOFF_SECONDS", 0)
    monkeypatch.setattr(job_services, "PROGRESS_INTERVAL", 0)
    return script


def _ask(world, capture, who="liaison_a", **params) -> Job:
    with capture(execute=True):
        return job_request(actor=getattr(world, who), kind=TEST_KIND, params=params, title="测试文件")


def test_progress_is_written_as_the_rows_go_by(world, script, django_capture_on_commit_callbacks):
    job = _ask(world, django_capture_on_commit_callbacks)
    run_jobs()
    assert script.seen == [(0, 30), (10, 30), (20, 30), (30, 30)]
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.percent == 100 and job.attempts == 1
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)
    assert content_of(browser_for(world.liaison_a), job) == b"the document"


def test_progress_is_written_at_most_every_half_second(world, script, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(job_services, "PROGRESS_INTERVAL", 3600)
    _ask(world, django_capture_on_commit_callbacks)
    run_jobs()
    # The first report is written, the ones soon after it are not, the last one always is.
    assert script.seen == [(0, 30), (0, 30), (0, 30), (30, 30)]


def test_a_failing_job_is_tried_again_then_shown_failed_and_can_be_retried(
    world, script, settings, django_capture_on_commit_callbacks
):
    settings.JOB_MAX_ATTEMPTS = 3
    script.failures = 3
    job = _ask(world, django_capture_on_commit_callbacks)
    run_jobs()
    job.refresh_from_db()
    assert script.runs == 3 and job.attempts == 3 and job.state == JobState.FAILED
    assert "unexpected error (RuntimeError)" in job.error
    liaison = browser_for(world.liaison_a)
    page = liaison.get(reverse("jobs:detail", args=[job.uuid])).content.decode()
    assert "Failed" in page and "unexpected error (RuntimeError)" in page and "Tried 3 times." in page
    # One line for the person: no traceback, no path from the server.
    assert "Traceback" not in page and "/srv/secret" not in page
    assert reverse("jobs:retry", args=[job.uuid]) in page
    assert liaison.get(reverse("jobs:file", args=[job.uuid])).status_code == 404

    # Someone else's job is not theirs to retry; the requester's retry runs it from the start.
    assert browser_for(world.liaison_b).post(reverse("jobs:retry", args=[job.uuid])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = liaison.post(reverse("jobs:retry", args=[job.uuid]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.attempts == 0 and job.error == ""
    audit = AuditEvent.objects.get(action="job.retried")
    assert audit.actor == world.liaison_a and audit.data["job"] == str(job.uuid)
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and script.runs == 4


def test_a_passing_failure_is_healed_by_the_next_try(world, script, django_capture_on_commit_callbacks):
    script.failures = 1
    job = _ask(world, django_capture_on_commit_callbacks)
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2 and job.error == ""


def test_a_refusal_of_the_domain_fails_at_once(world, script, django_capture_on_commit_callbacks):
    script.failures = 5
    script.error = InvalidInput("The letter is no longer yours.")
    job = _ask(world, django_capture_on_commit_callbacks)
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 1 and job.error == "The letter is no longer yours."


def test_only_a_failed_job_is_retried_by_its_requester_or_the_office(world, script, django_capture_on_commit_callbacks):
    job = _ask(world, django_capture_on_commit_callbacks)
    with pytest.raises(InvalidTransition):
        job_retry(actor=world.liaison_a, job_id=job.uuid)
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="x")
    for who in ("liaison_b", "outsider", "leader_a"):
        with pytest.raises(NotAllowed):
            job_retry(actor=getattr(world, who), job_id=job.uuid)
    assert job_retry(actor=world.clerk, job_id=job.uuid).state == JobState.QUEUED


def test_the_task_is_idempotent(world, script, django_capture_on_commit_callbacks):
    job = _ask(world, django_capture_on_commit_callbacks)
    assert job_execute(job.pk) == "done"
    assert job_execute(job.pk) == "skipped"  # the same task delivered twice
    assert script.runs == 1
    # A running job is another worker's, until it has run for so long that its worker is gone.
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=clock.now())
    assert job_execute(job.pk) == "skipped"
    Job.objects.filter(pk=job.pk).update(started_at=clock.now() - job_services.STALE_AFTER - dt.timedelta(seconds=1))
    assert job_execute(job.pk) == "done" and script.runs == 2


def test_a_job_whose_worker_died_goes_back_to_the_queue(world, script, settings, django_capture_on_commit_callbacks):
    settings.JOB_MAX_ATTEMPTS = 2
    job = _ask(world, django_capture_on_commit_callbacks)
    long_ago = clock.now() - job_services.STALE_AFTER - dt.timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=long_ago, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_recover(now=clock.now()) == 1
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE
    # Its tries spent, it is shown as failed instead.
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=long_ago, attempts=2)
    assert jobs_recover(now=clock.now()) == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "stopped unfinished" in job.error


def test_files_are_pruned_once_they_expire(world, script, django_capture_on_commit_callbacks):
    job = _ask(world, django_capture_on_commit_callbacks)
    run_jobs()
    job.refresh_from_db()
    name = job.file.name
    assert default_storage.exists(name)
    assert job_files_prune(now=job.expires_at - dt.timedelta(seconds=1)) == 0
    assert job_files_prune(now=job.expires_at) == 1
    job.refresh_from_db()
    assert job.state == JobState.EXPIRED and not job.file and not default_storage.exists(name)
    assert AuditEvent.objects.filter(action="jobs.pruned").get().data == {"expired": 1}
    liaison = browser_for(world.liaison_a)
    assert liaison.get(reverse("jobs:file", args=[job.uuid])).status_code == 404
    assert "has been deleted" in liaison.get(reverse("jobs:detail", args=[job.uuid])).content.decode()
    assert job_files_prune(now=job.expires_at + dt.timedelta(days=1)) == 0


def test_the_minute_clock_prunes_expired_files(world, script, django_capture_on_commit_callbacks):
    # `manage.py tick` is what deletes them in production: the prune must be wired into it.
    job = _ask(world, django_capture_on_commit_callbacks)
    run_jobs()
    job.refresh_from_db()
    name = job.file.name
    assert tick_run(now=job.expires_at - dt.timedelta(seconds=1)).jobs_expired == 0
    assert tick_run(now=job.expires_at).jobs_expired == 1
    job.refresh_from_db()
    assert job.state == JobState.EXPIRED and not default_storage.exists(name)


def test_a_shared_file_stays_while_a_job_still_refers_to_it(world, script, django_capture_on_commit_callbacks):
    first = _ask(world, django_capture_on_commit_callbacks)
    run_jobs()
    first.refresh_from_db()
    second = Job.objects.create(
        kind=TEST_KIND,
        title="x",
        requested_by=world.liaison_b,
        state=JobState.DONE,
        file=first.file.name,
        created_at=clock.now(),
        expires_at=first.expires_at + dt.timedelta(hours=1),
    )
    assert job_files_prune(now=first.expires_at) == 1
    assert default_storage.exists(first.file.name)
    assert job_files_prune(now=second.expires_at) == 1
    assert not default_storage.exists(first.file.name)


def test_a_request_is_checked_and_a_person_s_queue_is_bounded(world, script, django_capture_on_commit_callbacks):
    with pytest.raises(NotAllowed):
        _ask(world, django_capture_on_commit_callbacks, forbidden=True)
    with pytest.raises(InvalidInput):
        job_request(actor=world.clerk, kind="no_such_kind", params={}, title="x")
    for n in range(job_services.MAX_PENDING):
        _ask(world, django_capture_on_commit_callbacks, n=n)
    with pytest.raises(InvalidInput, match="already have 5 documents being prepared"):
        _ask(world, django_capture_on_commit_callbacks, n=99)
    # The same request again is the job already waiting, not a refusal.
    assert _ask(world, django_capture_on_commit_callbacks, n=0).params["n"] == 0
    assert Job.objects.count() == job_services.MAX_PENDING
