"""Stored files: written whole or not at all, and swept away once nobody refers to them.

Evidence and letter attachments live under their SHA-256 (``evidence/ab/ab12…``): the same content
uploaded twice is stored once, and a file's name says what its bytes must be.

Writing (``content_store``): the bytes go to a temporary file in the target's own folder, are
flushed to disk, read back and checked against the expected size and checksum, and only then
renamed over the final name (an atomic step on one file system) and the folder synced. A full disk
or a crash mid-write therefore leaves at most a temporary file, never a short file under a
checksum name. A file already at the name is reused only if its size and checksum match; anything
else (e.g. a short file an earlier failed write left there) is replaced with the good bytes.

Sweeping (``stored_files_sweep``): files are written before the row that refers to them commits.
When that transaction rolls back (a refused report, a crash) or a letter's attachment is removed,
the file stays behind with no row; it is deleted once older than a grace period, so an upload
whose transaction is still running is never touched; an upload reusing a stored copy and the
sweep also exclude each other per file (see "uploads and the sweep on the same file"). Unfinished
temporary files go after a much shorter wait, and a file no row refers to whose bytes do not
match its name goes at once. ``tick``
runs the sweep whenever it closes a cycle; ``manage.py sweep_files`` runs it on demand. Each sweep
that deletes something leaves an audit row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection, transaction
from django.utils import timezone

from supervision import clock
from supervision.models import Evidence, LetterAttachment

from .audit import audit_record

logger = logging.getLogger(__name__)

# Where content-addressed files live (see the upload_to functions of the two models).
FOLDERS = {"evidence": Evidence, "letters": LetterAttachment}
# The models whose rows name a stored file, with its size and checksum.
FILE_MODELS = tuple(FOLDERS.values())
# Older than this, a file without a row is an orphan: no upload transaction lasts a day.
GRACE = dt.timedelta(days=1)
# Older than this, a temporary file is an abandoned write: writing even the largest evidence file
# to local disk takes seconds, so half an hour never cuts an upload in flight.
TEMP_GRACE = dt.timedelta(minutes=30)
CHUNK = 500
READ_BLOCK = 1024 * 1024

# A write in progress: ".<checksum>.<random>.part", hidden and never a valid checksum name.
TEMP_PREFIX = "."
TEMP_SUFFIX = ".part"
_CHECKSUM_NAME = re.compile(r"^[0-9a-f]{64}$")


# --- names and digests ----------------------------------------------------------------------------


def content_name(model: type[Evidence] | type[LetterAttachment], sha256: str) -> str:
    """Where a row of ``model`` with this checksum keeps its file (``evidence/ab/ab12…``): the
    model's own upload_to, so the rule is written once."""
    return model._meta.get_field("file").generate_filename(model(sha256=sha256), "")


def chunks_digest(chunks: Iterable[bytes]) -> tuple[int, str]:
    """(size, SHA-256 hex) of the bytes, read once."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _read_blocks(fh: BinaryIO) -> Iterator[bytes]:
    while block := fh.read(READ_BLOCK):
        yield block


def file_digest(path: str | os.PathLike[str]) -> tuple[int, str]:
    """(size, SHA-256 hex) of a local file, read in blocks."""
    with open(path, "rb") as fh:
        return chunks_digest(_read_blocks(fh))


def stored_digest(storage: Storage, name: str) -> tuple[int, str]:
    """(size, SHA-256 hex) of a stored file, through the storage's API (local or not)."""
    with storage.open(name, "rb") as fh:
        return chunks_digest(_read_blocks(fh))


def copy_with_digest(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> tuple[int, str]:
    """Copy ``src`` to ``dest``, flushed to disk, and return (size, SHA-256 hex) of the bytes
    written: a copy is described by what it holds, read once."""
    with open(src, "rb") as fin, open(dest, "wb") as fout:

        def copied() -> Iterator[bytes]:
            for block in _read_blocks(fin):
                fout.write(block)
                yield block

        found = chunks_digest(copied())
        fout.flush()
        os.fsync(fout.fileno())
    return found


def local_file_matches(path: str, *, sha256: str, size: int) -> bool:
    """Whether the file at ``path`` holds exactly ``size`` bytes with checksum ``sha256``.
    The size is compared first: a short file is found without reading it."""
    if os.stat(path).st_size != size:
        return False
    return file_digest(path) == (size, sha256)


# --- writing --------------------------------------------------------------------------------------


def _write_all(fd: int, chunks: Iterable[bytes]) -> None:
    # os.write may write less than asked (and a full disk says so with ENOSPC on the next call).
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view) :]


