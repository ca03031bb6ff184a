"""Evidence files: checked before anything is written, stored under their checksum.

Evidence is optional support for a report, never the goal (the 2024 rules on reducing the
burden on the grassroots forbid judging work by photos).
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from supervision.models import Evidence, LetterAttachment, ProgressReport, User

from .errors import InvalidInput, StorageFailed
from .storage import chunks_digest, content_name, content_store

logger = logging.getLogger(__name__)

MAX_FILES_PER_REPORT = 20


# The types offices send, whatever this machine's mime.types happens to list.
_KNOWN_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
    ".txt": "text/plain",
}


def _content_type(upload: UploadedFile) -> str:
    # Trust the extension over the browser's claim: the claim is whatever the client sends.
    name = (upload.name or "").lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix in _KNOWN_TYPES:
        return _KNOWN_TYPES[suffix]
    guessed, _enc = mimetypes.guess_type(name)
    # Unknown extension: never take the client's word for it.
    return guessed or "application/octet-stream"


def evidence_check(files: Sequence[UploadedFile]) -> None:
    """All problems with the files at once, before anything is saved."""
    if len(files) > MAX_FILES_PER_REPORT:
        raise InvalidInput(_("At most %(n)d files per report.") % {"n": MAX_FILES_PER_REPORT}, field="files")
    files_check(files)


def upload_rule(max_files: int) -> str:
    """The rule in one sentence, for the upload forms: the same numbers the checks enforce."""
    return _("At most %(n)d files, %(each)s each, %(total)s in all.") % {
        "n": max_files,
        "each": filesizeformat(settings.EVIDENCE_MAX_BYTES),
        "total": filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES),
    }


def files_check(files: Sequence[UploadedFile]) -> None:
    """Size, emptiness and type of each file, and their size together; every problem reported
    at once."""
    problems = []
    total = sum(f.size for f in files)
    if total > settings.EVIDENCE_MAX_TOTAL_BYTES:
        # One submission's files travel in one request, whose body limit derives from this cap.
        problems.append(
            _("The files come to %(size)s in all; at most %(limit)s can be sent at once.")
            % {"size": filesizeformat(total), "limit": filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES)}
        )
    for f in files:
        name = (f.name or "").rsplit("/", 1)[-1]
        if f.size > settings.EVIDENCE_MAX_BYTES:
            problems.append(
                _("%(name)s is larger than %(limit)s.")
                % {"name": name, "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
            )
        elif f.size == 0:
            problems.append(_("%(name)s is empty.") % {"name": name})
        if _content_type(f) not in settings.EVIDENCE_ALLOWED_TYPES:
            problems.append(
                _("%(name)s is not an accepted file type (PDF, images, Office documents, ZIP, text).") % {"name": name}
            )
    if problems:
        raise InvalidInput(" ".join(problems), field="files")


def stored_file(instance: Evidence | LetterAttachment, upload: UploadedFile, actor: User) -> None:
    """Fill a file-bearing row (evidence, letter attachment) from an upload and store the file.

    Content-addressed: the same file uploaded again (to another report, by another unit) points
    at the stored copy instead of writing a second one beside it, once that copy is checked to
    hold the same bytes (``storage.content_store``). The caller saves the row.

    Raises StorageFailed when the file store cannot take the file: the caller's transaction then
    rolls back, so no row refers to a file that was not stored whole.
    """
    instance.original_name = (upload.name or "file").rsplit("/", 1)[-1][:200]
    instance.content_type = _content_type(upload)
    instance.uploaded_by = actor
    target = ""
    try:
        # Read here too, not only written: a large upload waits in a temporary file of its own.
        # The bytes counted, not the size the upload declares: the row describes the stored file.
        instance.size, instance.sha256 = chunks_digest(upload.chunks())
        target = content_name(type(instance), instance.sha256)
        content_store(
            storage=instance.file.storage, name=target, upload=upload, sha256=instance.sha256, size=instance.size
        )
    except OSError as exc:
        # The person is told in general terms; the administrator needs the path and the cause.
        logger.error(
            "Could not store %s (%s uploaded by user %s) at %s: %s",
            instance.original_name,
            type(instance).__name__,
            actor.pk,
            exc.filename or target,
            exc.strerror or exc,
            exc_info=True,
        )
        raise StorageFailed(
            _(
                "The file %(name)s could not be stored, so nothing was saved. Please try again later; "
                "if this keeps happening, tell the system administrator."
            )
            % {"name": instance.original_name},
            field="files",
        ) from exc
    instance.file.name = target


def evidence_attach(*, report: ProgressReport, upload: UploadedFile, actor: User) -> Evidence:
    evidence = Evidence(report=report)
    stored_file(evidence, upload, actor)
    evidence.save()
    return evidence
