"""Request bodies over their route's limit are refused before anything buffers them.

An unauthenticated 300 MB multipart POST to the sign-in page once drove a daphne process to
4 GB. The ASGI middleware is tested with a fake server; the daphne layer through a real daphne
process, watching its memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import re
import socket
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from project.asgi import application
from project.limits import BodyLimitMiddleware, body_limit
from supervision.models import LetterAttachment
from tests.helpers import draft_letter
from tests.servers import shared_database_url, start_daphne

MB = 1024 * 1024
CHUNK = 64 * 1024


# --- the middleware, with a fake server ---------------------------------------------------------


def _scope(path: str, headers: list[tuple[bytes, bytes]] = (), root_path: str = "") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


class FakeServer:
    """Feeds ``total`` bytes in 64 kB messages (or forever) and records what the app answers."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.given = 0
        self.reads = 0
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        self.reads += 1
        if self.total is None:
            return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}
        size = min(CHUNK, self.total - self.given)
        self.given += size
        return {"type": "http.request", "body": b"x" * size, "more_body": self.given < self.total}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


async def _echo_length(scope, receive, send):
    """A stand-in application that reads the whole body and answers with its length."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def _run(app, scope, server: FakeServer) -> FakeServer:
    asyncio.run(asyncio.wait_for(app(scope, server.receive, server.send), timeout=30))
    return server


def test_a_declared_length_over_the_limit_is_refused_without_reading(settings):
    settings.MAX_FORM_BYTES = MB
    server = _run(
        BodyLimitMiddleware(_echo_length),
        _scope("/accounts/login/", [(b"content-length", str(300 * MB).encode()), (b"accept-language", b"en")]),
        FakeServer(total=None),
    )
    assert server.status == 413 and server.reads == 0
    assert b"too large" in server.body and b"1.0" in server.body


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(settings):
    settings.MAX_FORM_BYTES = MB
    server = _run(BodyLimitMiddleware(_echo_length), _scope("/accounts/login/"), FakeServer(total=None))
    assert server.status == 413
    # It stopped reading right after the limit, not at the end of an endless body.
    assert server.reads == MB // CHUNK + 1


def test_bodies_within_the_limit_reach_the_application_whole(settings):
    settings.MAX_FORM_BYTES = MB
    server = _run(BodyLimitMiddleware(_echo_length), _scope("/accounts/login/"), FakeServer(total=MB))
    assert (server.status, server.body) == (200, str(MB).encode())


def test_upload_routes_take_the_evidence_limit_and_forms_stay_small(settings):
    settings.MAX_FORM_BYTES = MB
    settings.EVIDENCE_MAX_TOTAL_BYTES = 20 * MB
    five = 5 * MB
    for path in ("/tasks/12/do/report/", "/letters/3/do/attach/", "/documents/letters/3/import/"):
        assert _run(BodyLimitMiddleware(_echo_length), _scope(path), FakeServer(total=five)).status == 200, path
    for path in ("/accounts/login/", "/tasks/", "/letters/3/do/issue/", "/tasks/12/"):
        assert _run(BodyLimitMiddleware(_echo_length), _scope(path), FakeServer(total=five)).status == 413, path
    assert body_limit("/tasks/12/do/report/") == 21 * MB
    # Behind a URL prefix, the route is what follows the prefix.
    prefixed = _scope("/sv/tasks/12/do/report/", root_path="/sv")
    assert _run(BodyLimitMiddleware(_echo_length), prefixed, FakeServer(total=five)).status == 200


def test_a_submission_the_services_accept_is_never_cut_off_by_the_body_limit(settings):
    # Two 15 MB files: each under the 20 MB evidence limit, 30 MB together, within the 50 MB a
    # submission may carry. The upload routes once took 21 MB, so this body got a bare 413 and
    # the report's typed text was lost.
    for path in ("/tasks/12/do/report_progress/", "/tasks/12/do/submit_completion/", "/letters/3/do/attach/"):
        server = _run(BodyLimitMiddleware(_echo_length), _scope(path), FakeServer(total=30 * MB + 4096))
        assert server.status == 200, path
    # The limit follows the total cap, with room for the framing and the typed text.
    settings.EVIDENCE_MAX_TOTAL_BYTES = 80 * MB
    assert 80 * MB + 64 * 1024 <= body_limit("/tasks/12/do/report_progress/") <= 81 * MB
    # One byte more than a full submission plus its framing is still refused.
    over = FakeServer(total=body_limit("/letters/3/do/attach/") + 1)
    assert _run(BodyLimitMiddleware(_echo_length), _scope("/letters/3/do/attach/"), over).status == 413


def test_the_refusal_speaks_the_visitors_language(settings):
    settings.MAX_FORM_BYTES = MB
    scope = _scope("/accounts/login/", [(b"content-length", b"999999999"), (b"accept-language", b"en")])
    server = _run(BodyLimitMiddleware(_echo_length), scope, FakeServer(total=None))
    assert server.body.decode().startswith("The request is too large: at most 1.0\xa0MB can be sent at once.")
    assert "Nothing was saved" in server.body.decode()


def test_django_itself_never_reads_past_the_limit(settings):
    # The whole stack: Django's ASGI handler spools what it reads; the middleware stops it first.
    settings.MAX_FORM_BYTES = MB
    server = _run(application, _scope("/accounts/login/"), FakeServer(total=None))
    assert server.status == 413
    assert server.reads == MB // CHUNK + 1


# --- a real daphne process ----------------------------------------------------------------------


def _memory_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(key)


@pytest.fixture(scope="module")
def daphne_alone(tmp_path_factory):
    """A daphne process with a database of its own: the refused requests never reach one."""
    var = tmp_path_factory.mktemp("var")
    env = {"VAR_DIR": str(var), "MAX_FORM_BYTES": str(MB), "EVIDENCE_MAX_TOTAL_BYTES": str(20 * MB)}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env[name] = ""
    with start_daphne(env=env) as (proc, url):
        yield proc, urlsplit(url).port


def _read_answer(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    answer = b""
    try:
        while b"\r\n\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    except (TimeoutError, ConnectionResetError):
        pass
    return answer


def test_daphne_refuses_a_huge_declared_body_at_once(daphne_alone):
    _proc, port = daphne_alone
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 314572800\r\n\r\n--x\r\n"
        )
        # The 300 MB never come: the answer must not wait for them.
        answer = _read_answer(sock, timeout=5)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_daphne_cuts_off_a_streamed_body_and_its_memory_stays_small(daphne_alone):
    proc, port = daphne_alone
    before = _memory_mb(proc.pid, "VmRSS")
    sent = 0
    block = b"%x\r\n%s\r\n" % (CHUNK, b"x" * CHUNK)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < 50 * MB:
                sock.sendall(block)
                sent += CHUNK
        except OSError:  # the server closed the connection: what we want
            pass
        answer = _read_answer(sock, timeout=5)
    peak = _memory_mb(proc.pid, "VmHWM")
    assert sent < 50 * MB, "the whole 50 MB were taken in"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413 ")
    # Before: the process peaked some 600 MB above its start for these 50 MB.
    assert peak - before < 50, f"daphne grew from {before:.0f} MB to a peak of {peak:.0f} MB"


def test_daphne_takes_an_upload_sized_body_on_an_upload_route(daphne_alone):
    # Five MB on an evidence route pass the limit (the signed-out visitor is then sent away by
    # the ordinary checks, not by the size); the same five MB to the sign-in page do not.
    _proc, port = daphne_alone

    def post(path: str) -> bytes:
        body = b"x" * (5 * MB)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            with contextlib.suppress(OSError):  # refused before the end: the answer says so
                sock.sendall(body)
            return _read_answer(sock, timeout=10)

    assert post("/accounts/login/").startswith(b"HTTP/1.1 413 ")
    upload = post("/tasks/1/do/report/")
    assert upload.startswith(b"HTTP/1.1 ") and not upload.startswith(b"HTTP/1.1 413 ")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the server process shares the PostgreSQL test database")
def test_a_real_attachment_of_a_few_megabytes_uploads_through_daphne_at_little_memory_cost(world, tmp_path):
    letter = draft_letter(world, units=[world.unit_a])
    clerk = world.clerk
    clerk.password = PBKDF2PasswordHasher().encode("pw-upload-1", PBKDF2PasswordHasher().salt())
    clerk.save(update_fields=["password"])
    server = start_daphne(
        env={
            "DATABASE_URL": shared_database_url(),
            "REDIS_URL": "",
            "VAR_DIR": str(tmp_path / "var"),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
    )
    with server as (proc, base):
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def csrf() -> str:
            return next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)

        browser.open(base + "/accounts/login/", timeout=30).read()
        form = f"username={clerk.username}&password=pw-upload-1&csrfmiddlewaretoken={csrf()}".encode()
        browser.open(urllib.request.Request(base + "/accounts/login/", data=form), timeout=30).read()
        assert any(c.name == settings.SESSION_COOKIE_NAME for c in jar), "sign-in failed"

        boundary = uuid.uuid4().hex
        content = b"%PDF-1.4\n" + b"0" * (8 * MB) + b"\n%%EOF\n"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf()}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="scan.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            base + f"/letters/{letter.pk}/do/attach/",
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": base + "/"},
        )
        warm = _memory_mb(proc.pid, "VmHWM")
        page = browser.open(request, timeout=60).read().decode()
        growth = _memory_mb(proc.pid, "VmHWM") - warm
    attachment = LetterAttachment.objects.get(letter=letter)
    assert attachment.size == len(content)
    assert re.search(r"scan\.pdf", page)
    # Twisted no longer reads and parses a multipart body for nothing: an 8 MB upload cost the
    # server some 97 MB before, about 12 MB now.
    assert growth < 3 * 8, f"an 8 MB upload grew the server by {growth:.0f} MB"
