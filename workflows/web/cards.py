"""Figure cards, the building block of the overview pages (template ``app/_cards.html``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Card:
    label: str | Promise
    value: int
    url: str | None = None  # None: no list page shows exactly these yet, so no link
    tone: str = ""  # "red" for a figure that needs attention
