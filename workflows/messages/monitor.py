"""The office's monitor, 消息与后台任务: deliveries that failed or wait for quiet hours to end,
with each attempt, filtered by status, channel kind and unit; background jobs that failed. A
clerk or director retries one delivery, the selected ones, or a job; a channel's "send a test
message" button lands here too. Reads through supervision.selectors.messages; the retries are
the outbox's and the jobs' services."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from supervision.models import ChannelKind
from supervision.outbox.services import (
    channel_test_message,
    deliveries_looked_after,
    deliveries_retry_failed,
    delivery_retry,
)
from supervision.selectors import messages as sel
from supervision.services import DomainError
from supervision.services.jobs import job_retry
from workflows.params import id_or_404, int_param, parse_id

from .channels import channel_or_404, channel_page

# At most this many deliveries are retried with one click (a page holds fewer).
RETRY_AT_ONCE = 200


def _office_only(request: HttpRequest) -> None:
    if not sel.is_office_configurer(request.user):
        raise PermissionDenied


def _back(request: HttpRequest) -> str:
    """Back to the monitor with its filters (a path of this site only)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None) and target.startswith("/messages/"):
        return target
    return reverse("messages:monitor")


@login_required
@require_GET
def monitor(request: HttpRequest) -> HttpResponse:
    _office_only(request)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    f = sel.MonitorFilter(
        status=status if status in sel.MONITOR_STATUSES else "",
        kind=kind if kind in ChannelKind.values else "",
        unit_id=int_param(request, "unit"),
    )
    data = sel.monitor_deliveries(f, page=int_param(request, "page") or 1, user=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "messages/monitor.html",
        {
            "f": f,
            "data": data,
            "jobs": sel.failed_jobs(request.user),
            "statuses": [(s.value, s.label) for s in sel.MONITOR_STATUSES],
            "kinds": ChannelKind.choices,
            "units": sel.units_with_channels(request.user),
            "query": query.urlencode(),
            "here": request.get_full_path(),
        },
    )


@login_required
@require_POST
def delivery_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    _office_only(request)
    pk = id_or_404(pk)
    # Another office's message is not found here.
    if not deliveries_looked_after(request.user, [pk]):
        raise Http404
    try:
        delivery_retry(actor=request.user, delivery_id=pk)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The message is queued to be sent again."))
    return HttpResponseRedirect(_back(request))


@login_required
@require_POST
def retry_selected(request: HttpRequest) -> HttpResponse:
    _office_only(request)
    ids = sorted({i for raw in request.POST.getlist("id")[:RETRY_AT_ONCE] if (i := parse_id(raw)) is not None})
    if not ids:
        messages.error(request, _("Select the deliveries to retry."))
        return HttpResponseRedirect(_back(request))
    if len(deliveries_looked_after(request.user, ids)) < len(ids):
        raise Http404
    try:
        result = deliveries_retry_failed(actor=request.user, ids=ids)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if result:
            messages.success(request, _("Messages queued to be sent again: %(n)d.") % {"n": result})
        else:
            messages.warning(request, _("None of the selected messages had failed: nothing was sent again."))
    return HttpResponseRedirect(_back(request))


@login_required
@require_POST
def job_retry_view(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    _office_only(request)
    # A job the monitor does not show the person (another office's) is not found here.
    if sel.failed_job_for(request.user, job_id) is None:
        raise Http404
    try:
        job_retry(actor=request.user, job_id=job_id)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The job is queued to run again."))
    return HttpResponseRedirect(_back(request))


@login_required
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    channel = channel_or_404(request, pk)
    try:
        channel_test_message(actor=request.user, channel=channel)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("A test message to %(name)s is on its way: it shows under the channel's recent deliveries.")
            % {"name": channel.name},
        )
    return HttpResponseRedirect(channel_page(channel))
