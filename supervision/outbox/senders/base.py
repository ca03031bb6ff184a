"""What a send returns, the redaction of errors, and the one HTTP POST the senders make.

HTTP goes through the standard library (no dependency), with settings.OUTBOX_TIMEOUT, no
redirects (a redirected POST would silently become a GET), and no proxy for loopback addresses
(the local receiver during development and tests)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = urlsplit(url).hostname or ""
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if host in {"127.0.0.1", "localhost", "::1"}:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


@dataclass(frozen=True)
class Response:
    status: int | None
    body: bytes
    error: str = ""  # set when nothing usable came back (refused, timed out, 4xx/5xx)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST ``body``; never raises for a network or HTTP failure."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener(url).open(request, timeout=float(settings.OUTBOX_TIMEOUT)) as answer:
            return Response(answer.status, answer.read(65536))
    except urllib.error.HTTPError as exc:
        try:
            content = exc.read(2048)
        except OSError:
            content = b""
        return Response(exc.code, content, f"HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        return Response(None, b"", f"{type(exc.reason).__name__}: {exc.reason}")
    except (OSError, ValueError) as exc:  # timeouts, resets, a malformed address
        return Response(None, b"", f"{type(exc).__name__}: {exc}")
