"""Background jobs (后台任务): asking for one, running it in the worker, retrying, pruning.

A heavy document (the whole ledger as PDF, a notice, a large import) is not made inside a web
request: the request writes a ``Job`` row and the task worker (``manage.py db_worker``, its own
process) runs it. What a job does is its *kind*: a ``JobKind`` registered here by the package
that renders documents (``notices.jobs``), holding

- ``check(actor, params)``: may this person ask for this, with these parameters? The same rules
  as the page the request comes from; raises a ``DomainError`` (nothing is written then);
- ``run(job, progress)``: make it, as the requester, calling ``progress(done, total)`` as rows
  go by, and return a ``JobOutput`` (a file and/or a result for the job's page).

The task (``supervision.jobs_tasks.job_run``) calls ``job_execute``, which is idempotent: it
takes a job only from QUEUED (or a RUNNING one whose worker has evidently died), so a task run
twice, or a job already finished, is skipped. A failure is logged with its traceback and kept
on the job as one line for the person; it is tried again later (``run_after``, waits doubling)
until ``JOB_MAX_ATTEMPTS``, then shown as FAILED, which the requester or the office may retry.
A refusal of the domain (the person may no longer see the letter…) fails at once: trying again
would only be refused again.

Files are private (the default storage, which has no public URL) and kept ``JOB_FILE_HOURS``;
``job_files_prune`` (from ``tick``) deletes them and marks their jobs EXPIRED. An upload held
between the steps of a flow (services/held_uploads.py: an import previewed, then confirmed) is
deleted by age at the same time.

A job is handed to the worker after its transaction commits (``on_commit``, robust: a queue that
refuses is logged, and the person still gets the job's page). Should that hand-over be lost (the
process died between the commit and the callback, or the queue refused), the job would wait in
QUEUED for ever, holding one of its requester's ``MAX_PENDING`` places and the dedupe of the same
request: ``jobs_recover`` (from ``tick``, every minute) queues such a job again once it is
``LOST_AFTER`` old and the queue holds no task for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Job, JobState, Membership, User
from supervision.outbox.expand import unit_offices

from .audit import audit_record
from .errors import DomainError, InvalidInput, InvalidTransition, NotAllowed
from .held_uploads import file_delete, upload_store
from .roles import office_ids

logger = logging.getLogger(__name__)

# A person's jobs waiting or running at once: a flood of requests queues behind nobody else's.
MAX_PENDING = 5
# A job RUNNING for this long has lost its worker (a restart, a crash): it may be taken again.
# The slowest kind (a 3,000-row ledger PDF) takes about a minute.
STALE_AFTER = dt.timedelta(minutes=30)
# Waits before another try: 30 s, then 1 min, 2 min … at most 10 min.
RETRY_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 600
# Progress is written at most this often (seconds): a poll a second sees it move, and a
# 5,000-row import costs a few dozen UPDATEs, not thousands.
PROGRESS_INTERVAL = 0.5
# A job QUEUED for this long with no task for it in the queue lost its hand-over: tick queues it
# again. Long enough for an on_commit callback to have run many times over.
LOST_AFTER = dt.timedelta(minutes=3)
# Where uploads waiting for their job are stored (private, like the results).
UPLOAD_FOLDER = "jobs/uploads"
PENDING = (JobState.QUEUED, JobState.RUNNING)
# Keys of ``params`` that are the job's own bookkeeping, not what the person asked for.
OWN_PARAMS = ("language", "upload")


@dataclass(frozen=True)
class JobOutput:
    """What a run made: a file (with the name and type the person receives it under) and/or a
    result the job's page shows (an import's count, its row errors)."""

    content: File | None = None
    filename: str = ""
    content_type: str = ""
    result: dict[str, Any] = field(default_factory=dict)


class JobTakenOver(Exception):
    """The job is no longer this run's (retried, pruned, taken by another worker): stop quietly."""


class JobProgress:
    """The ``progress(done, total)`` a runner calls as often as it likes.

    Writes ``rows_done``/``rows_total`` with a conditional UPDATE (only while the job is still
    this run's), at most every ``PROGRESS_INTERVAL`` seconds and always at the end of a phase.
    ``phase`` (e.g. "reading", "saving") lets a page say what the figures count. Inside a
    transaction the runner opened itself (an import saving its rows) nothing is written: the
    figures would only show at its commit, and the job's row would stay locked until then."""

    def __init__(self, job: Job) -> None:
        self.job_id = job.pk
        self.attempt = job.attempts
        self._depth = len(connection.atomic_blocks)
        self._last = float("-inf")
        self._phase = ""

    def __call__(self, done: int, total: int, *, phase: str = "") -> None:
        now = time.monotonic()
        if phase == self._phase and done < total and now - self._last < PROGRESS_INTERVAL:
            return
        if len(connection.atomic_blocks) > self._depth:
            return
        self._last, self._phase = now, phase
        total = max(total, 0)
        # An unknown total (a sheet that does not say its size) is 0: the page shows rows read.
        done = max(0, min(done, total) if total else done)
        written = Job.objects.filter(pk=self.job_id, state=JobState.RUNNING, attempts=self.attempt).update(
            rows_done=done, rows_total=total, result={"phase": phase} if phase else {}
        )
        if not written:
            raise JobTakenOver


