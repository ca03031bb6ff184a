"""Where the pages a notification opens are: one builder per link kind of ``supervision.links``,
registered when the app starts (apps.py). The URL names are the web layer's own."""

from __future__ import annotations

from django.urls import reverse

from supervision.links import LinkBuilder


def _page(url_name: str) -> LinkBuilder:
    def build(pk: int) -> str:
        return reverse(url_name, args=[pk])

    return build


NOTIFICATION_PAGES: dict[str, LinkBuilder] = {
    "assignment": _page("tasks:detail"),
    "letter": _page("letters:detail"),
    "notice": _page("cycles:notice"),
    "unit": _page("cycles:unit"),
}