def _sync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable: without it, a power cut may lose the new name."""
    if not hasattr(os, "O_DIRECTORY"):  # no directory handles on this platform
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _store_local(storage: FileSystemStorage, path: str, upload: File, *, sha256: str, size: int) -> None:
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    if os.path.exists(path):
        # Freshen it first: the orphan sweep spares files younger than a day, so a copy this
        # upload is about to refer to is not deleted before the row commits.
        with contextlib.suppress(OSError):
            os.utime(path)
        if local_file_matches(path, sha256=sha256, size=size):
            return
        logger.warning(
            "Stored file %s does not match its checksum (%d bytes on disk, %d expected); "
            "replacing it with the uploaded bytes.",
            path,
            os.stat(path).st_size,
            size,
        )
    temp = os.path.join(folder, f"{TEMP_PREFIX}{sha256}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    # 0o666 less the process umask, as Django's own storage creates files.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        try:
            upload.seek(0)
            _write_all(fd, upload.chunks())
            # Some file systems report a full disk only here (delayed allocation, NFS).
            os.fsync(fd)
        finally:
            os.close(fd)
        if storage.file_permissions_mode is not None:
            os.chmod(temp, storage.file_permissions_mode)
        # Read back what the disk holds, not what we meant to write.
        if not local_file_matches(temp, sha256=sha256, size=size):
            raise OSError(errno.EIO, "the written file does not match the upload's checksum", temp)
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = temp  # a write or fsync error names no file; the log should
        raise
    _sync_folder(folder)


def _store_remote(storage: Storage, name: str, upload: File, *, sha256: str, size: int) -> None:
    """A storage without local paths: the same rules, as far as its API allows (its own save is
    trusted to be whole-or-nothing)."""
    if storage.exists(name):
        if stored_digest(storage, name) == (size, sha256):
            return
        logger.warning("Stored file %s does not match its checksum; replacing it with the uploaded bytes.", name)
        storage.delete(name)
    upload.seek(0)
    saved = storage.save(name, upload)
    if saved != name:
        # Another upload of the same content got there first; its copy is as good as ours.
        storage.delete(saved)


# --- uploads and the sweep on the same file ------------------------------------------------------
#
# An upload that finds the file already stored freshens its mtime and reuses it; its row commits
# later. A sweep that read the file's age just before the freshening and looks for a row just
# before that commit would delete a file the row is about to name. The two therefore exclude each
# other per file name: on PostgreSQL an upload holds a shared transaction-level advisory lock on the
# name until its transaction ends (uploads of the same content do not wait for each other), and
# the sweep deletes only while holding it exclusively, skipping a file it cannot get; on SQLite
# every transaction begins IMMEDIATE (settings), so the sweep's transaction waits until the
# upload's has committed and then sees its row.


def _lock_key(name: str) -> int:
    # A signed 64-bit key, as pg_advisory_*_lock take; a collision only makes the sweep skip a file.
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _hold_for_upload(name: str) -> None:
    """Keep the sweep off ``name`` until the caller's transaction ends."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_lock_key(name)])


