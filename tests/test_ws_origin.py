"""The inbox socket opens only for this site's own pages, in development mode as in production.

A page from another origin on the same host once read the inbox catch-up with the victim's
cookie: in development ``ALLOWED_HOSTS`` is ``*`` and channels' validator let every origin in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings

from project.asgi import application
from tests.conftest import issue_letter

MODES = {
    "development": {"DEBUG": True, "ALLOWED_HOSTS": ["*"]},
    "production": {"DEBUG": False, "ALLOWED_HOSTS": ["localhost", "sv.example.gov.cn"]},
}


@pytest.fixture(params=sorted(MODES))
def mode(request, settings):
    for name, value in MODES[request.param].items():
        setattr(settings, name, value)
    settings.CSRF_TRUSTED_ORIGINS = []
    return request.param


@pytest.fixture
def cookie(world, client) -> bytes:
    issue_letter(world, items=1)  # something in the inbox to leak
    client.force_login(world.liaison_a)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def _open(headers: list[tuple[bytes, bytes]]) -> tuple[bool, dict | None]:
    """(accepted, the first message) of a handshake with these headers."""

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
        connected, _code = await communicator.connect(timeout=5)
        first = await communicator.receive_json_from(timeout=5) if connected else None
        await communicator.disconnect()
        return connected, first

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",  # another site
        b"http://localhost:9000",  # another origin on the same host: the reported case
        b"https://localhost:8000",  # another scheme
        b"null",  # a sandboxed frame or a file
    ],
)
def test_a_page_from_another_origin_is_refused_and_the_sites_own_page_is_not(mode, cookie, origin):
    connected, first = _open([(b"origin", origin), (b"host", b"localhost:8000"), (b"cookie", cookie)])
    assert (connected, first) == (False, None)
    own = [(b"origin", b"http://localhost:8000"), (b"host", b"localhost:8000"), (b"cookie", cookie)]
    connected, first = _open(own)
    assert connected and first["type"] == "catch_up" and first["unread"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_handshake_without_origin_is_refused(mode, cookie):
    # Browsers always send an Origin on websockets; the cookie alone must not open the inbox.
    assert _open([(b"host", b"localhost:8000"), (b"cookie", cookie)]) == (False, None)


@pytest.mark.django_db(transaction=True)
def test_a_trusted_origin_is_let_in_and_no_other(mode, cookie, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://portal.example.gov.cn"]
    headers = [(b"origin", b"https://portal.example.gov.cn"), (b"host", b"localhost:8000"), (b"cookie", cookie)]
    assert _open(headers)[0]
    # Only that one: a neighbour of the trusted origin is not.
    headers[0] = (b"origin", b"https://other.example.gov.cn")
    assert not _open(headers)[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (b"https://portal.example.gov.cn", True),  # a subdomain
        (b"https://a.b.example.gov.cn", True),  # a deeper one
        (b"https://example.gov.cn.evil.example", False),  # another domain that only starts alike
        (b"https://evilexample.gov.cn", False),  # nor one that only ends alike
        (b"http://portal.example.gov.cn", False),  # another scheme
        (b"https://portal.example.gov.cn:8443", False),  # another port
    ],
)
def test_a_wildcard_trusted_origin_admits_its_subdomains_as_django_csrf_does(mode, cookie, settings, origin, allowed):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.gov.cn"]
    headers = [(b"origin", origin), (b"host", b"localhost:8000"), (b"cookie", cookie)]
    assert _open(headers)[0] is allowed


@pytest.mark.django_db(transaction=True)
def test_a_wildcard_with_a_port_admits_that_port(cookie, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.gov.cn:8443"]
    headers = [(b"origin", b"https://dc.example.gov.cn:8443"), (b"host", b"localhost:8000"), (b"cookie", cookie)]
    assert _open(headers)[0]
    headers[0] = (b"origin", b"https://dc.example.gov.cn")
    assert not _open(headers)[0]


@pytest.mark.django_db(transaction=True)
def test_a_site_on_another_port_is_its_own_origin(cookie, settings):
    # nginx passes the Host header as the browser sent it, port included.
    site = (Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "supervision.conf").read_text()
    assert "proxy_set_header Host $http_host;" in site
    settings.DEBUG, settings.ALLOWED_HOSTS = False, ["sv.example.gov.cn"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    page = [(b"origin", b"https://sv.example.gov.cn:8443"), (b"host", b"sv.example.gov.cn:8443"), (b"cookie", cookie)]
    assert _open([*page, (b"x-forwarded-proto", b"https")])[0]


@pytest.mark.django_db(transaction=True)
def test_behind_a_tls_proxy_the_https_page_is_the_same_origin(cookie, settings):
    settings.DEBUG, settings.ALLOWED_HOSTS = False, ["sv.example.gov.cn"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    page = [(b"origin", b"https://sv.example.gov.cn"), (b"host", b"sv.example.gov.cn"), (b"cookie", cookie)]
    assert _open([*page, (b"x-forwarded-proto", b"https")])[0]
    # Without the proxy's word the socket is plain ws, so an https page is another origin.
    assert not _open(page)[0]


@pytest.mark.django_db(transaction=True)
def test_a_host_outside_allowed_hosts_is_refused_in_production(cookie, settings):
    settings.DEBUG, settings.ALLOWED_HOSTS = False, ["sv.example.gov.cn"]
    # A rebound DNS name: origin and host agree, but the host is not this site's.
    headers = [(b"origin", b"http://rebound.example"), (b"host", b"rebound.example"), (b"cookie", cookie)]
    assert _open(headers) == (False, None)
