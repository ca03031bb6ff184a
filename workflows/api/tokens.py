"""The API token page (个人访问令牌): create a token, see it once, list and revoke one's tokens.

Reads through supervision.selectors.api_tokens (one's own tokens only), writes through the two
services of supervision/services/api_tokens.py; a refusal comes back on the page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from supervision import clock
from supervision.models import ApiToken
from supervision.selectors.api_tokens import tokens_of
from supervision.services import DomainError
from supervision.services.api_tokens import token_create, token_revoke
from workflows.params import id_or_404

from .token_forms import TokenForm


def _status(token: ApiToken, now: dt.datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


# The page holds a token in clear once: never kept by a cache or the browser's history.
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = raw = None
    if request.method == "POST" and form.is_valid():
        try:
            created, raw = token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            form = TokenForm()
    now = clock.now()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "raw": raw,
            "rows": [(t, _status(t, now)) for t in tokens_of(request.user)],
            "docs": reverse("api:docs"),
            "me_url": request.build_absolute_uri(reverse("api:me")),
        },
        status=400 if request.method == "POST" and created is None else 200,
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = token_revoke(actor=request.user, token_id=id_or_404(pk))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name})
    return HttpResponseRedirect(reverse("api_tokens:list"))
