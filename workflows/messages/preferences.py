"""Message preferences (消息设置), in the user menu: e-mail on or off, one's address, what to
receive, a daily digest, quiet hours. Everyone signed in has one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from supervision import events as catalog
from supervision.selectors.messages import preference_of
from supervision.services import DomainError
from supervision.services.preferences import preference_update

from .forms import PreferenceForm


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    pref = preference_of(user)
    form = PreferenceForm(
        request.POST or None,
        initial={
            "email": pref.email,
            "email_address": user.email,
            "events": list(pref.events),
            "digest": pref.digest,
            "quiet_start": pref.quiet_start,
            "quiet_end": pref.quiet_end,
            "quiet_rest_days": pref.quiet_rest_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            preference_update(
                actor=user,
                email=data["email"],
                email_address=data["email_address"],
                events=data["events"],
                digest=data["digest"],
                quiet_start=data["quiet_start"],
                quiet_end=data["quiet_end"],
                quiet_rest_days=data["quiet_rest_days"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Your message settings are saved."))
            return HttpResponseRedirect(reverse("messages:preferences"))
    return render(
        request,
        "messages/preferences.html",
        {"form": form, "saved": pref.pk is not None, "groups": catalog.GROUPS},
        status=400 if request.method == "POST" else 200,
    )
