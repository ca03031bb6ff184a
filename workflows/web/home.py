"""``/``: each person lands on their own page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .access import admin_shows_models, is_office_member, is_unit_member


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The office overview for office members (also when they hold a unit role: the unit's page
    is one click away in the menu), the unit overview for unit members, otherwise a page that
    says whom to ask, never an error."""
    if is_office_member(request.user):
        return HttpResponseRedirect(reverse("office:index"))
    if is_unit_member(request.user):
        return HttpResponseRedirect(reverse("unit:index"))
    return render(request, "app/no_role.html", {"master_data": admin_shows_models(request)})
