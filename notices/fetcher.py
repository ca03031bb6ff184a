"""The only way a PDF being rendered can read anything: the app's own static files.

weasyprint's default fetcher follows ``file://`` and ``http(s)://`` URLs, so a document that
ever carried markup from a user would read local files or call into the network from the
server. User text is escaped by the templates; this is the second wall. Templates refer to
assets with ``{% static %}``; relative URLs resolve against ``BASE_URL`` (a reserved,
unresolvable host), and only ``BASE_URL + STATIC_URL + path`` is answered, from the
staticfiles finders. Everything else fails, and weasyprint leaves the resource out.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

# ".invalid" is reserved (RFC 2606): nothing resolves it, so even a bug here reaches no host.
BASE_URL = "https://documents.invalid/"
_HOST = urlsplit(BASE_URL).netloc


class Refused(ValueError):
    """A URL the documents may not read."""


def static_path(url: str) -> Path:
    """The file a document URL stands for, or ``Refused``."""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.netloc != _HOST or parts.username or parts.port:
        raise Refused(f"not a static file of this app: {url[:200]}")
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    path = unquote(parts.path)
    if not path.startswith(prefix):
        raise Refused(f"not under {prefix}: {url[:200]}")
    relative = path[len(prefix) :]
    # The finders join safely too; refuse traversal outright rather than rely on it.
    if not relative or "\\" in relative or "\x00" in relative or posixpath.normpath(relative) != relative:
        raise Refused(f"not a plain static path: {url[:200]}")
    if relative.startswith("../") or relative == "..":
        raise Refused(f"not a plain static path: {url[:200]}")
    found = finders.find(relative)
    if not found:
        raise Refused(f"no such static file: {relative[:200]}")
    return Path(found)


class StaticOnlyFetcher(URLFetcher):
    """A weasyprint fetcher that serves static files and refuses every other URL."""

    def __init__(self) -> None:
        # Errors stay non-fatal: a refused resource is left out, the document still renders.
        super().__init__(timeout=1, allowed_protocols=("https",), allow_redirects=False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = static_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
