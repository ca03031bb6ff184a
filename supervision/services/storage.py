"""Stored files nobody refers to any more, swept away.

Evidence and letter attachments are written to storage under their checksum before the row that
refers to them commits. When that transaction rolls back (a refused report, a crash) or a letter's
attachment is removed, the file stays behind with no row. ``stored_files_sweep`` deletes such
files once they are older than a grace period, so an upload whose transaction is still running is
never touched. ``tick`` runs it whenever it closes a cycle; ``manage.py sweep_files`` runs it on
demand. Each sweep that deletes something leaves an audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils import timezone

from supervision import clock
from supervision.models import AuditEvent, Evidence, LetterAttachment

# Where content-addressed files live (see the upload_to functions of the two models).
FOLDERS = {"evidence": Evidence, "letters": LetterAttachment}
# Older than this, a file without a row is an orphan: no upload transaction lasts a day.
GRACE = dt.timedelta(days=1)
CHUNK = 500


@dataclass
class SweepResult:
    checked: int = 0
    deleted: int = 0
    bytes_freed: int = 0


def _files(storage: Storage, folder: str) -> Iterator[str]:
    """Names of the files under ``folder``/<2 hex>/ (the layout the models write)."""
    if not storage.exists(folder):
        return
    buckets, _files_here = storage.listdir(folder)
    for bucket in sorted(buckets):
        _dirs, names = storage.listdir(f"{folder}/{bucket}")
        for name in sorted(names):
            yield f"{folder}/{bucket}/{name}"


def stored_files_sweep(*, now: dt.datetime | None = None, storage: Storage | None = None) -> SweepResult:
    """``now`` dates the audit row (the office's clock, which a replay may set); file ages are
    always measured against the wall clock, since that is what the file system wrote."""
    now = now or clock.now()
    old_before = timezone.now() - GRACE
    storage = storage or default_storage
    result = SweepResult()
    for folder, model in FOLDERS.items():
        names = list(_files(storage, folder))
        result.checked += len(names)
        for start in range(0, len(names), CHUNK):
            chunk = names[start : start + CHUNK]
            used = set(model.objects.filter(file__in=chunk).values_list("file", flat=True))
            for name in chunk:
                if name in used or storage.get_modified_time(name) > old_before:
                    continue
                # Checked again just before deleting: an upload of the same content may have
                # committed a row since the chunk was read.
                if model.objects.filter(file=name).exists():
                    continue
                size = storage.size(name)
                storage.delete(name)
                result.deleted += 1
                result.bytes_freed += size
    if result.deleted:
        with transaction.atomic():
            AuditEvent.objects.create(
                at=now,
                action="files.swept",
                data={"deleted": result.deleted, "bytes": result.bytes_freed, "checked": result.checked},
            )
    return result