def _free_for_sweep(name: str) -> bool:
    """Inside the sweep's transaction: False while an upload's transaction holds ``name``."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_key(name)])
        return bool(cursor.fetchone()[0])


def content_store(*, storage: Storage, name: str, upload: File, sha256: str, size: int) -> None:
    """Make ``name`` in ``storage`` hold exactly the upload's bytes (``sha256``, ``size``).

    Raises OSError (full disk, read-only or failing storage, bytes that do not read back as
    written); nothing is then left under ``name`` that was not there, whole and correct, before.
    """
    # Before looking at what is there: a copy found now stays until this transaction's row commits.
    _hold_for_upload(name)
    # Only a file-system storage keeps its files at its path() (the in-memory one has a path()
    # too, pointing at nothing).
    if isinstance(storage, FileSystemStorage):
        _store_local(storage, storage.path(name), upload, sha256=sha256, size=size)
    else:
        _store_remote(storage, name, upload, sha256=sha256, size=size)


# --- sweeping -------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    checked: int = 0
    deleted: int = 0
    bytes_freed: int = 0
    # Of ``deleted``: abandoned temporary files, and files whose bytes did not match their name.
    partial: int = 0
    mismatched: int = 0


def _files(storage: Storage, folder: str) -> Iterator[str]:
    """Names of the files under ``folder``/<2 hex>/ (the layout the models write)."""
    if not storage.exists(folder):
        return
    buckets, _files_here = storage.listdir(folder)
    for bucket in sorted(buckets):
        _dirs, names = storage.listdir(f"{folder}/{bucket}")
        for name in sorted(names):
            yield f"{folder}/{bucket}/{name}"


def _is_temp(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.startswith(TEMP_PREFIX) and base.endswith(TEMP_SUFFIX)


def _mismatched(storage: Storage, name: str) -> os.stat_result | None:
    """The file's identity if its bytes are not what its checksum name says, else None.

    Only local files are checked (reading back a remote store is too costly for a sweep)."""
    base = name.rsplit("/", 1)[-1]
    if not _CHECKSUM_NAME.match(base):
        return None  # not one of ours (e.g. an old storage's "<checksum>_AbC123"): left to age out
    if not isinstance(storage, FileSystemStorage):
        return None
    path = storage.path(name)
    before = os.stat(path)
    if file_digest(path)[1] == base:
        return None
    return before


def _same_file(storage: Storage, name: str, seen: os.stat_result) -> bool:
    """True if ``name`` is still the very file that was checked: an upload of the same content
    may have renamed a good copy over it meanwhile, and that one must stay."""
    try:
        now = os.stat(storage.path(name))
    except FileNotFoundError:
        return False
    return (now.st_ino, now.st_size, now.st_mtime_ns) == (seen.st_ino, seen.st_size, seen.st_mtime_ns)


def stored_files_sweep(*, now: dt.datetime | None = None, storage: Storage | None = None) -> SweepResult:
    """``now`` dates the audit row (the office's clock, which a replay may set); file ages are
    always measured against the wall clock, since that is what the file system wrote."""
    now = now or clock.now()
    wall = timezone.now()
    old_before, temp_before = wall - GRACE, wall - TEMP_GRACE
    storage = storage or default_storage
    result = SweepResult()

    def delete(name: str) -> None:
        size = storage.size(name)
        storage.delete(name)
        result.deleted += 1
        result.bytes_freed += size

    def sweep_one(name: str, model: type[Evidence] | type[LetterAttachment]) -> None:
        modified = storage.get_modified_time(name)
        if _is_temp(name):
            if modified <= temp_before:
                delete(name)
                result.partial += 1
            return
        seen = None
        if modified > old_before:
            # Young and unused: maybe an upload whose row has not committed yet, which only ever
            # renames a checked file into place. A file that fails the check is damage (e.g. a
            # short write by an older version) and goes now.
            seen = _mismatched(storage, name)
            if seen is None:
                return
        with transaction.atomic():
            if not _free_for_sweep(name):
                return  # an upload in a running transaction is reusing it
            # Checked again just before deleting: an upload of the same content may have committed
            # a row since the chunk was read.
            if model.objects.filter(file=name).exists():
                return
            if seen is not None:
                if not _same_file(storage, name, seen):
                    return
                logger.warning("Deleted stored file %s: its bytes do not match its checksum name.", name)
                result.mismatched += 1
            elif storage.get_modified_time(name) > old_before:
                # Freshened since its age was read: an upload reuses it (where no lock says so,
                # e.g. an upload outside a transaction).
                return
            delete(name)

    for folder, model in FOLDERS.items():
        names = list(_files(storage, folder))
        result.checked += len(names)
        for start in range(0, len(names), CHUNK):
            chunk = names[start : start + CHUNK]
            used = set(model.objects.filter(file__in=chunk).values_list("file", flat=True))
            for name in chunk:
                if name in used:
                    continue
                try:
                    sweep_one(name, model)
                except FileNotFoundError:
                    # Gone since the folder was listed: a temporary file renamed into place, or
                    # a sweep running at the same time. Nothing left to do for it.
                    continue
    if result.deleted:
        with transaction.atomic():
            audit_record(
                at=now,
                action="files.swept",
                data={
                    "deleted": result.deleted,
                    "bytes": result.bytes_freed,
                    "checked": result.checked,
                    "partial": result.partial,
                    "mismatched": result.mismatched,
                },
            )
    return result
