"""The office's screens (督办工作台). For now its overview: the figures of ``office_overview``
for the office picked (``?by=``), as cards, each linking to the list that shows those
assignments."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from supervision.models import AssignmentState, Role
from supervision.parsing import parse_id
from supervision.selectors.overview import Overview, office_overview, office_picked
from supervision.selectors.queues import QUEUES
from supervision.selectors.rankings import current_cycle

from .access import holds_any
from .cards import Card


def with_office(url: str | None, office: int | None) -> str | None:
    """``url`` narrowed to ``office`` (``by=``, as every per-office page and list reads it), or
    unchanged when ``office`` is None: the lists hold every office of the person, the card one."""
    if url is None or office is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}by={office}"


def queue_or_state(user: Any, queue: str, state: str) -> str:
    """The person's own queue when they hold its role (the list with their actions), otherwise
    the same assignments as a plain state filter."""
    url = reverse("tasks:list")
    if holds_any(user, QUEUES[queue].roles):
        return f"{url}?queue={queue}"
    return f"{url}?filtered=1&state={state}&level=direct"


def office_cards(user: Any, o: Overview, office: int | None = None) -> list[Card]:
    """The cards of one office's figures; ``office`` (the picked office, for a person in several)
    narrows each card's list to it, so that the list shows as many rows as the card says."""
    tasks, letters = reverse("tasks:list"), reverse("letters:list")
    S = AssignmentState
    # The figures count the office's direct tasks: the lists they open show those only, not the
    # sub-tasks units handed down below them.
    cards = [
        Card(_("Overdue"), o.overdue, f"{tasks}?filtered=1&overdue=on&level=direct", "red" if o.overdue else ""),
        Card(_("Open assignments"), o.open_total, f"{tasks}?filtered=1&open=on&level=direct"),
        Card(_("Letters awaiting signature"), o.letters_to_sign, f"{letters}?state=pending_signature"),
        Card(_("Signed, to issue"), o.letters_to_issue, f"{letters}?state=signed"),
        Card(
            _("Reports awaiting verification"), o.to_verify, queue_or_state(user, "to_verify", S.AWAITING_VERIFICATION)
        ),
        Card(_("Verified, to write off"), o.to_close, queue_or_state(user, "to_close", S.VERIFIED)),
        Card(_("Returns to decide"), o.returned, queue_or_state(user, "returned", S.RETURNED)),
        Card(
            _("Extension requests to decide"),
            o.extensions,
            # The extension list shows what this person decides: clerks and directors.
            reverse("tasks:extensions") if holds_any(user, (Role.CLERK, Role.DIRECTOR)) else None,
        ),
        Card(_("Written off"), o.closed_total, queue_or_state(user, "closed", S.CLOSED)),
    ]
    return [replace(card, url=with_office(card.url, office)) for card in cards]


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    # One office's figures and cycle: the one this person works in (``?by=`` for a person in
    # several, as the ranking and dashboard pages pick), their first otherwise. An office they
    # are not in is not theirs to pick: they get their first.
    office, offices = office_picked(request.user, parse_id(request.GET.get("by", "")))
    data = office_overview(request.user, office=office) if office is not None else None
    if data is None:
        # The application's role check lets only office members in; this is the belt to it.
        raise PermissionDenied
    # Every card and link narrows its list to the office shown (``by=``): a person in several
    # offices sees each one's work alone, and a city office's staff do not find the province's
    # tasks to their office (which they work as a unit) in lists opened from the city's figures.
    narrowed = office.pk
    return render(
        request,
        "office/overview.html",
        {
            "o": data,
            "cards": office_cards(request.user, data, narrowed),
            # Appended to the links the template writes itself (states, lights, units).
            "by_query": f"&by={narrowed}" if narrowed else "",
            "tasks_url": reverse("tasks:list"),
            # The cycle under way: which one, and when its reports are due (双周调度).
            "cycle": current_cycle(office) if office is not None else None,
            "office": office,
            "offices": offices if len(offices) > 1 else [],
        },
    )
