"""A local stand-in for the three kinds of receivers, for development, tests and the benchmark.

A standard-library HTTP server on 127.0.0.1 (never another interface) that answers like:

- ``POST /wecom?key=K`` — a 企业微信 group robot: a markdown message, ``{"errcode":0,"errmsg":"ok"}``;
- ``POST /dingtalk?access_token=T&timestamp=MS&sign=S`` — a 钉钉 custom robot: checks the 加签
  signature and that the timestamp is within an hour, answers like 钉钉 (errcode 310000 when
  the signature does not match);
- ``POST /webhook`` — an integration: checks ``X-Supervision-Signature`` over
  ``f"{timestamp}.{body}"`` and the timestamp (5 minutes), answers 401 when either is wrong.

It records every request (``messages``), and can be told to answer the next N requests with a
500 (``fail``) or with a robot's rate-limit errcode (``refuse``), to hold a request open for a
while (``hang``), to trickle its answers a byte at a time (``slow``: each byte soon enough for a
socket's timeout, the whole answer far too late), or to stop listening altogether (``stop``;
``start`` listens again on the same port). Secrets come from ``secret_for(kind, ident)`` — ident
is the robot's key or access token, or the webhook's delivery id — which returns the secret (for
企业微信, the key itself when known) or None when it does not know: then nothing is checked and
the message is marked unverified.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SecretLookup = Callable[[str, str], "str | None"]

OK = {"errcode": 0, "errmsg": "ok"}
DINGTALK_MAX_AGE_MS = 3600 * 1000
WEBHOOK_MAX_AGE = 300


@dataclass
class Received:
    kind: str  # "wecom", "dingtalk", "webhook", or the unknown path
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    data: Any  # the JSON body, or None
    verified: bool | None  # None: no secret known, not checked
    status: int  # the HTTP status answered
    answer: dict[str, Any]
    at: float = field(default_factory=time.time)

    @property
    def delivery(self) -> str:
        return self.headers.get("x-supervision-delivery", "")

    @property
    def ok(self) -> bool:
        """Whether the sender was told it arrived."""
        return self.status == 200 and self.answer.get("errcode", 0) == 0

    @property
    def text(self) -> str:
        """The message's text: a robot's markdown, or a webhook event's text."""
        if not isinstance(self.data, dict):
            return ""
        if self.kind == "webhook":
            return str(self.data.get("text", ""))
        markdown = self.data.get("markdown") or {}
        return str(markdown.get("content") or markdown.get("text") or "")


