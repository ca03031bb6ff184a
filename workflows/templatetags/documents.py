"""Template tags for the links to documents."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()

# The assignment list's filters the ledger understands, under the same names (notices/filters.py).
# ``by``: the office the list is narrowed to (one of the person's, else ignored by both).
LIST_FILTERS = (
    "q",
    "state",
    "light",
    "peer_group",
    "category",
    "source",
    "unit",
    "letter",
    "site",
    "overdue",
    "open",
    "by",
    "level",
)


@register.simple_tag
def ledger_query(data: Any, queue: str = "") -> str:
    """``{% ledger_query form.data queue %}``: the filters a list is showing (its form's data, with
    the defaults the list applied), as the ledger downloads' query string, so an export holds
    what the list holds."""
    query = QueryDict(mutable=True)
    for key in LIST_FILTERS:
        for value in data.getlist(key) if hasattr(data, "getlist") else [data.get(key)]:
            if value not in (None, ""):
                query.appendlist(key, value)
    if queue and queue != "all":
        query["queue"] = queue
    return query.urlencode()
