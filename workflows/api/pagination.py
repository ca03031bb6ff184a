"""Cursor pages for the API's lists: ``{"results": [...], "next": "<url>" | null}``.

Every list is cut by a keyset (the last row's sort key, base64 in ``?cursor=``) rather than an
offset, so the thousandth page costs what the first costs and rows written meanwhile neither
repeat nor vanish. The lists sort on their id, the event feed and the reports on (time, id); a
closed cycle's ranking, whose rows never change, by their place. A cursor that is not one of ours
answers 400, never page one silently: an integration would otherwise loop on the first page.

The task list is the exception: it is the task list page's query and keeps that page's cursor
and rule (selectors/search.py), under which a cursor it did not hand out means the first page.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from supervision.parsing import MAX_ID

DEFAULT_SIZE = 50
MAX_SIZE = 200
MAX_CURSOR = 120
# Offset cursors serve lists of frozen rows a few thousand long (a cycle's units).
MAX_OFFSET = 1_000_000

SIZE = OpenApiParameter("size", int, description="Rows per page (1–200, default 50).", required=False)
CURSOR = OpenApiParameter(
    "cursor", str, description="The `next` link's cursor: the page after the one it ended.", required=False
)
PAGE_PARAMETERS = [SIZE, CURSOR]


class PageParams(serializers.Serializer):
    size = serializers.IntegerField(min_value=1, max_value=MAX_SIZE, required=False, default=DEFAULT_SIZE)
    cursor = serializers.CharField(max_length=MAX_CURSOR, required=False, allow_blank=True, default="")


def page_params(request: Request) -> tuple[int, str]:
    params = PageParams(data={k: request.query_params.get(k) for k in ("size", "cursor") if k in request.query_params})
    params.is_valid(raise_exception=True)
    return params.validated_data["size"], params.validated_data["cursor"]


def encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list):
        raise _bad_cursor()
    return values


def _bad_cursor() -> ValidationError:
    return ValidationError({"cursor": [_("This cursor is not one of ours: start again from the first page.")]})


def _an_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise _bad_cursor()
    return value


def next_url(request: Request, cursor: str) -> str | None:
    if not cursor:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def by_id(qs: QuerySet, request: Request, *, field: str = "pk", descending: bool = False) -> tuple[list[Any], str]:
    """One page of ``qs`` ordered by an integer key (``field``), and the cursor after it."""
    size, cursor = page_params(request)
    if cursor:
        (last,) = _unpack(decode(cursor), 1)
        last = _an_id(last)
        qs = qs.filter(**{f"{field}__{'lt' if descending else 'gt'}": last})
    rows = list(qs.order_by(f"-{field}" if descending else field)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, encode([getattr(rows[-1], field)]) if more else ""


def by_time(qs: QuerySet, request: Request, *, field: str) -> tuple[list[Any], str]:
    """One page of ``qs``, newest first by (``field``, id), and the cursor after it."""
    size, cursor = page_params(request)
    if cursor:
        when, last = _unpack(decode(cursor), 2)
        try:
            at = dt.datetime.fromisoformat(when) if isinstance(when, str) else None
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise _bad_cursor()
        last = _an_id(last)
        qs = qs.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": last}))
    rows = list(qs.order_by(f"-{field}", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, encode([getattr(rows[-1], field).isoformat(), rows[-1].pk]) if more else ""


def by_offset(qs: QuerySet, request: Request) -> tuple[list[Any], str]:
    """One page of ``qs`` in its own order, for rows that never change once written (a closed
    cycle's results): the place in that order is then as stable as a key."""
    size, cursor = page_params(request)
    start = 0
    if cursor:
        (start,) = _unpack(decode(cursor), 1)
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= MAX_OFFSET:
            raise _bad_cursor()
    rows = list(qs[start : start + size + 1])
    more = len(rows) > size
    return rows[:size], encode([start + size]) if more else ""


def _unpack(values: list[Any], n: int) -> list[Any]:
    if len(values) != n:
        raise _bad_cursor()
    return values


def page(request: Request, results: list[Any], cursor: str) -> dict[str, Any]:
    return {"results": results, "next": next_url(request, cursor)}


def page_serializer(name: str, row: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of a page of ``row``s (for drf-spectacular)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": row(many=True),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last one."),
        },
    )