@dataclass(frozen=True)
class JobKind:
    name: str
    check: Callable[[User, Mapping[str, Any]], None]
    run: Callable[[Job, JobProgress], JobOutput]
    # For a document that reads the same whoever asks (a published notice): the ``params``
    # lookups under which another person's finished file may be handed over instead of a new run.
    shared_as: Callable[[Mapping[str, Any]], dict[str, Any] | None] | None = None


KINDS: dict[str, JobKind] = {}


def job_kind_register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def _kind(name: str) -> JobKind:
    kind = KINDS.get(name)
    if kind is None:
        raise InvalidInput(_("Unknown kind of document."), field="kind")
    return kind


def _asked(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in OWN_PARAMS}


def job_enqueue(job_id: int, *, delay: float = 0) -> None:
    # Imported here: the task module imports this one.
    from supervision.jobs_tasks import job_run

    task = job_run.using(run_after=clock.now() + dt.timedelta(seconds=delay)) if delay > 0 else job_run
    task.enqueue(job_id)


def _shared_file(kind: JobKind, params: Mapping[str, Any], now: dt.datetime) -> Job | None:
    """A finished job of the same document whose file is still good for most of a day."""
    lookups = kind.shared_as(params) if kind.shared_as else None
    if lookups is None:
        return None
    fresh = now + dt.timedelta(hours=settings.JOB_FILE_HOURS / 2)
    return (
        Job.objects.filter(kind=kind.name, state=JobState.DONE, expires_at__gt=fresh, **lookups)
        .exclude(file="")
        .order_by("-expires_at")
        .first()
    )


def job_request(
    *,
    actor: User,
    kind: str,
    params: Mapping[str, Any],
    title: str,
    upload: File | None = None,
) -> Job:
    """Ask for a document: checks, writes the job and has the worker run it once committed.

    The same request while an earlier one of the person's is still waiting or running returns
    that one (a second click, a reload). ``upload`` (an import's file) is stored privately for
    the job and named in its ``params``. A document that reads the same for everyone who may
    see it comes at once, DONE, when someone had it made recently."""
    if not actor.is_authenticated or not actor.is_active:
        raise NotAllowed(_("Sign in to ask for a document."))
    spec = _kind(kind)
    params = dict(params)
    spec.check(actor, params)
    now = clock.now()
    stored = upload_store(upload, UPLOAD_FOLDER) if upload is not None else ""
    try:
        with transaction.atomic():
            # The person's row is the lock: two requests at once count each other's jobs.
            User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True).first()
            pending = list(Job.objects.filter(requested_by=actor, state__in=PENDING))
            if upload is None:
                for job in pending:
                    if job.kind == kind and _asked(job.params) == _asked(params):
                        return job
            if len(pending) >= MAX_PENDING:
                raise InvalidInput(
                    _(
                        "You already have %(n)d documents being prepared. Wait until one of them is ready "
                        "(see My downloads), then ask again."
                    )
                    % {"n": len(pending)},
                    field="kind",
                )
            full = {**params, "language": translation.get_language() or settings.LANGUAGE_CODE}
            if stored:
                full["upload"] = stored
            job = Job(kind=kind, params=full, title=title[:200], requested_by=actor, created_at=now)
            shared = _shared_file(spec, params, now)
            if shared is not None:
                # The same stored file: pruning deletes it only once no job refers to it any more.
                job.state, job.file, job.filename = JobState.DONE, shared.file.name, shared.filename
                job.content_type, job.result = shared.content_type, shared.result
                job.rows_done = job.rows_total = shared.rows_total
                job.started_at = job.finished_at = now
                job.expires_at = shared.expires_at
            job.save(force_insert=True)
            if job.state == JobState.QUEUED:
                transaction.on_commit(lambda: job_enqueue(job.pk), robust=True)
    except BaseException:
        if stored:
            file_delete(stored)
        raise
    return job


