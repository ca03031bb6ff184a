"""Serving a stored private file (evidence, letter attachments) once a view has checked that the
person may see it. There is no public media URL: every download goes through here."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404

# Opened in the browser rather than saved: documents the browser shows safely.
INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")


def private_file(row: Any, *, inline_allowed: bool = True) -> FileResponse:
    """``row`` has ``file``, ``original_name`` and ``content_type`` (Evidence, LetterAttachment)."""
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = inline_allowed and row.content_type in INLINE_TYPES
    response = FileResponse(handle, as_attachment=not inline, filename=row.original_name, content_type=row.content_type)
    # The stored content never runs as a page of ours.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
