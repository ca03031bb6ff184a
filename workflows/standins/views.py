"""The stand-in page: the stand-ins one gave, holds, or (as a leader) may end, and the form to
name one. Reads through supervision.selectors.stand_ins, writes through the two services; a
refusal comes back as a message on the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from supervision import clock
from supervision.selectors.stand_ins import colleagues_of, endable_ids, stand_ins_for_page
from supervision.services import DomainError
from supervision.services.stand_ins import standin_create, standin_end

from .forms import StandInForm


@login_required
@require_http_methods(["GET", "POST"])
def stand_in_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    colleagues = colleagues_of(user)
    form = StandInForm(request.POST or None, colleagues=colleagues)
    if request.method == "POST" and form.is_valid():
        unit_id, deputy_id = form.unit_and_deputy()
        try:
            s = standin_create(
                actor=user,
                deputy=deputy_id,
                unit=unit_id,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s stands in for you in %(unit)s from %(start)s to %(end)s.")
                % {
                    "name": s.deputy.display_name,
                    "unit": s.unit.display_name,
                    "start": date_format(s.starts_on),
                    "end": date_format(s.ends_on),
                },
            )
            return HttpResponseRedirect(reverse("standins:list"))
    today = clock.today()
    rows = stand_ins_for_page(user, today)
    endable = endable_ids(user, rows, today)
    return render(
        request,
        "standins/list.html",
        {
            "form": form,
            "can_name": bool(colleagues),
            "rows": [(s, s.pk in endable, s.runs_on(today)) for s in rows],
            "today": today,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def stand_in_end(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        standin_end(actor=request.user, stand_in=pk)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The stand-in has ended."))
    return HttpResponseRedirect(reverse("standins:list"))
