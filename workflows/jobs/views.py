"""Background jobs' pages (后台任务, "My downloads"): one job with its progress, its file or its
error; the JSON its page polls; the file itself; a retry; one's jobs of the last day.

A job is shown to the person who asked for it and to the office, to nobody else: anyone else,
like a job id that names nothing, gets a 404. The file comes from private storage through
``job_file`` after the same check; there is no public URL to it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from supervision.models import Job, JobState
from supervision.selectors.jobs import job_get, job_state_label, job_status, jobs_recent
from supervision.services import DomainError
from supervision.services.jobs import job_retry, may_manage

logger = logging.getLogger(__name__)


def _visible(request: HttpRequest, job_id: object) -> Job:
    job = job_get(request.user, job_id)
    if job is None:
        raise Http404
    return job


def job_url(job: Job) -> str:
    return reverse("jobs:detail", args=[job.uuid])


def progress_text(status: dict[str, Any]) -> str:
    """The line under the bar, as the page and its poll show it."""
    figures = {"done": status["rows_done"], "total": status["rows_total"], "percent": status["percent"]}
    state, phase = status["state"], status["phase"]
    if state == JobState.QUEUED:
        return _("Waiting for its turn…")
    if state == JobState.DONE:
        return _("Ready.")
    if state != JobState.RUNNING:
        return ""
    if phase == "reading":
        if figures["total"]:
            return _("Checking rows: %(done)d of %(total)d") % figures
        return _("Checking rows: %(done)d read") % figures
    if phase == "saving":
        return _("Saving: %(done)d of %(total)d") % figures
    if figures["total"]:
        return _("%(done)d of %(total)d done (%(percent)d%%)") % figures
    return _("Starting…")


@never_cache
@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = list(jobs_recent(request.user))
    for job in jobs:
        job.state_label = job_state_label(job)
    return render(request, "jobs/list.html", {"jobs": jobs})


@never_cache
@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: object) -> HttpResponse:
    job = _visible(request, job_id)
    result = job.result if isinstance(job.result, dict) else {}
    status = job_status(job)
    return render(
        request,
        "jobs/detail.html",
        {
            "job": job,
            "progress_text": progress_text(status),
            "state_label": status["state_label"],
            "result": result,
            "pending": job.state in (JobState.QUEUED, JobState.RUNNING),
            "may_retry": job.state == JobState.FAILED and may_manage(request.user, job),
            "has_file": job.state == JobState.DONE and bool(job.file),
        },
    )


@never_cache
@login_required
@require_GET
def job_status_json(request: HttpRequest, job_id: object) -> JsonResponse:
    """``{state, state_label, rows_done, rows_total, percent, phase, finished, text}``; 404 for a job
    the person may not see."""
    job = job_get(request.user, job_id)
    if job is None:
        return JsonResponse({"state": "unknown"}, status=404)
    status = job_status(job)
    return JsonResponse({**status, "text": progress_text(status)})


@never_cache
@login_required
@require_GET
def job_file(request: HttpRequest, job_id: object) -> HttpResponse:
    job = _visible(request, job_id)
    if job.state != JobState.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except OSError:
        logger.error("The file %s of job %s cannot be read.", job.file.name, job.uuid, exc_info=True)
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=job.filename or job.file.name, content_type=job.content_type or None
    )
    # The stored content never runs as a page of ours.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def job_retry_view(request: HttpRequest, job_id: object) -> HttpResponse:
    job = _visible(request, job_id)
    try:
        job_retry(actor=request.user, job_id=job.uuid)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The job will be tried again."))
    return HttpResponseRedirect(job_url(job))
