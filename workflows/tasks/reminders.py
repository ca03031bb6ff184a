"""Reminders by hand (催办) from the pages: on one task (its button comes from the step table like
every other) and on every red task of a unit (from the unit's row on the office's overview and
from the task list filtered by unit). Each view is one service call; refusals come back as
messages on the page the reminder was sent from."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supervision.selectors import visibility
from supervision.services import DomainError
from supervision.services.reminders import MAX_UNIT_REMINDERS, assignment_remind, unit_remind_red
from workflows.params import id_or_404

# How many refusals a "remind all" spells out; the rest are counted.
SHOWN_REFUSALS = 10


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return HttpResponseRedirect(target)


@login_required
@require_POST
def task_remind(request: HttpRequest, pk: int) -> HttpResponse:
    a = visibility.assignment_get(request.user, id_or_404(pk))
    if a is None:
        raise Http404  # not found and not yours look the same, as on the task page
    try:
        assignment_remind(actor=request.user, assignment=a.pk, text=request.POST.get("comment", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Reminder sent to the unit."))
    return _back(request, reverse("tasks:detail", args=[a.pk]))


@login_required
@require_POST
def unit_remind(request: HttpRequest, unit_id: int) -> HttpResponse:
    back = reverse("tasks:list")
    try:
        done = unit_remind_red(actor=request.user, unit=id_or_404(unit_id), text=request.POST.get("comment", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
        return _back(request, back)
    name = done.unit.display_name
    if done.reminded:
        n = len(done.reminded)
        messages.success(
            request,
            ngettext(
                "Reminder sent on %(n)d red assignment of %(unit)s.",
                "Reminders sent on %(n)d red assignments of %(unit)s.",
                n,
            )
            % {"n": n, "unit": name},
        )
    elif not done.refused:
        messages.info(request, _("%(unit)s has no red assignment to remind.") % {"unit": name})
    for _pk, item, why in done.refused[:SHOWN_REFUSALS]:
        messages.warning(request, _("Not reminded: %(item)s. %(reason)s") % {"item": item, "reason": why})
    hidden = len(done.refused) - SHOWN_REFUSALS
    if hidden > 0:
        messages.warning(
            request,
            ngettext("%(n)d more was not reminded.", "%(n)d more were not reminded.", hidden) % {"n": hidden},
        )
    if done.left:
        messages.warning(
            request,
            ngettext(
                "%(n)d more red assignment was not taken on: at most %(max)d at once.",
                "%(n)d more red assignments were not taken on: at most %(max)d at once.",
                done.left,
            )
            % {"n": done.left, "max": MAX_UNIT_REMINDERS},
        )
    return _back(request, back)
