"""What a send returns, the redaction of errors, and the one HTTP POST the senders make.

HTTP goes through the standard library (no dependency), with settings.OUTBOX_TIMEOUT, no
redirects (a redirected POST would silently become a GET), and no proxy for loopback addresses
(the local receiver during development and tests).

A socket's timeout limits each read, not the whole answer: a server that trickles its answer a
byte at a time, each well within the timeout, would hold a sending thread for hours, and the
worker past its lease (dispatch.py). So a POST has a deadline, ``http_span()`` seconds from its
start, and every read of the answer (status line, headers, body) may wait only until then."""

from __future__ import annotations

import functools
import http.client
import io
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

MAX_ERROR = 300
# Anything after "?" in a URL: the key, access token, timestamp and signature of a robot call.
_QUERY = re.compile(r"(https?://[^\s?#\"']+)\?[^\s\"']*")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    # Seconds to wait at least before the next try (a provider's rate limit), else the backoff.
    retry_after: int | None = None
    # The request itself is wrong (a header the mail library refuses, a robot's "invalid key",
    # a webhook's 4xx): the same request would fail the same way, so the delivery fails at once
    # instead of after every try, and shows on the monitor to be fixed and sent again.
    permanent: bool = False


# A prepared message's sending: network only, no database, no translation (other threads run it).
Transmit = Callable[[], Outcome]


# 4xx answers that say "later", not "wrong": timeout, too early, too many requests.
_TRANSIENT_4XX = frozenset({408, 425, 429})


def http_permanent(status: int | None) -> bool:
    """Whether an HTTP status refuses the request for good (a 4xx other than those above). A
    3xx (the address moved), a 5xx and no answer at all are retried."""
    return status is not None and 400 <= status < 500 and status not in _TRANSIENT_4XX


def failed(error: str) -> Transmit:
    """A transmission that fails at once (nothing to send: a key missing, no address)."""
    return lambda: Outcome(False, error=error)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without query strings and without any of ``secrets``, shortened for storage."""
    text = _QUERY.sub(r"\1?…", str(text))
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text[: MAX_ERROR - 1] + "…" if len(text) > MAX_ERROR else text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # the 3xx surfaces as an HTTPError: a channel address that moved is a failure


def http_span() -> float:
    """The longest a POST takes, answer included: twice the timeout (connecting and sending the
    request each wait at most the timeout; reading the answer, until the deadline)."""
    return 2 * float(settings.OUTBOX_TIMEOUT)


class _DeadlineReader(io.RawIOBase):
    """The answer's bytes, each read waiting at most the timeout and never past the deadline."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: float, per_read: float) -> None:
        super().__init__()
        self._raw, self._sock, self._deadline, self._per_read = raw, sock, deadline, per_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the answer did not arrive in time")
        self._sock.settimeout(min(self._per_read, left))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, deadline: float, per_read: float, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        # http.client reads everything through fp: the socket's file, read under the deadline.
        self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock, deadline, per_read))


def _deadline_connection(base: type[http.client.HTTPConnection], deadline: float) -> Callable[..., Any]:
    def connect(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
        conn = base(*args, **kwargs)
        conn.response_class = functools.partial(  # type: ignore[assignment]
            _DeadlineResponse, deadline=deadline, per_read=conn.timeout
        )
        return conn

    return connect


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_deadline_connection(http.client.HTTPConnection, self._deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = _deadline_connection(http.client.HTTPSConnection, self._deadline)
        return self.do_open(connection, req, context=self._context)


def _opener(url: str, deadline: float) -> urllib.request.OpenerDirector:
    host = urlsplit(url).hostname or ""
    handlers: list[urllib.request.BaseHandler] = [
        _NoRedirect(),
        _DeadlineHTTPHandler(deadline),
        _DeadlineHTTPSHandler(deadline),
    ]
    if host in {"127.0.0.1", "localhost", "::1"}:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


@dataclass(frozen=True)
class Response:
    status: int | None
    body: bytes
    error: str = ""  # set when nothing usable came back (refused, timed out, 4xx/5xx)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST ``body`` and read the answer within ``http_span()``; never raises for a network or
    HTTP failure."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    deadline = time.monotonic() + http_span()
    try:
        with _opener(url, deadline).open(request, timeout=float(settings.OUTBOX_TIMEOUT)) as answer:
            return Response(answer.status, answer.read(65536))
    except urllib.error.HTTPError as exc:
        try:
            content = exc.read(2048)
        except OSError:
            content = b""
        return Response(exc.code, content, f"HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        return Response(None, b"", f"{type(exc.reason).__name__}: {exc.reason}")
    except TimeoutError:  # the answer came too slowly (connecting too slowly is a URLError)
        return Response(None, b"", f"TimeoutError: no complete answer within {http_span():g} s")
    except (OSError, ValueError) as exc:  # timeouts, resets, a malformed address
        return Response(None, b"", f"{type(exc).__name__}: {exc}")
