"""How large a request body may be, enforced before anything buffers it.

Each route has a limit: small for forms (sign-in, comments, batch actions), the total a
submission's files may come to plus room for the multipart framing where files are uploaded, the
import limit for problem lists.
A body over its route's limit is answered 413 with a short translated text and nothing is saved.

Two layers enforce it, because the server under us buffers:

- Twisted (under daphne) collects the whole body before daphne sees the request: in memory
  below 100 kB, else in a temporary file. It then reads every multipart POST back into memory
  and parses it for ``request.args``, which daphne never uses, and daphne puts the whole body
  into the application's queue at once. A 50 MB multipart POST cost a daphne process about
  600 MB, whatever the application did. :class:`GuardedRequest` refuses by ``Content-Length``
  as soon as the headers are in and counts chunked bodies as they arrive, and turns off that
  unused parsing; :func:`guard_daphne` installs it (``project.asgi`` does, so ``daphne`` and
  ``runserver`` get it alike).
- :class:`BodyLimitMiddleware`, an ASGI middleware around Django, checks ``Content-Length`` and
  counts the ``http.request`` messages before Django spools them. Under daphne the guard has
  already done this; the middleware is what protects any other ASGI server.

The reverse proxy in front should cap bodies too (nginx ``client_max_body_size`` per location):
it is the first line, these are the ones that hold if it is missing or misconfigured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Boundaries, part headers and the form's other fields around the files themselves.
MULTIPART_OVERHEAD = 1024 * 1024


def form_limit() -> int:
    return settings.MAX_FORM_BYTES


def upload_limit() -> int:
    # Derived, not set on its own: a body holding files the services would accept (at most
    # EVIDENCE_MAX_TOTAL_BYTES in all) must never be cut off here with the typed text lost.
    return settings.EVIDENCE_MAX_TOTAL_BYTES + MULTIPART_OVERHEAD


def import_limit() -> int:
    from notices.workbook import MAX_FILE_BYTES  # the importer's own cap, so the two never disagree

    return MAX_FILE_BYTES + MULTIPART_OVERHEAD


# (path pattern, limit) with paths as Django sees them (without the deployment's prefix); the first
# match wins, anything else is a form.
ROUTES: tuple[tuple[re.Pattern[str], Callable[[], int]], ...] = (
    # A task's actions: progress reports and completion reports carry evidence files.
    (re.compile(r"^/tasks/\d+/do/[\w-]+/$"), upload_limit),
    # The API's progress and completion reports carry them too (multipart).
    (re.compile(r"^/api/assignments/\d+/(report_progress|submit_completion)/$"), upload_limit),
    # A letter's attachments.
    (re.compile(r"^/letters/\d+/do/attach/$"), upload_limit),
    # A problem list imported into a draft letter.
    (re.compile(r"^/documents/letters/\d+/import/$"), import_limit),
    # The unit directory (单位通讯录) uploaded for its preview: the importer's cap too.
    (re.compile(r"^/directory/$"), import_limit),
    # The admin's forms may carry files (master data, attachments).
    (re.compile(r"^/admin/"), upload_limit),
)


def body_limit(path: str) -> int:
    """The largest body accepted for a request to ``path``."""
    for pattern, limit in ROUTES:
        if pattern.match(path):
            return limit()
    return form_limit()


def largest_limit() -> int:
    return max([form_limit(), *(limit() for _pattern, limit in ROUTES)])


# --- the answer -------------------------------------------------------------------------------


def _language(headers: Iterable[tuple[bytes, bytes]]) -> str:
    # The same choice LocaleMiddleware would make (language cookie, then Accept-Language), made
    # here because the refusal is answered before Django's middleware runs.
    request = HttpRequest()
    for name, value in headers:
        if name.lower() == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
        elif name.lower() == b"cookie":
            cookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie only loses the language choice
                continue
            request.COOKIES.update({k: m.value for k, m in cookie.items()})
    try:
        return translation.get_language_from_request(request)
    except Exception:  # noqa: BLE001 - never let the refusal itself fail
        return settings.LANGUAGE_CODE


def too_large_text(limit: int, headers: Iterable[tuple[bytes, bytes]] = ()) -> bytes:
    with translation.override(_language(headers)):
        text = _("The request is too large: at most %(limit)s can be sent at once. Nothing was saved.") % {
            "limit": filesizeformat(limit)
        }
    return (text + "\n").encode()


def too_large_response(limit: int, headers: Iterable[tuple[bytes, bytes]] = ()) -> bytes:
    """The whole 413 answer as bytes, for the server layer that writes to the socket itself."""
    body = too_large_text(limit, headers)
    head = (
        "HTTP/1.1 413 Request Entity Too Large\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


# --- the ASGI middleware --------------------------------------------------------------------------

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    """Raised from ``receive`` once more bytes have arrived than the route accepts."""


def _route_path(scope: Scope) -> str:
    path = scope.get("path", "") or ""
    root = scope.get("root_path", "") or ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


def _declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value.strip())
            except ValueError:
                return None  # malformed: the server or Django answers that
    return None


class BodyLimitMiddleware:
    """Refuse HTTP bodies over the route's limit before the application reads them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        limit = body_limit(_route_path(scope))
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            await self._refuse(send, limit, headers)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Django reads the whole body before it runs a view, so nothing has been answered yet.
            if not started:
                await self._refuse(send, limit, headers)

    @staticmethod
    async def _refuse(send: Send, limit: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        body = too_large_text(limit, headers)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


# --- the daphne / Twisted layer -----------------------------------------------------------------


def _request_path(raw: bytes, root_path: str) -> str:
    target = raw.decode("latin-1")
    path = unquote(urlsplit(target).path if "://" in target else target.split("?", 1)[0])
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return path or "/"


def guarded_request_class(base: type) -> type:
    """A daphne ``WebRequest`` that refuses an oversized body while it arrives."""

    class GuardedRequest(base):  # type: ignore[misc, valid-type]
        _limit: int | None = None
        _received = 0
        _refused = False

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Twisted would read every multipart POST back into memory to fill request.args,
            # which daphne never looks at: the biggest cost of a large upload, for nothing.
            self._parsePOSTFormSubmission = False

        def gotLength(self, length: int | None) -> None:  # noqa: N802 - Twisted's name
            # Called once the headers are in: the request line's path is on the channel already.
            try:
                root = getattr(self.server, "root_path", "") or ""
                self._limit = body_limit(_request_path(getattr(self.channel, "_path", b"/"), root))
            except Exception:  # noqa: BLE001 - an odd path gets the largest limit, never an error here
                self._limit = largest_limit()
            if length is not None and length > self._limit:
                self._refuse()
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
            if self._refused:
                return
            self._received += len(data)
            if self._limit is not None and self._received > self._limit:
                self._refuse()
                return
            super().handleContentChunk(data)

        def process(self) -> Any:
            if self._refused:
                return None  # answered already; the application never sees this request
            return super().process()

        def _refuse(self) -> None:
            self._refused = True
            # No "100 Continue" after the refusal: the client should not send the body at all.
            self.requestHeaders.removeHeader(b"Expect")
            transport = self.channel.transport if self.channel is not None else None
            if transport is None:
                return
            headers = list(self.requestHeaders.getAllRawHeaders())
            flat = [(name, value) for name, values in headers for value in values]
            logger.info("Refused a request body over %d bytes from %s", self._limit, self.getClientAddress())
            transport.write(too_large_response(self._limit or 0, flat))
            self.channel.loseConnection()

    GuardedRequest.__name__ = GuardedRequest.__qualname__ = "GuardedRequest"
    return GuardedRequest


def guard_daphne() -> bool:
    """Make daphne build its HTTP requests from :class:`GuardedRequest`; True if it did.

    daphne's HTTP factory names its request class at each new connection, so replacing the
    module's ``WebRequest`` takes effect for every connection accepted afterwards.
    """
    try:
        from daphne import http_protocol
    except ImportError:  # not served by daphne: the middleware alone applies
        return False
    current = http_protocol.WebRequest
    if getattr(current, "__name__", "") == "GuardedRequest":
        return True
    if not all(hasattr(current, name) for name in ("gotLength", "handleContentChunk", "process")):
        logger.warning("daphne's request class has changed; request bodies are limited by the middleware only.")
        return False
    http_protocol.WebRequest = guarded_request_class(current)
    return True
