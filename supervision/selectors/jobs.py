"""Reading background jobs: one job for the person who may see it, and one's recent jobs.

A job is the requester's; the office sees anyone's (its staff help people with their
documents). Anyone else is told nothing, not even that the job exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import pgettext_lazy

from supervision import clock
from supervision.models import Job, JobState, User
from supervision.services.jobs import may_manage

# A job's state as its pages name it: "Running" and "Done" mean other things elsewhere in the
# catalog (a stand-in running, an assignment done), hence the context.
STATE_LABELS = {
    JobState.QUEUED: pgettext_lazy("job state", "Queued"),
    JobState.RUNNING: pgettext_lazy("job state", "Running"),
    JobState.DONE: pgettext_lazy("job state", "Ready"),
    JobState.FAILED: pgettext_lazy("job state", "Failed"),
    JobState.EXPIRED: pgettext_lazy("job state", "Deleted"),
}

# "My downloads" lists the jobs of the last day, the time their files are kept by default.
RECENT = dt.timedelta(days=1)
MAX_LISTED = 100


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def job_get(user: User, job_id: Any) -> Job | None:
    """The job with this uuid if ``user`` may see it: one query for the requester, and the
    user's roles (one more) for anyone else."""
    key = _uuid(job_id)
    if key is None or not user.is_authenticated:
        return None
    job = Job.objects.filter(uuid=key).first()
    if job is None or not may_manage(user, job):
        return None
    return job


def jobs_recent(user: User, *, now: dt.datetime | None = None) -> QuerySet[Job]:
    """The user's own jobs of the last day, newest first (index job_requester_recent)."""
    since = (now or clock.now()) - RECENT
    return Job.objects.filter(requested_by=user, created_at__gte=since).order_by("-created_at", "-id")[:MAX_LISTED]


def job_state_label(job: Job) -> str:
    return str(STATE_LABELS.get(job.state, job.state))


def job_status(job: Job) -> dict[str, Any]:
    """What the job page's poll needs, from the row alone."""
    result = job.result if isinstance(job.result, dict) else {}
    return {
        "state": job.state,
        "state_label": job_state_label(job),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "phase": result.get("phase", ""),
        "finished": job.state not in (JobState.QUEUED, JobState.RUNNING),
    }
