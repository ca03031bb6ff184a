"""Assignment pages. Each view reads through selectors and writes through one service call;
a refused action comes back as a message on the page it was tried from, never an error page."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from supervision import services
from supervision.links import notification_url
from supervision.models import Assignment, ExtensionRequest, ProgressReport, Unit
from supervision.selectors import queues, task_page, visibility
from supervision.selectors.reports import cycle_report
from supervision.selectors.search import PAGE_SIZE, assignment_search, light_expression, office_choices, office_filter
from supervision.services import DomainError
from supervision.services.roles import office_ids, unit_ids
from workflows.files import private_file
from workflows.params import id_or_404

from . import batch, buttons, forms, hand_down_page

QUEUE_TITLES = {
    "all": _("All assignments"),
    "unclaimed": _("To claim"),
    "mine": _("Claimed by me"),
    "unit_signoff": _("Awaiting my sign-off"),
    "returned": _("Returned"),
    "to_verify": _("To verify"),
    "to_close": _("To write off"),
    "closed": _("Written off"),
    # The unit above a sub-task (分解/转办) in the office's place: what waits on it below.
    "sub_to_verify": _("Sub-tasks to verify"),
    "sub_to_close": _("Sub-tasks to write off"),
    "sub_returned": _("Sub-tasks returned"),
    "handed_down": _("Handed down"),
}


# --- lists ----------------------------------------------------------------------------------------


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    counts = queues.queue_counts(request.user)
    tabs = [("all", QUEUE_TITLES["all"], None)] + [
        (key, QUEUE_TITLES[key], counts[key]) for key in queues.ALL_QUEUES if key in counts
    ]
    queue, form, filters, base = batch.list_query(request, {k for k, _t, _n in tabs})
    for name, errors in form.errors.items():
        messages.warning(request, _("Filter “%(field)s” ignored: %(error)s") % {"field": name, "error": errors[0]})
    page = assignment_search(request.user, filters, cursor=request.GET.get("after", ""), size=PAGE_SIZE, base=base)
    next_query = None
    if page.next_cursor:
        query = request.GET.copy()
        query["after"] = page.next_cursor
        next_query = query.urlencode()
    pending_extensions = counts.get("extensions_to_sign", 0) + counts.get("extensions_to_decide", 0)
    return render(
        request,
        "tasks/list.html",
        {
            "pending_extensions": pending_extensions,
            "has_extension_queue": "extensions_to_sign" in counts or "extensions_to_decide" in counts,
            "tabs": tabs,
            "queue": queue,
            "title": QUEUE_TITLES[queue],
            "form": form,
            "page": page,
            "next_query": next_query,
            "first_page": bool(request.GET.get("after")),
            # The level filter and the "handed down by" column: for the office and for a unit
            # with units below it (分解/转办); a township's list has one level only.
            "show_levels": _has_levels(request.user),
            # On a phone the filters fold behind a button that says how many are set.
            "filters_set": sum(1 for name in FOLDED_FILTERS if form.cleaned_data.get(name)) + bool(filters.office),
            # The office filter (``?by=``): a choice for a person in two offices or more; for
            # anyone else the office a link asked for, kept when the filters are changed.
            "offices": office_choices(request.user),
            "office_filter": filters.office,
            **batch.list_context(request, "assignment", queue=queue),
        },
    )


def _has_levels(user: Any) -> bool:
    if office_ids(user) or user.is_superuser:
        return True
    return Unit.objects.filter(parent_id__in=unit_ids(user), is_active=True).exists()


# The filters the phone's fold counts: "open only" is on by default and the unit and letter come
# from links, so they do not count as a person's choice.
FOLDED_FILTERS = ("q", "state", "light", "level", "peer_group", "category", "source", "site", "overdue")


# --- one assignment -------------------------------------------------------------------------------


def _assignment(request: HttpRequest, pk: int) -> Assignment:
    a = visibility.assignment_get(request.user, id_or_404(pk))
    if a is None:
        # Not found and not yours look the same: nothing leaks about other units' work.
        raise Http404
    return a


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assignment(request, pk)
    return render(request, "tasks/detail.html", detail_context(request, a))


def detail_context(request: HttpRequest, a: Assignment, **forms_shown: Any) -> dict[str, Any]:
    """What the task page shows of ``a`` to this person. ``forms_shown``: a hand-down form
    posted and refused, shown again with its errors (hand_down.py)."""
    reports = ProgressReport.objects.filter(assignment=a).select_related("author").prefetch_related("evidence")
    extensions = list(
        ExtensionRequest.objects.filter(assignment=a).select_related("requested_by").order_by("-requested_at")
    )
    offered = buttons.assignment_buttons(request.user, a)
    timeline = task_page.task_timeline(a)
    context = {
        "a": a,
        "item": a.item,
        "letter": a.letter,
        "light": _light(a),
        "actions": offered,
        "cycle_report": cycle_report(a),
        # A fresh one-time token for the report forms of this page (see forms.ReportForm).
        "form_token": secrets.token_urlsafe(16),
        "timeline": timeline,
        # Which deadline holds once it moved (an extension, the lead's extension): the page says so.
        "deadline_note": task_page.deadline_note(a, timeline),
        "reports": reports.order_by("-created_at"),
        "signoffs": a.signoffs.select_related("signed_by").order_by("-signed_at"),
        "extensions": [(e, buttons.extension_buttons(request.user, _of(e, a))) for e in extensions],
        "partners": task_page.task_partners(request.user, a),
        # 分解 / 转办: the task above, the sub-tasks below, and the forms to hand it down.
        **hand_down_page.context(request, a, offered, **forms_shown),
    }
    if any(x.key == "reassign" for x in offered):
        context["reassign_targets"] = queues.reassign_targets(a)
    return context


def _of(ext: ExtensionRequest, a: Assignment) -> ExtensionRequest:
    # The request's assignment is the page's, already read with its letter.
    ext.assignment = a
    return ext


def _light(a: Assignment) -> str:
    return Assignment.objects.filter(pk=a.pk).annotate(light=light_expression()).values_list("light", flat=True)[0]


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return HttpResponseRedirect(target)


def _call(request: HttpRequest, do: Callable[[], Any], done: str) -> bool:
    try:
        do()
    except DomainError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, done)
    return True


DONE = {
    "claim": _("Claimed. It is now in your list."),
    "unclaim": _("Released to the unit's queue."),
    "request_return": _("Return sent to your unit leader for signature."),
    "approve_return": _("Return signed and sent to the office."),
    "refuse_return": _("Return refused: the unit keeps the assignment."),
    "reassign": _("Reassigned."),
    "reissue": _("Sent back to the unit."),
    "start": _("Work started."),
    "report_progress": _("Progress reported."),
    "submit_completion": _("Completion report sent to your unit leader for signature."),
    "approve_completion": _("Signed and sent to the office for verification."),
    "refuse_completion": _("Completion report sent back to the liaison."),
    "verify": _("Verified."),
    "reject": _("Rejected: back to the unit with your reason."),
    "close": _("Written off."),
    "reopen": _("Reopened."),
    "carry_forward": _("The last report was carried forward for this cycle."),
    "request_extension": _("Extension request sent to your unit leader for signature."),
    "break_down": _("Broken down: each unit below has its sub-task and has been told."),
    "forward": _("Forwarded: the unit below has the task and has been told."),
    "roll_up": _("Completion report with the sub-tasks' reports sent to your unit leader for signature."),
}
# On a sub-task the unit above stands where the office stands for its own tasks.
SUB_TASK_DONE = {
    "approve_return": _("Return signed and sent to the unit above."),
    "approve_completion": _("Signed and sent to the unit above for verification."),
}


def done_message(action: str, a: Assignment) -> str:
    """What the page says once ``action`` is taken on ``a``."""
    if a.parent_id is not None and action in SUB_TASK_DONE:
        return SUB_TASK_DONE[action]
    return DONE[action]


@login_required
@require_POST
def task_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    a = _assignment(request, pk)
    detail = reverse("tasks:detail", args=[a.pk])
    if action not in DONE:
        raise Http404
    user, post = request.user, request.POST
    if action == "request_extension":
        form = forms.ExtensionForm(post)
        if not form.is_valid():
            messages.error(request, _("Give a valid new deadline."))
            return _back(request, detail)
        _call(
            request,
            lambda: services.extension_request(
                actor=user,
                assignment=a.pk,
                requested_deadline=form.cleaned_data["deadline"],
                reason=form.cleaned_data["reason"],
            ),
            DONE[action],
        )
        return _back(request, detail)
    needs = buttons.ASSIGNMENT[action].needs
    form_class = {
        "": forms.CommentForm,
        "comment": forms.CommentForm,
        "reason": forms.ReasonForm,
        "person": forms.PersonForm,
        "report": forms.ReportForm,
        "unit": forms.UnitForm,
    }.get(needs)
    if form_class is None:
        # 分解, 转办 and the roll-up have views of their own (hand_down.py).
        raise Http404
    form = form_class(post, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(request, detail)
    data = form.cleaned_data
    call = _service_call(action, user, a.pk, data)
    done = _call(request, call, done_message(action, a))
    if done and action == "reassign":
        return HttpResponseRedirect(reverse("tasks:list") + "?queue=returned")
    return _back(request, detail)


def _service_call(action: str, user: Any, pk: int, data: dict) -> Callable[[], Any]:
    s = services
    comment, reason = data.get("comment", ""), data.get("reason", "")
    calls: dict[str, Callable[[], Any]] = {
        "claim": lambda: s.assignment_claim(actor=user, assignment=pk, responsible_person=data.get("person", "")),
        "unclaim": lambda: s.assignment_unclaim(actor=user, assignment=pk, comment=comment),
        "request_return": lambda: s.assignment_request_return(actor=user, assignment=pk, reason=reason),
        "approve_return": lambda: s.assignment_approve_return(actor=user, assignment=pk, comment=comment),
        "refuse_return": lambda: s.assignment_refuse_return(actor=user, assignment=pk, comment=reason),
        "reassign": lambda: s.assignment_reassign(actor=user, assignment=pk, unit=data["unit"], comment=comment),
        "reissue": lambda: s.assignment_reissue(actor=user, assignment=pk, comment=reason),
        "start": lambda: s.assignment_start(actor=user, assignment=pk),
        "report_progress": lambda: s.assignment_report_progress(
            actor=user, assignment=pk, text=data["text"], files=data["files"], token=data["token"]
        ),
        "submit_completion": lambda: s.assignment_submit_completion(
            actor=user, assignment=pk, text=data["text"], files=data["files"], token=data["token"]
        ),
        "approve_completion": lambda: s.assignment_approve_completion(actor=user, assignment=pk, comment=comment),
        "refuse_completion": lambda: s.assignment_refuse_completion(actor=user, assignment=pk, comment=reason),
        "verify": lambda: s.assignment_verify(actor=user, assignment=pk, comment=comment),
        "reject": lambda: s.assignment_reject(actor=user, assignment=pk, reason=reason),
        "close": lambda: s.assignment_close(actor=user, assignment=pk, comment=comment),
        "reopen": lambda: s.assignment_reopen(actor=user, assignment=pk, reason=reason),
        "carry_forward": lambda: s.assignment_carry_forward(actor=user, assignment=pk),
    }
    return calls[action]


EXTENSION_DONE = {
    "sign": _("Extension request signed and sent to the office."),
    "refuse": _("Extension request refused."),
    "approve": _("New deadline approved."),
    "reject": _("Extension request rejected; the deadline stays."),
}


@login_required
@require_POST
def extension_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    pk = id_or_404(pk)
    ext = ExtensionRequest.objects.filter(pk=pk).values_list("assignment_id", flat=True).first()
    if ext is None or action not in EXTENSION_DONE:
        raise Http404
    a = _assignment(request, ext)
    form = forms.ReasonForm(request.POST) if buttons.EXTENSION[action].needs == "reason" else None
    comment = request.POST.get("reason") or request.POST.get("comment") or ""
    if form is not None and not form.is_valid():
        comment = ""
    call = {
        "sign": services.extension_sign,
        "refuse": services.extension_refuse,
        "approve": services.extension_approve,
        "reject": services.extension_reject,
    }[action]
    _call(request, lambda: call(actor=request.user, extension=pk, comment=comment[:4000]), EXTENSION_DONE[action])
    return _back(request, reverse("tasks:detail", args=[a.pk]))


# --- files ----------------------------------------------------------------------------------------


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = visibility.evidence_visible_to(request.user).filter(pk=id_or_404(pk)).first()
    if evidence is None:
        raise Http404
    return private_file(evidence)


# --- the inbox ------------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    rows = list(visibility.inbox_of(request.user, unread_only=unread_only)[:100])
    for n in rows:
        n.url = notification_url(n)
    return render(
        request,
        "tasks/inbox.html",
        {"rows": rows, "unread_only": unread_only, "unread": visibility.unread_count(request.user)},
    )


@login_required
@require_POST
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        n = services.notification_mark_read(actor=request.user, notification=id_or_404(pk))
    except DomainError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("tasks:inbox"))
    url = notification_url(n)
    if url and request.POST.get("open"):
        return HttpResponseRedirect(url)
    return _back(request, reverse("tasks:inbox"))


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    n = services.notification_mark_all_read(actor=request.user)
    messages.success(request, _("%(n)d notifications marked read.") % {"n": n})
    return HttpResponseRedirect(reverse("tasks:inbox"))


@login_required
@require_GET
def extension_list(request: HttpRequest) -> HttpResponse:
    """Extension requests waiting on this person: the unit leader's to sign, the office's to decide;
    with ``?by=`` one of their offices, those on the tasks of that office's letters."""
    user = request.user
    office = office_filter(user, request.GET.get("by"))
    waiting = []
    for qs in (queues.extensions_to_sign(user), queues.extensions_to_decide(user)):
        if office is not None:
            qs = qs.filter(assignment__letter__office_id=office)
        for ext in qs.select_related("assignment__item", "assignment__unit", "assignment__letter", "requested_by")[
            :200
        ]:
            waiting.append((ext, buttons.extension_buttons(user, ext)))
    return render(
        request,
        "tasks/extensions.html",
        {
            "rows": waiting,
            "offices": office_choices(user),
            "office_filter": office,
            **batch.list_context(request, "extension"),
        },
    )