def dingtalk_expected_sign(secret: str, timestamp: str) -> str:
    """The sign 钉钉 expects, before URL-encoding (the query is already decoded here)."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class Receiver:
    def __init__(
        self,
        *,
        port: int = 0,
        secret_for: SecretLookup | None = None,
        on_message: Callable[[Received], None] | None = None,
    ) -> None:
        self.port = port
        self.secret_for = secret_for
        self.on_message = on_message
        self.messages: list[Received] = []
        self.started = 0  # requests begun (a hung one counts before it is answered)
        # Kept as they come, so that waiting for thousands of messages costs nothing per message.
        self._answered_ok = 0
        self._by_delivery: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._fail: list[int] = []  # statuses for the next requests
        self._refuse: list[int] = []  # robot errcodes for the next requests
        self._hang = 0.0
        self._trickle = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        server = _Server(("127.0.0.1", self.port), _handler(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="outbox-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: senders now get "connection refused"."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail(self, times: int, status: int = 500) -> None:
        """Answer the next ``times`` requests with ``status``."""
        with self._lock:
            self._fail += [status] * times

    def refuse(self, times: int, errcode: int = 45009) -> None:
        """Answer the next ``times`` robot requests with HTTP 200 and ``errcode`` (45009: too fast)."""
        with self._lock:
            self._refuse += [errcode] * times

    def hang(self, seconds: float) -> None:
        """Hold every request open this long before answering (a slow or stuck receiver)."""
        self._hang = seconds

    def slow(self, seconds_per_byte: float) -> None:
        """Send every answer (status line, headers and body) one byte at a time, this long apart;
        0 answers at once again."""
        self._trickle = seconds_per_byte

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self._answered_ok = 0
            self._by_delivery.clear()

    # --- reading ---------------------------------------------------------------------------------

    def delivered(self, kind: str | None = None) -> list[Received]:
        """The requests answered as arrived (of one kind)."""
        with self._lock:
            return [m for m in self.messages if m.ok and (kind is None or m.kind == kind)]

    def delivery_counts(self) -> Counter[str]:
        """How many times each webhook delivery id arrived (answered as arrived)."""
        with self._lock:
            return Counter(self._by_delivery)

    def distinct_deliveries(self) -> int:
        with self._lock:
            return len(self._by_delivery)

    def wait_for(self, count: int, *, seconds: float = 10.0, arrived: bool = True) -> bool:
        """Wait until ``count`` requests came (answered as arrived, unless ``arrived`` is False)."""
        deadline = time.monotonic() + seconds
        with self._arrived:
            while True:
                have = self._answered_ok if arrived else len(self.messages)
                left = deadline - time.monotonic()
                if have >= count or left <= 0:
                    return have >= count
                self._arrived.wait(left)

    # --- handling --------------------------------------------------------------------------------

    def _next(self, queue: list[int]) -> int | None:
        with self._lock:
            return queue.pop(0) if queue else None

    def wait_started(self, count: int, *, seconds: float = 10.0) -> bool:
        """Wait until ``count`` requests have begun, answered or not."""
        deadline = time.monotonic() + seconds
        with self._arrived:
            while self.started < count and (left := deadline - time.monotonic()) > 0:
                self._arrived.wait(left)
            return self.started >= count

    def handle(self, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        with self._arrived:
            self.started += 1
            self._arrived.notify_all()
        if self._hang:
            time.sleep(self._hang)
        kind = path.strip("/") or "/"
        try:
            data = json.loads(body.decode() or "null")
        except ValueError:
            data = None
        status, answer, verified = 200, dict(OK), None
        forced = self._next(self._fail)
        if forced is not None:
            status, answer = forced, {"errcode": -1, "errmsg": "failing on purpose"}
        elif kind == "wecom":
            status, answer, verified = self._wecom(query, data)
        elif kind == "dingtalk":
            status, answer, verified = self._dingtalk(query, data)
        elif kind == "webhook":
            status, answer, verified = self._webhook(headers, body, data)
        else:
            status, answer = 404, {"errcode": 404, "errmsg": "no such path"}
        if status == 200 and kind in {"wecom", "dingtalk"} and answer.get("errcode") == 0:
            code = self._next(self._refuse)
            if code is not None:
                answer = {"errcode": code, "errmsg": "refused on purpose"}
        received = Received(kind, query, headers, body, data, verified, status, answer)
        with self._arrived:
            self.messages.append(received)
            if received.ok:
                self._answered_ok += 1
                if received.kind == "webhook":
                    self._by_delivery[received.delivery] += 1
            self._arrived.notify_all()
        if self.on_message is not None:
            self.on_message(received)
        return status, answer

    def _secret(self, kind: str, ident: str) -> str | None:
        return self.secret_for(kind, ident) if self.secret_for is not None and ident else None

    def _wecom(self, query: dict[str, str], data: Any) -> tuple[int, dict, bool | None]:
        key = query.get("key", "")
        if not key:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, False
        known = self._secret("wecom", key)
        if self.secret_for is not None and known is None:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, False
        if not (
            isinstance(data, dict) and data.get("msgtype") == "markdown" and (data.get("markdown") or {}).get("content")
        ):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}, None
        return 200, dict(OK), True if known else None

    def _dingtalk(self, query: dict[str, str], data: Any) -> tuple[int, dict, bool | None]:
        if not query.get("access_token"):
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}, False
        verified: bool | None = None
        secret = self._secret("dingtalk", query["access_token"])
        if secret:
            stamp, sign = query.get("timestamp", ""), query.get("sign", "")
            if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > DINGTALK_MAX_AGE_MS:
                return 200, {"errcode": 310000, "errmsg": "timestamp is out of range"}, False
            if not hmac.compare_digest(sign, dingtalk_expected_sign(secret, stamp)):
                return 200, {"errcode": 310000, "errmsg": "sign not match"}, False
            verified = True
        markdown = data.get("markdown") if isinstance(data, dict) else None
        if not (isinstance(markdown, dict) and data.get("msgtype") == "markdown" and markdown.get("title")):
            return 200, {"errcode": 40035, "errmsg": "invalid parameter"}, verified
        return 200, dict(OK), verified

    def _webhook(self, headers: dict[str, str], body: bytes, data: Any) -> tuple[int, dict, bool | None]:
        verified: bool | None = None
        secret = self._secret("webhook", headers.get("x-supervision-delivery", ""))
        if secret:
            stamp = headers.get("x-supervision-timestamp", "")
            if not stamp.isdigit() or abs(time.time() - int(stamp)) > WEBHOOK_MAX_AGE:
                return 401, {"ok": False, "error": "stale timestamp"}, False
            given = headers.get("x-supervision-signature", "")
            if not hmac.compare_digest(given, webhook_expected_signature(secret, stamp, body)):
                return 401, {"ok": False, "error": "bad signature"}, False
            verified = True
        if not isinstance(data, dict) or "id" not in data:
            return 400, {"ok": False, "error": "not an event"}, verified
        return 200, {"ok": True}, verified


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when several senders connect at once, and a
    # dropped connection is retried by the sender's kernel a second later.
    request_queue_size = 128


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = receiver.handle(parts.path, query, headers, body)
            data = json.dumps(answer).encode()
            trickle = receiver._trickle
            if trickle:
                self._trickle(status, data, trickle)
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _trickle(self, status: int, data: bytes, pause: float) -> None:
            head = (
                f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            )
            try:
                for byte in head.encode() + data:
                    self.wfile.write(bytes([byte]))
                    time.sleep(pause)
            except OSError:
                pass  # the sender gave up waiting
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the command prints what arrived; the access log would only repeat it

    return Handler
