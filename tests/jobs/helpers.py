"""Running background jobs in a test: the worker in this process, and a job's page and file."""

from __future__ import annotations

from unittest import mock

from django.core.management import call_command
from django.test import TestCase
from django.urls import resolve

from supervision.models import Job


def run_jobs(rounds: int = 10) -> None:
    """What the worker has to do now, done in this process (``db_worker --batch``).

    A test runs inside a transaction, so what a job enqueues on commit (its next try) waits for
    the end of a round; each round runs what the previous one enqueued. The worker closes stale
    connections between tasks, as a request does; here that would be the test's own connection,
    in the middle of its transaction (the test client skips it for the same reason)."""
    for _round in range(rounds):
        with (
            TestCase.captureOnCommitCallbacks(execute=True) as enqueued,
            mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"),
        ):
            call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
        if not enqueued:
            return


def job_of(response) -> Job:
    """The job a document request sent the person to (its page's URL is the redirect)."""
    assert response.status_code == 302, response.status_code
    match = resolve(response["Location"])
    assert match.view_name == "jobs:detail", response["Location"]
    return Job.objects.get(uuid=match.kwargs["job_id"])


def file_of(client, job: Job):
    """The job's file as the person downloads it from its page."""
    response = client.get(f"/jobs/{job.uuid}/file")
    assert response.status_code == 200, response.status_code
    return response


def content_of(client, job: Job) -> bytes:
    return b"".join(file_of(client, job).streaming_content)
