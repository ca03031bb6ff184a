"""Serving a stored private file (evidence, letter attachments) once a view has checked that the
person may see it. There is no public media URL: every download goes through here."""

from __future__ import annotations

import logging
import os
from typing import Any

from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Opened in the browser rather than saved: documents the browser shows safely.
INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _unavailable() -> HttpResponse:
    # Plain text: the person learns the file exists but cannot be given now, not a generic error.
    return HttpResponse(
        _("This file cannot be downloaded at the moment. The problem has been recorded for the system administrator."),
        status=503,
        content_type="text/plain; charset=utf-8",
    )


def private_file(row: Any, *, inline_allowed: bool = True) -> HttpResponse:
    """``row`` has ``file``, ``size``, ``original_name`` and ``content_type`` (Evidence,
    LetterAttachment). A stored copy whose size differs from the row's is damaged and is never
    sent: the person would receive wrong bytes under the right name."""
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        logger.error("Stored file %s of %s %s is missing.", row.file.name, type(row).__name__, row.pk)
        raise Http404 from None
    except OSError:
        logger.error(
            "Stored file %s of %s %s cannot be read.", row.file.name, type(row).__name__, row.pk, exc_info=True
        )
        return _unavailable()
    try:
        on_disk = os.fstat(handle.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        on_disk = row.size  # a storage without file descriptors: its own checks apply
    if on_disk != row.size:
        handle.close()
        logger.error(
            "Stored file %s of %s %s is damaged: %d bytes on disk, %d recorded; not served.",
            row.file.name,
            type(row).__name__,
            row.pk,
            on_disk,
            row.size,
        )
        return _unavailable()
    inline = inline_allowed and row.content_type in INLINE_TYPES
    response = FileResponse(handle, as_attachment=not inline, filename=row.original_name, content_type=row.content_type)
    # The stored content never runs as a page of ours.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
