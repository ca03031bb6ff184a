"""Batch actions on the lists (批量办理): tick rows (or take everything the list's filter
matches, up to MAX_BATCH), choose the action, see what will happen to each row — allowed, or
refused and why, read from the step table the services use — confirm once, then read what was
done and, for each refusal, why.

The preview is a GET of the choice (the list's own filter fields ride along, so "everything
matching" is the list's rows exactly); the confirmation is a POST carrying a one-time token,
and its answer is a redirect to the run's result page, so a reload shows the result again and
a resent form is answered with the first run (supervision/services/batches.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from supervision.models import Assignment
from supervision.parsing import parse_id
from supervision.selectors import batches as rows_of
from supervision.selectors import queues
from supervision.selectors.search import AssignmentFilters, office_filter
from supervision.services import DomainError, batches
from supervision.services.batches import MAX_BATCH, BatchStep

from . import buttons, forms

SUBJECTS = ("assignment", "extension")
# The action a queue's tab puts first in the batch bar.
QUEUE_DEFAULT = {
    "unclaimed": "claim",
    "mine": "carry_forward",
    "unit_signoff": "approve_completion",
    "to_verify": "verify",
    "to_close": "close",
}
# The batch form's own fields; everything else in its query string is the list's filter.
_OWN_FIELDS = {"subject", "action", "scope", "id", "after", "token", "person", "comment", "csrfmiddlewaretoken"}
# The form field each batch input is typed in (a claim's responsible person as on the task page).
_FIELDS = {"responsible_person": "person", "comment": "comment"}


@dataclass(frozen=True)
class Offer:
    key: str
    label: str | Promise


def _label(subject: str, key: str) -> str | Promise:
    return (buttons.ASSIGNMENT if subject == "assignment" else buttons.EXTENSION)[key].label


def _offers(request: HttpRequest, subject: str) -> list[Offer]:
    return [Offer(b.step.key, _label(subject, b.step.key)) for b in batches.batch_steps_for(request.user, subject)]


def _filter_params(query: QueryDict) -> list[tuple[str, str]]:
    return [(k, v) for k, values in query.lists() if k not in _OWN_FIELDS for v in values]


def list_context(request: HttpRequest, subject: str, *, queue: str = "") -> dict:
    """What a list page needs to offer its batch actions (nothing to someone with none)."""
    offers = _offers(request, subject)
    if not offers:
        return {"batch_actions": []}
    return {
        "batch_actions": offers,
        "batch_default": QUEUE_DEFAULT.get(queue, ""),
        "batch_query": _filter_params(request.GET),
        "batch_cap": MAX_BATCH,
    }


def list_query(
    request: HttpRequest, queue_keys: set[str]
) -> tuple[str, forms.FilterForm, AssignmentFilters, QuerySet[Assignment] | None]:
    """The queue (one of ``queue_keys``, else "all"), the filter form, the filters and the
    queue's base set that a task list's query string asks for. The list page and its batch
    actions read their rows through this, so "everything matching" is what the list shows."""
    queue = request.GET.get("queue", "all")
    if queue not in queue_keys:
        queue = "all"
    # Until the filter bar is submitted, a list shows the work still open, soonest first.
    query = request.GET.copy()
    if "filtered" not in query and queue == "all":
        query["open"] = "on"
    form = forms.FilterForm(query, user=request.user)
    filters = form.filters()
    base = None if queue == "all" else queues.ALL_QUEUES[queue].assignments(request.user)
    return queue, form, filters, form.within_parent(base, request.user)


def _queue_keys(request: HttpRequest) -> set[str]:
    # The queues the user has a role for: the list page's tabs (queues.queue_counts' keys).
    user = request.user
    return {"all"} | {key for key, q in queues.ALL_QUEUES.items() if queues.units_where(user, *q.roles)}


def _chosen(request: HttpRequest, data: QueryDict) -> tuple[str, BatchStep] | None:
    """The subject and batch step the form names, if offered to this person."""
    subject = data.get("subject", "assignment")
    if subject not in SUBJECTS:
        return None
    key = data.get("action", "")
    for b in batches.batch_steps_for(request.user, subject):
        if b.step.key == key:
            return subject, b
    return None


def _ids(values: list[str]) -> list[int]:
    return [pk for pk in (parse_id(v) for v in values) if pk is not None]


def _list_url(subject: str | None, params: list[tuple[str, str]]) -> str:
    if subject == "extension":
        # The extension list's one filter is the office (``by``): the way back keeps it.
        office = [(k, v) for k, v in params if k == "by"][-1:]
        return reverse("tasks:extensions") + (f"?{urlencode(office)}" if office else "")
    query = urlencode(params)
    return reverse("tasks:list") + (f"?{query}" if query else "")


@login_required
@require_http_methods(["GET", "POST"])
def batch(request: HttpRequest) -> HttpResponse:
    """GET: the preview of a batch action; POST: its confirmation."""
    if request.method == "POST":
        return _run(request)
    return _preview(request)


def _preview(request: HttpRequest) -> HttpResponse:
    user, query = request.user, request.GET
    params = _filter_params(query)
    chosen = _chosen(request, query)
    if chosen is None:
        messages.error(request, _("Choose one of the actions offered."))
        return HttpResponseRedirect(_list_url(query.get("subject"), params))
    subject, b = chosen
    more = False
    if query.get("scope") == "filter":
        if subject == "assignment":
            _queue, _form, filters, base = list_query(request, _queue_keys(request))
            rows, more = rows_of.assignments_matching(user, filters, base, MAX_BATCH)
        else:
            office = office_filter(user, query.get("by"))
            rows, more = rows_of.extensions_waiting(user, b.step.key, MAX_BATCH, office)
    else:
        ids = _ids(query.getlist("id"))[:MAX_BATCH]
        chosen_rows = rows_of.assignments_chosen if subject == "assignment" else rows_of.extensions_chosen
        rows = chosen_rows(user, ids)
    if not rows:
        messages.error(request, _("Choose at least one task."))
        return HttpResponseRedirect(_list_url(subject, params))
    refusals = batches.preview(actor=user, step=b.step, objects=rows)
    allowed = sum(1 for r in refusals if r is None)
    return render(
        request,
        "tasks/batch_preview.html",
        {
            "subject": subject,
            "action": b.step.key,
            "label": _label(subject, b.step.key),
            "inputs": b.inputs,
            "rows": list(zip(rows, refusals, strict=True)),
            "allowed": allowed,
            "refused": len(rows) - allowed,
            "more": more,
            "cap": MAX_BATCH,
            # One token per confirmation form: sent twice, it runs once (services.batches).
            "token": secrets.token_urlsafe(16),
            "back": _list_url(subject, params),
            "params": params,
        },
    )


def _run(request: HttpRequest) -> HttpResponse:
    user, post = request.user, request.POST
    params = _filter_params(post)
    chosen = _chosen(request, post)
    if chosen is None:
        messages.error(request, _("Choose one of the actions offered."))
        return HttpResponseRedirect(_list_url(post.get("subject"), params))
    subject, b = chosen
    token = post.get("token", "")
    if not token:
        messages.error(request, _("This form is no longer valid: reload the page and send it again."))
        return HttpResponseRedirect(_list_url(subject, params))
    # What this person may not see is left out, as the pages leave it out: never "refused".
    ids = rows_of.visible_ids(user, subject, _ids(post.getlist("id"))[: MAX_BATCH + 1])
    run = batches.assignments_batch if subject == "assignment" else batches.extensions_batch
    inputs = {name: post.get(_FIELDS[name], "") for name in b.inputs}
    try:
        run(actor=user, step=b.step, ids=ids, token=token, **inputs)
    except DomainError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(_list_url(subject, params))
    # The list's filter rides along, for the result page's way back to the same list.
    query = urlencode(params)
    return HttpResponseRedirect(reverse("tasks:batch_done", args=[token]) + (f"?{query}" if query else ""))


@login_required
@require_GET
def batch_done(request: HttpRequest, token: str) -> HttpResponse:
    """What a batch run did: each task done, and each refusal with its reason."""
    event = batches.batch_record(request.user, token)
    if event is None:
        raise Http404
    result = batches.result_of(event)
    if result.subject not in SUBJECTS:
        raise Http404
    found = rows_of.batch_rows(request.user, result.subject, [*result.done, *(r.pk for r in result.refused)])
    return render(
        request,
        "tasks/batch_done.html",
        {
            "subject": result.subject,
            "label": _label(result.subject, result.step),
            "done": [(pk, found.get(pk)) for pk in result.done],
            "refused": [(r.pk, found.get(r.pk), r.reason) for r in result.refused],
            "at": event.at,
            "back": _list_url(result.subject, _filter_params(request.GET)),
        },
    )
