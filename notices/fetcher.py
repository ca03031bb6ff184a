"""The only way a PDF being rendered can read anything: the app's own static files.

weasyprint's default fetcher follows ``file://`` and ``http(s)://`` URLs, so a document that
ever carried markup from a user would read local files or call into the network from the
server. User text is escaped by the templates; this is the second wall. Templates refer to
assets with ``{% static %}``; relative URLs resolve against ``BASE_URL`` (a reserved,
unresolvable host), and only ``BASE_URL + STATIC_URL + path`` is answered, from the
staticfiles finders, and only when the file lies inside a static directory. Everything else fails,
and weasyprint leaves the resource out.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint.urls import URLFetcher, URLFetcherResponse

# ".invalid" is reserved (RFC 2606): nothing resolves it, so even a bug here reaches no host.
BASE_URL = "https://documents.invalid/"
_HOST = urlsplit(BASE_URL).netloc


class Refused(ValueError):
    """A URL the documents may not read."""


# Control characters, a backslash (a Windows separator), a percent sign left after decoding once
# (a double-encoded "%252e%252e"): no static file of ours is named with any of them.
_NOT_IN_A_PATH = re.compile(r"[\x00-\x1f\x7f\\%]")


def static_roots() -> list[Path]:
    """Every directory the staticfiles finders serve from, resolved (symlinks followed)."""
    roots: list[Path] = []
    for finder in finders.get_finders():
        # FileSystemFinder and AppDirectoriesFinder both keep one storage per directory.
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location).resolve())
    return roots


def _plain_relative(path: str, url: str) -> str:
    """The path under STATIC_URL, refused unless it is plain segments: no empty, "." or ".."
    segment, no leading slash, nothing a filesystem or a second decoding could read otherwise."""
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if not path.startswith(prefix):
        raise Refused(f"not under {prefix}: {url[:200]}")
    relative = path[len(prefix) :]
    if not relative or _NOT_IN_A_PATH.search(relative):
        raise Refused(f"not a plain static path: {url[:200]}")
    if any(segment in ("", ".", "..") for segment in relative.split("/")):
        raise Refused(f"not a plain static path: {url[:200]}")
    return relative


def static_path(url: str) -> Path:
    """The file a document URL stands for, or ``Refused``.

    The path is checked here rather than left to the finders: it must be plain segments, and
    the file found must resolve (symlinks followed) to a regular file inside one of the finders'
    own directories. A finder that joined carelessly, or a link pointing out of a static
    directory, still reads nothing else."""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.netloc != _HOST or parts.username or parts.port:
        raise Refused(f"not a static file of this app: {url[:200]}")
    if parts.query or parts.fragment:
        raise Refused(f"not a plain static path: {url[:200]}")
    relative = _plain_relative(unquote(parts.path), url)
    try:
        found = finders.find(relative)
    except (SuspiciousFileOperation, ValueError, OSError):
        raise Refused(f"not a plain static path: {url[:200]}") from None
    if not found:
        raise Refused(f"no such static file: {relative[:200]}")
    try:
        resolved = Path(found).resolve(strict=True)
    except (OSError, RuntimeError):  # vanished, or a symlink loop
        raise Refused(f"no such static file: {relative[:200]}") from None
    if not resolved.is_file() or not any(resolved.is_relative_to(root) for root in static_roots()):
        raise Refused(f"outside the static directories: {relative[:200]}")
    return resolved


class StaticOnlyFetcher(URLFetcher):
    """A weasyprint fetcher that serves static files and refuses every other URL."""

    def __init__(self) -> None:
        # Errors stay non-fatal: a refused resource is left out, the document still renders.
        super().__init__(timeout=1, allowed_protocols=("https",), allow_redirects=False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = static_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
