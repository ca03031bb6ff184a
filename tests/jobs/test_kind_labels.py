"""The office's monitor names a failed job's kind in words, in the reader's language, not by its
code; every kind of job has such a name."""

from __future__ import annotations

from django.urls import reverse

from supervision import clock
from supervision.models import Job, JobState
from supervision.services.jobs import KINDS
from tests.helpers import signed_in
from workflows.jobs.labels import KIND_LABELS


def test_every_kind_of_job_has_a_name():
    assert set(KINDS) <= set(KIND_LABELS)


def test_the_monitor_shows_the_kind_by_its_name(client, world):
    Job.objects.create(
        kind="ledger_pdf",
        title="台账（PDF，3000行）",
        requested_by=world.clerk,
        state=JobState.FAILED,
        attempts=3,
        error="磁盘已满",
        created_at=clock.now(),
    )
    page = signed_in(client, world.clerk).get(reverse("messages:monitor")).content.decode()
    assert "Ledger as PDF" in page and "ledger_pdf" not in page
    chinese = signed_in(client, world.clerk, "zh-hans").get(reverse("messages:monitor")).content.decode()
    assert "ledger_pdf" not in chinese