def may_manage(user: User, job: Job) -> bool:
    """The requester, and the staff of the office the requester works under (who help people
    with their documents): an office where the requester holds a role, or the nearest office
    above one of their units — never another city's office in a deployment with several."""
    if user.is_superuser or job.requested_by_id == user.pk:
        return True
    mine = office_ids(user)
    if not mine or job.requested_by_id is None:
        return False
    units = list(Membership.objects.filter(user_id=job.requested_by_id).values_list("unit_id", flat=True))
    return any(owners & mine for owners in unit_offices(units).values())


def job_retry(*, actor: User, job_id: Any) -> Job:
    """Run a FAILED job again from the start (the requester or the office), audited."""
    now = clock.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(uuid=job_id).first()
        if job is None or not may_manage(actor, job):
            raise NotAllowed(_("This job does not exist, or it is not yours."))
        if job.state != JobState.FAILED:
            raise InvalidTransition(_("Only a job that failed can be tried again."))
        # It runs as the person who asked: they must still be allowed to ask for it.
        _kind(job.kind).check(job.requested_by, _asked(job.params))
        error = job.error
        Job.objects.filter(pk=job.pk).update(
            state=JobState.QUEUED,
            attempts=0,
            rows_done=0,
            error="",
            result={},
            started_at=None,
            finished_at=None,
            expires_at=None,
        )
        audit_record(
            actor=actor,
            action="job.retried",
            from_state=JobState.FAILED,
            to_state=JobState.QUEUED,
            comment=error[:500],
            data={"job": str(job.uuid), "kind": job.kind, "requested_by": job.requested_by_id},
            at=now,
        )
        transaction.on_commit(lambda: job_enqueue(job.pk), robust=True)
    job.refresh_from_db()
    return job


# --- the worker's side ----------------------------------------------------------------------------


def _take(job_id: int, now: dt.datetime) -> Job | None:
    taken = (
        Job.objects.filter(pk=job_id)
        .filter(Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, started_at__lt=now - STALE_AFTER))
        .update(state=JobState.RUNNING, started_at=now, attempts=F("attempts") + 1, rows_done=0, result={})
    )
    if not taken:
        return None
    return Job.objects.select_related("requested_by").get(pk=job_id)


def job_execute(job_id: int) -> str:
    """Run one job (the task calls this); returns what became of it, for the task's log."""
    now = clock.now()
    job = _take(job_id, now)
    if job is None:
        return "skipped"
    kind = KINDS.get(job.kind)
    try:
        if kind is None:
            raise RuntimeError(f"no job kind {job.kind!r} is registered")
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            output = kind.run(job, JobProgress(job))
    except JobTakenOver:
        return "taken over"
    except Exception as exc:
        logger.exception("Job %s (%s, attempt %d) failed.", job.uuid, job.kind, job.attempts)
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            return _failed(job, exc)
    return _done(job, output)


def _done(job: Job, output: JobOutput) -> str:
    name = ""
    if output.content is not None:
        suffix = PurePosixPath(output.filename).suffix.lower()[:10]
        try:
            name = default_storage.save(
                job.file.field.generate_filename(job, f"{job.uuid.hex}{suffix}"), output.content
            )
        finally:
            output.content.close()
    now = clock.now()
    finished = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
        state=JobState.DONE,
        file=name,
        filename=output.filename[:200],
        content_type=output.content_type[:100],
        result=output.result,
        rows_done=F("rows_total"),
        error="",
        finished_at=now,
        expires_at=now + dt.timedelta(hours=settings.JOB_FILE_HOURS),
    )
    if not finished:
        if name:
            file_delete(name)
        return "taken over"
    # The uploaded sheet has served; a finished import is not run again.
    if upload := job.params.get("upload"):
        file_delete(upload)
    return "done"


def _message(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    # One line for the person, no traceback (that is in the log, under the job's id).
    return _(
        "The document could not be made because of an unexpected error (%(error)s). It has been "
        "recorded for the system administrator."
    ) % {"error": type(exc).__name__}


def _failed(job: Job, exc: Exception) -> str:
    now = clock.now()
    message = _message(exc)
    mine = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts)
    if not isinstance(exc, DomainError) and job.attempts < settings.JOB_MAX_ATTEMPTS:
        if mine.update(state=JobState.QUEUED, error=message):
            delay = min(MAX_BACKOFF_SECONDS, RETRY_BACKOFF_SECONDS * 2 ** (job.attempts - 1))
            transaction.on_commit(lambda: job_enqueue(job.pk, delay=delay), robust=True)
            return "will retry"
        return "taken over"
    # Kept (with an uploaded sheet) for a retry until the files of the day are pruned.
    mine.update(
        state=JobState.FAILED,
        error=message,
        finished_at=now,
        expires_at=now + dt.timedelta(hours=settings.JOB_FILE_HOURS),
    )
    return "failed"
