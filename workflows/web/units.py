"""A responsible unit's screens (本单位任务). For now its overview: per unit of the user, what
waits to be claimed, what they claimed, what waits for the leader's sign-off; and for a unit with
units below it, the sub-tasks it handed down and what of them waits on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from supervision.selectors.overview import UnitFigures, unit_overview
from supervision.selectors.standing import latest_results

from .cards import Card


def unit_cards(f: UnitFigures) -> list[Card]:
    tasks, unit = reverse("tasks:list"), f"unit={f.unit.pk}"
    cards = [Card(_("To claim"), f.unclaimed, f"{tasks}?queue=unclaimed&{unit}")]
    if f.is_liaison:
        cards.append(Card(_("Claimed by me"), f.mine, f"{tasks}?queue=mine&{unit}"))
    if f.is_leader:
        cards.append(Card(_("Awaiting my sign-off"), f.awaiting_signoff, f"{tasks}?queue=unit_signoff&{unit}"))
        cards.append(Card(_("Extension requests"), f.extensions_to_sign, reverse("tasks:extensions")))
    else:
        # Only the leader has a list of these; the liaison sees how many wait.
        cards.append(Card(_("Awaiting the leader's sign-off"), f.awaiting_signoff))
    cards += [
        Card(_("Overdue"), f.overdue, f"{tasks}?filtered=1&overdue=on&{unit}", "red" if f.overdue else ""),
        Card(_("Yellow: due soon"), f.due_soon, f"{tasks}?filtered=1&open=on&light=yellow&{unit}"),
        Card(_("Open assignments"), f.open_total, f"{tasks}?filtered=1&open=on&{unit}"),
    ]
    return cards


@dataclass(frozen=True)
class UnitSection:
    """One unit's part of the page: its figures, its cards, and the cards of what it handed down.
    Read as a pair (figures, cards) where only those matter."""

    figures: UnitFigures
    cards: list[Card]
    below: list[Card]

    def __iter__(self) -> Iterator[Any]:
        return iter((self.figures, self.cards))


def below_cards(f: UnitFigures) -> list[Card]:
    """The sub-tasks the unit handed down (分解/转办), where it stands in the office's place: what
    waits on its members (verify), on its leader (write off), on its liaison (returns), and all
    of them. Empty for a unit with no units below it."""
    if not (getattr(f.unit, "has_below", False) or f.handed_down):
        return []
    tasks = reverse("tasks:list")
    sub = f"{tasks}?queue="
    cards = [Card(_("Sub-tasks to verify"), f.sub_to_verify, f"{sub}sub_to_verify", "red" if f.sub_to_verify else "")]
    if f.is_leader:
        cards.append(Card(_("Sub-tasks to write off"), f.sub_to_close, f"{sub}sub_to_close"))
    if f.is_liaison:
        cards.append(Card(_("Returned from below"), f.sub_returned, f"{sub}sub_returned"))
    cards += [
        Card(
            _("Sub-tasks overdue"),
            f.handed_down_overdue,
            f"{sub}handed_down&filtered=1&overdue=on",
            "red" if f.handed_down_overdue else "",
        ),
        Card(_("Open sub-tasks"), f.handed_down_open, f"{sub}handed_down&filtered=1&open=on"),
        Card(_("Handed down (分解/转办)"), f.handed_down, f"{sub}handed_down&filtered=1"),
    ]
    return cards


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    figures = unit_overview(request.user)
    if not figures:
        raise PermissionDenied
    # The latest place of each unit, linking to its ranking page (one query for all of them).
    standing = latest_results(f.unit.pk for f in figures)
    return render(
        request,
        "unit/overview.html",
        {
            "units": [UnitSection(f, unit_cards(f), below_cards(f)) for f in figures],
            "standings": [(f.unit, standing.get(f.unit.pk)) for f in figures],
        },
    )
