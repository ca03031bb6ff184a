"""Websocket handshakes only from this site's own pages.

The inbox socket is authenticated by the session cookie, which a browser sends whichever page
opens the socket: a page from another origin could read the user's inbox. Browsers cannot forge
the ``Origin`` header of a websocket handshake, so it decides, in every mode (channels'
``AllowedHostsOriginValidator`` lets any origin in when ``ALLOWED_HOSTS`` is ``*``, as in
development).

Accepted: an ``Origin`` equal to the request's own scheme, host and port (with the host one
``ALLOWED_HOSTS`` allows), or listed in ``CSRF_TRUSTED_ORIGINS``, read as Django's CSRF check reads
it: ``https://*.example.com`` admits every subdomain of example.com over https on the default port.
A handshake without an ``Origin`` is refused too: every browser sends one, and a client that does
not is not a page of this site; with cookie authentication, refusing it costs nothing and closes
the gap for good.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}


def _normalise(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or ``scheme://host[:port]`` text; None if unusable."""
    try:
        parts = urlsplit(origin.strip())
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not host or port is None:
        return None
    return scheme, host, port


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _own_scheme(scope: dict[str, Any]) -> str:
    if scope.get("scheme") in ("wss", "https"):
        return "https"
    # Behind a proxy that ends TLS, the socket reaches us as plain ws: trust the proxy's header
    # exactly as Django does for pages (SECURE_PROXY_SSL_HEADER).
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        meta_name, expected = proxy
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        value = _header(scope, name)
        if value is not None and value.split(",")[0].strip() == expected:
            return "https"
    return "http"


def _trusted(given: tuple[str, str, int]) -> bool:
    """Whether ``CSRF_TRUSTED_ORIGINS`` lists the origin, exactly or by a ``*.`` wildcard.

    The same reading as Django's CSRF check for pages (is_same_domain on the host), so a socket is
    let in exactly where the site's forms are; scheme and port must be equal either way.
    """
    scheme, host, port = given
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        trusted = _normalise(entry)
        if trusted is None:
            continue
        t_scheme, t_host, t_port = trusted
        if (t_scheme, t_port) != (scheme, port):
            continue
        if t_host == host or (t_host.startswith("*.") and is_same_domain(host, t_host[1:])):
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    origin = _header(scope, b"origin")
    if not origin:
        return False
    given = _normalise(origin)
    if given is None:
        return False
    if _trusted(given):
        return True
    host = _header(scope, b"host")
    if not host:
        return False
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    return given == _normalise(f"{_own_scheme(scope)}://{host}")


class SameOriginValidator:
    """Wraps the websocket application; refuses (403 at the handshake) what fails the check."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            await _deny(receive, send)
            return None
        return await self.application(scope, receive, send)


async def _deny(receive: Any, send: Any) -> None:
    # Closing before accepting makes the server answer the handshake 403. Not channels'
    # WebsocketDenier: a consumer subscribes to the channel layer first, which fails while Redis
    # is down, and a refusal must not depend on Redis.
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})
