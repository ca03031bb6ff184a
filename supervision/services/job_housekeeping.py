"""Background jobs' housekeeping, run by ``tick`` every minute: their files deleted once kept
``JOB_FILE_HOURS`` (with the held uploads), and jobs whose worker died or whose hand-over was lost
queued again (services/jobs.py holds the jobs themselves)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus

from supervision.models import Job, JobState

from .audit import audit_record
from .held_uploads import file_delete, held_uploads_prune
from .jobs import LOST_AFTER, STALE_AFTER, job_enqueue

logger = logging.getLogger(__name__)

# --- housekeeping (tick) ---------------------------------------------------------------------------

PRUNE_BATCH = 500


def job_files_prune(*, now: dt.datetime) -> int:
    """Delete the files (results and uploads) of finished jobs past ``expires_at`` and mark the
    jobs EXPIRED; returns how many jobs expired. A file two jobs share (a notice handed over)
    stays while a job that has not expired refers to it. One audit row when something went."""
    expired = 0
    while True:
        rows = list(
            Job.objects.filter(expires_at__lte=now, state__in=(JobState.DONE, JobState.FAILED))
            .order_by("expires_at", "pk")
            .values_list("pk", "file", "params")[:PRUNE_BATCH]
        )
        if not rows:
            break
        pks = [pk for pk, _file, _params in rows]
        with transaction.atomic():
            done = Job.objects.filter(pk__in=pks, state__in=(JobState.DONE, JobState.FAILED)).update(
                state=JobState.EXPIRED, file=""
            )
        expired += done
        names = {name for _pk, name, _params in rows if name}
        uploads = {p.get("upload") for _pk, _name, p in rows if isinstance(p, dict) and p.get("upload")}
        still_used = set(
            Job.objects.filter(file__in=names).exclude(state=JobState.EXPIRED).values_list("file", flat=True)
        )
        for name in (names - still_used) | uploads:
            file_delete(name)
        if len(rows) < PRUNE_BATCH:
            break
    if expired:
        audit_record(at=now, action="jobs.pruned", data={"expired": expired})
    # Uploads held between the steps of a flow have no job row of their own: pruned by age.
    held_uploads_prune(now=now)
    return expired


def _queued_tasks(job_ids: list[int], now: dt.datetime) -> set[int] | None:
    """Which of these jobs have a task in the queue that will still run (waiting, a retry's
    ``run_after`` included, or running since less than ``STALE_AFTER``: a worker that died
    leaves its task RUNNING for good). None when the queue is not the database's, whose tasks
    cannot be read."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from supervision.jobs_tasks import job_run

    if not isinstance(job_run.get_backend(), DatabaseBackend):
        return None
    alive = Q(status=TaskResultStatus.READY) | Q(status=TaskResultStatus.RUNNING, started_at__gte=now - STALE_AFTER)
    # The tasks of waiting jobs are few (at most MAX_PENDING a person): read, then matched here.
    found = DBTaskResult.objects.filter(alive, task_path=job_run.module_path).values_list("args_kwargs", flat=True)
    wanted = set(job_ids)
    held = set()
    for args_kwargs in found:
        args = (args_kwargs or {}).get("args") or []
        if args and args[0] in wanted:
            held.add(args[0])
    return held


def _requeue_lost(now: dt.datetime) -> int:
    """Queue again the QUEUED jobs whose task is not in the queue (see the module's docstring).

    Only those: queuing every old QUEUED job each minute would pile duplicate tasks behind a
    worker that is merely busy (each would do nothing, being idempotent, but the queue grows with
    the load) and cut short the wait before a failed job's next try."""
    lost_before = now - LOST_AFTER
    candidates = list(
        Job.objects.filter(state=JobState.QUEUED, created_at__lt=lost_before)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=lost_before))
        .order_by("pk")
        .values_list("pk", flat=True)[:PRUNE_BATCH]
    )
    if not candidates:
        return 0
    held = _queued_tasks(candidates, now)
    lost = [pk for pk in candidates if pk not in (held or ())]
    for pk in lost:
        logger.warning("Job %s was queued but its task was not: queued again.", pk)
        transaction.on_commit(lambda pk=pk: job_enqueue(pk), robust=True)
    return len(lost)


def jobs_recover(*, now: dt.datetime) -> int:
    """Give a job whose worker died (RUNNING for ``STALE_AFTER``) back to the queue, or fail
    it when its tries are spent, and queue again a job whose hand-over to the queue was lost;
    returns how many. Call from ``tick``."""
    recovered = _requeue_lost(now)
    stale = Job.objects.filter(state=JobState.RUNNING, started_at__lt=now - STALE_AFTER).values_list("pk", "attempts")
    for pk, attempts in list(stale[:PRUNE_BATCH]):
        mine = Job.objects.filter(pk=pk, state=JobState.RUNNING, attempts=attempts)
        if attempts < settings.JOB_MAX_ATTEMPTS:
            if mine.update(state=JobState.QUEUED):
                transaction.on_commit(lambda pk=pk: job_enqueue(pk), robust=True)
                recovered += 1
        elif mine.update(
            state=JobState.FAILED,
            error=_("The document could not be made: its work stopped unfinished several times."),
            finished_at=now,
            expires_at=now + dt.timedelta(hours=settings.JOB_FILE_HOURS),
        ):
            recovered += 1
    return recovered
