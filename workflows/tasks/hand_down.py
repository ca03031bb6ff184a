"""The task page's hand-down steps: 分解 (break a task down into parts for units below), 转办
(forward it whole to one unit below) and the roll-up (report completion with the sub-tasks'
reports once they are all written off).

Each posts one service call. A refusal of what was typed comes back on the task page with the
form as it was sent and the message beside the row or field the service names, and nothing
created (the service's transaction); a refusal of the step itself (no longer allowed, the task
moved on) is a message on the page, as for every other step. Without the script, "add another
unit" and "remove" are submit buttons: the form comes back with a row more or less, nothing sent
to the service.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supervision import clock, services
from supervision.models import Assignment
from supervision.selectors import hand_down as hand_down_selectors
from supervision.services import DomainError, InvalidInput

from .forms import MAX_TEXT
from .hand_down_forms import BasePartFormSet, CommentOnly, ForwardForm, RollUpForm, part_formset, posted_rows
from .views import _assignment, detail_context, done_message

# Where a refusal names a part: "parts.2.deadline", "parts[2].deadline" or "2.deadline".
_PART_FIELD = re.compile(r"^(?:parts)?[.\[]?(\d+)\]?\.?(\w*)$")


def refused_where(exc: DomainError) -> tuple[int | None, str | None]:
    """The part (its position) and the field a refusal names, if any: the service says it by a
    ``row`` beside the field, or in the field's name."""
    row = getattr(exc, "row", None)
    field = exc.field or None
    if row is None and field:
        found = _PART_FIELD.match(field)
        if found:
            row, field = int(found.group(1)), found.group(2) or None
    return (int(row) if row is not None else None), field


def _again(request: HttpRequest, a: Assignment, **shown: Any) -> HttpResponse:
    """The task page with a hand-down form as it was posted (400: not done)."""
    response = render(request, "tasks/detail.html", detail_context(request, a, **shown), status=400)
    return response


def _put_beside(form: BaseForm, field: str | None, message: str) -> None:
    form.add_error(field if field in form.fields else None, message)


def _detail(a: Assignment) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("tasks:detail", args=[a.pk]))


@login_required
@require_POST
def break_down(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assignment(request, pk)
    targets = hand_down_selectors.hand_down_targets(a)
    options = {"targets": targets, "deadline": a.deadline, "today": clock.today()}
    post = request.POST
    if "add_row" in post or "remove_row" in post:
        rows = posted_rows(post)
        if "add_row" in post:
            rows.append({"unit": "", "measures": "", "deadline": a.deadline.isoformat()})
        else:
            drop = post.get("remove_row", "")
            rows = [r for n, r in enumerate(rows) if str(n) != drop] or rows
        formset = part_formset(initial=rows, **options)
        shown = {"break_down": formset, "comment": post.get("comment", "")[:MAX_TEXT]}
        return render(request, "tasks/detail.html", detail_context(request, a, **shown))
    formset = part_formset(post, **options)
    note = CommentOnly(post)
    comment = post.get("comment", "")[:MAX_TEXT]
    if not (formset.is_valid() and note.is_valid()):
        return _again(request, a, break_down=formset, comment=comment)
    from supervision.services.hand_down import SubTaskPart

    parts = [
        SubTaskPart(
            unit_id=f.cleaned_data["unit"], deadline=f.cleaned_data["deadline"], measures=f.cleaned_data["measures"]
        )
        for f in formset.forms
        if f.cleaned_data  # a row added and left empty
    ]
    try:
        created = services.assignment_break_down(
            actor=request.user, assignment=a.pk, parts=parts, comment=note.cleaned_data["comment"]
        )
    except InvalidInput as exc:
        _refused_part(formset, exc)
        return _again(request, a, break_down=formset, comment=comment)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _detail(a)
    n = len(created)
    messages.success(
        request,
        ngettext(
            "Broken down into %(n)d sub-task: the unit below has been told.",
            "Broken down into %(n)d sub-tasks: each unit below has been told.",
            n,
        )
        % {"n": n},
    )
    return _detail(a)


def _refused_part(formset: BasePartFormSet, exc: DomainError) -> None:
    # A refusal naming its parts one by one ({position: [messages]}) goes beside each of them.
    rows = getattr(exc, "rows", None)
    if isinstance(rows, dict) and rows:
        for n, said in rows.items():
            if 0 <= int(n) < len(formset.forms):
                for message in [said] if isinstance(said, str) else said:
                    formset.forms[int(n)].add_error(None, str(message))
        return
    row, field = refused_where(exc)
    if row is not None and 0 <= row < len(formset.forms):
        _put_beside(formset.forms[row], field, str(exc))
    else:
        # Not about one part (the comment, the whole break-down): above the rows.
        formset._non_form_errors = formset.error_class([*formset.non_form_errors(), str(exc)])


@login_required
@require_POST
def forward(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assignment(request, pk)
    targets = hand_down_selectors.hand_down_targets(a)
    form = ForwardForm(request.POST, targets=targets, deadline=a.deadline, today=clock.today())
    if not form.is_valid():
        return _again(request, a, forward=form)
    data = form.cleaned_data
    try:
        services.assignment_forward(
            actor=request.user,
            assignment=a.pk,
            unit_id=data["unit"],
            deadline=data["deadline"],
            comment=data["comment"],
        )
    except InvalidInput as exc:
        _row, field = refused_where(exc)
        _put_beside(form, field, str(exc))
        return _again(request, a, forward=form)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _detail(a)
    messages.success(request, done_message("forward", a))
    return _detail(a)


@login_required
@require_POST
def roll_up(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assignment(request, pk)
    form = RollUpForm(request.POST)
    if not form.is_valid():
        return _again(request, a, roll_up=form)
    try:
        services.assignment_roll_up(actor=request.user, assignment=a.pk, text=form.cleaned_data["text"])
    except InvalidInput as exc:
        _put_beside(form, "text" if exc.field == "text" else None, str(exc))
        return _again(request, a, roll_up=form)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _detail(a)
    messages.success(request, done_message("roll_up", a))
    return _detail(a)
