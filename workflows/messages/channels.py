"""The channel pages: a unit's group robots (the office picks the unit, a leader sees their own)
and the office's integrations (webhooks). Reads through supervision.selectors.messages, writes
through supervision.services.channels; a refusal comes back on the form or as a message.

The forms carry keys and secrets (a robot's address holds its key): the views that take them are
marked so that an error report never shows them, and a saved address is shown without its query
(``address_shown``), which may hold the receiving system's token."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supervision.models import Channel, ChannelKind, Unit
from supervision.selectors import messages as sel
from supervision.services import DomainError
from supervision.services.channel_input import address_shown, default_events
from supervision.services.channels import (
    SavedChannel,
    channel_create,
    channel_delete,
    channel_disable,
    channel_enable,
    channel_update,
)
from workflows.params import clean_text, parse_id

from .forms import ChannelForm

# What a channel form posts that an error report must not carry.
SECRET_FIELDS = ("url", "key", "secret")


def channel_page(channel: Channel) -> str:
    """The page a channel is listed on: an office's webhook on its integrations page (a channel
    of no unit on the top office's), a robot on its unit's page."""
    if channel.unit_id is None:
        return reverse("messages:integrations")
    if channel.kind == ChannelKind.WEBHOOK:
        return f"{reverse('messages:integrations')}?office={channel.unit_id}"
    return reverse("messages:unit_channels", args=[channel.unit_id])


def _refusal(form: ChannelForm, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _secret_once(request: HttpRequest, saved: SavedChannel) -> HttpResponse:
    """The page that shows a generated webhook secret, the one time it is shown. Answered to the
    POST itself (no redirect): the secret is kept nowhere but in this response, which no cache
    may keep either."""
    response = render(
        request,
        "messages/secret_once.html",
        {"channel": saved.channel, "secret": saved.new_secret, "back": channel_page(saved.channel)},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The office picks a unit (those with channels, or one found by name); a leader goes
    straight to their unit's page."""
    user = request.user
    office = sel.is_office_configurer(user)
    led = [] if office else sel.led_units(user)
    if not office and not led:
        raise PermissionDenied
    if not office and len(led) == 1:
        return HttpResponseRedirect(reverse("messages:unit_channels", args=[led[0].pk]))
    q = clean_text(request.GET.get("q"), max_length=50) if office else ""
    return render(
        request,
        "messages/index.html",
        {
            "office": office,
            "with_channels": sel.units_with_channels(user) if office else [],
            "found": sel.unit_search(q, user) if q else [],
            "q": q,
            "led": led,
        },
    )


def _page(
    request: HttpRequest,
    *,
    unit: Unit | None,
    form: ChannelForm,
    status: int = 200,
    office: Unit | None = None,
    offices: list[Unit] | None = None,
) -> HttpResponse:
    """A unit's robots (``unit``), or an office's integrations (``office``, among the
    ``offices`` the person keeps)."""
    if unit is not None:
        rows = sel.channel_rows(unit.pk)
    elif office is not None:
        rows = sel.integration_rows(office.pk, deployment_wide=office.parent_id is None)
    else:
        rows = []
    return render(
        request,
        "messages/channels.html",
        {
            "unit": unit,
            "rows": rows,
            "form": form,
            "office": sel.is_office_configurer(request.user),
            "integrations_of": office,
            "offices": offices or [],
        },
        status=status,
    )


def _new_form(unit_id: int | None, data: Any = None) -> ChannelForm:
    """``unit_id`` None: an office's webhook (the form offers webhooks), else a unit's robot."""
    kind = ChannelKind.WEBHOOK if unit_id is None else ChannelKind.WECOM
    return ChannelForm(
        data,
        unit_id=unit_id,
        initial={"kind": kind, "events": default_events(kind), "quiet_hours": unit_id is not None},
    )


