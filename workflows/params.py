"""Reading values out of requests: ids, free text, and the query string itself.

Every page that takes an id or a search text from a request reads it through here (the rules
are ``supervision.parsing``'s, shared with the documents' filters), so odd input has one
meaning everywhere: an id that is not one is "no filter" or "not found", text loses its control
characters, and a query string with more fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` is
answered 400 by ``QueryStringMiddleware`` before any view, menu or error page reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from supervision.parsing import MAX_ID, clean_text, parse_id

__all__ = ["MAX_ID", "QueryStringMiddleware", "clean_text", "id_or_404", "int_param", "parse_id"]

security_log = logging.getLogger("django.security.TooManyFieldsSent")


def id_or_404(raw: Any) -> int:
    """For ids that name one object (a URL's, a form's, a query's): anything else is "not found"."""
    value = parse_id(raw)
    if value is None:
        raise Http404
    return value


def int_param(request: HttpRequest, name: str) -> int | None:
    """The id in ``?name=``, or None when it is missing or not an id."""
    return parse_id(request.GET.get(name))


class QueryStringMiddleware:
    """Answers a query string with too many fields with a 400 page of the app shell.

    Django parses ``request.GET`` lazily and raises ``TooManyFieldsSent`` wherever it is first
    read. Its handler turns that into a 400, but every later reader of ``request.GET`` raises
    again: the drawer's menu, the debug page in development (which then fails as a 500). Parsing
    once here, first, and leaving an empty ``GET`` behind means nothing after sees the bomb.
    Placed after the authentication and message middleware so the page has its shell.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.GET  # noqa: B018  (parsed here, once, for everyone after)
        except TooManyFieldsSent as exc:
            security_log.warning("%s: %s", exc, request.path)
            request.GET = QueryDict()
            return render(
                request,
                "app/bad_request.html",
                {"message": _("The address has too many parameters. Open the page again from its menu.")},
                status=400,
            )
        return self.get_response(request)