def _create(
    request: HttpRequest, unit: Unit | None, office: Unit | None = None, offices: list[Unit] | None = None
) -> HttpResponse:
    """A robot for ``unit``, or a webhook of ``office``: a new integration belongs to the office
    of the person who adds it, and carries that office's events only."""
    form = _new_form(unit.pk if unit else None, request.POST)
    if form.is_valid():
        try:
            saved = channel_create(
                actor=request.user,
                unit_id=unit.pk if unit else office.pk if office else None,
                kind=form.cleaned_data["kind"],
                **form.service_args(),
            )
        except DomainError as exc:
            _refusal(form, exc)
        else:
            if saved.new_secret:
                return _secret_once(request, saved)
            messages.success(request, _("The channel %(name)s is saved.") % {"name": saved.channel.name})
            return HttpResponseRedirect(channel_page(saved.channel))
    return _page(request, unit=unit, form=form, status=400, office=office, offices=offices)


@sensitive_post_parameters(*SECRET_FIELDS)
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def unit_channels(request: HttpRequest, unit_id: int) -> HttpResponse:
    pk = parse_id(unit_id)
    unit = Unit.objects.filter(pk=pk, is_active=True).first() if pk is not None else None
    if unit is None:
        raise Http404
    if not sel.may_configure(request.user, unit.pk):
        raise PermissionDenied
    if request.method == "POST":
        return _create(request, unit)
    return _page(request, unit=unit, form=_new_form(unit.pk))


@sensitive_post_parameters(*SECRET_FIELDS)
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def integrations(request: HttpRequest) -> HttpResponse:
    """The integrations of one office the person keeps (``?office=``; default: the first, a top
    office before a city's), with a top office's channels of no unit."""
    offices = sel.configured_offices(request.user)
    if not offices:
        raise PermissionDenied
    wanted = parse_id(request.GET.get("office"))
    office = next((o for o in offices if o.pk == wanted), None) if wanted is not None else offices[0]
    if office is None:
        raise Http404
    if request.method == "POST":
        return _create(request, None, office, offices)
    return _page(request, unit=None, form=_new_form(None), office=office, offices=offices)


def channel_or_404(request: HttpRequest, pk: object) -> Channel:
    channel = sel.channel_for(request.user, parse_id(pk))
    if channel is None:
        # Not there, or not one this person configures: the same answer for both.
        raise Http404
    return channel


@sensitive_post_parameters(*SECRET_FIELDS)
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = channel_or_404(request, pk)
    form = ChannelForm(
        request.POST or None,
        unit_id=channel.unit_id,
        editing=channel.kind,
        initial={
            "name": channel.name,
            # Its query hidden; posted back unchanged, the saved address stays.
            "url": address_shown(channel.url),
            "events": channel.events or default_events(channel.kind),
            "quiet_hours": channel.quiet_hours,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = channel_update(
                actor=request.user,
                channel=channel.pk,
                renew_secret=form.cleaned_data.get("renew_secret", False),
                **form.service_args(),
            )
        except DomainError as exc:
            _refusal(form, exc)
        else:
            if saved.new_secret:
                return _secret_once(request, saved)
            messages.success(request, _("The channel %(name)s is saved.") % {"name": saved.channel.name})
            return HttpResponseRedirect(channel_page(saved.channel))
    return render(
        request,
        "messages/channel_edit.html",
        {
            "channel": channel,
            "form": form,
            "key_set": bool(channel.key_encrypted),
            "secret_set": bool(channel.secret_encrypted),
            "back": channel_page(channel),
        },
        status=400 if request.method == "POST" else 200,
    )


_ACTIONS = {
    "disable": (
        channel_disable,
        gettext_lazy("The channel %(name)s is off: nothing is sent to it until it is turned on."),
    ),
    "enable": (channel_enable, gettext_lazy("The channel %(name)s is on again.")),
    "delete": (channel_delete, gettext_lazy("The channel %(name)s is deleted.")),
}


@login_required
@require_POST
def channel_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    channel = channel_or_404(request, pk)
    if action not in _ACTIONS:
        raise Http404
    service, done = _ACTIONS[action]
    try:
        service(actor=request.user, channel=channel.pk)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, str(done) % {"name": channel.name})
    return HttpResponseRedirect(channel_page(channel))
