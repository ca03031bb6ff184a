"""Backups: what the backup and the restore share. The archive format, the errors, the database
state (read from a cursor of either engine) and the walk over the stored files."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.utils.translation import gettext as _

from supervision.models import IssuedDocument
from supervision.services.storage import FILE_MODELS, copy_with_digest

FORMAT = "supervision-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DUMP_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
TAR_SUFFIXES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz"}
# The rows that name a stored file which must be in the archive: evidence and attachments, and the
# letters and notices kept as issued (issued/…), whose loss a backup must not hide.
BACKED_FILE_MODELS = (*FILE_MODELS, IssuedDocument)

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot be made; nothing was written to the target."""


@dataclass
class DatabaseState:
    """What the database held at the moment of the backup (or holds after a restore)."""

    tables: dict[str, int]
    migrations: dict[str, str]
    # (file name, size, sha256) of every row that names a stored file.
    file_rows: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    # Every difference between the restored data and the manifest; empty when the restore is proven.
    mismatches: list[str] = field(default_factory=list)
    # The code has migrations the archive's database had not applied yet: run migrate.
    needs_migrate: bool = False


# --- Reading the database ---------------------------------------------------------------------


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _count_tables(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # names from introspection, quoted
        counts[table] = cursor.fetchone()[0]
    return counts


def _latest_migrations(cursor: Any, tables: list[str]) -> dict[str, str]:
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        # Migration names start with their 4-digit number, so the greatest name is the latest.
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _file_rows(cursor: Any, tables: list[str]) -> list[tuple[str, int, str]]:
    rows: list[tuple[str, int, str]] = []
    for model in BACKED_FILE_MODELS:
        table = model._meta.db_table
        if table not in tables:
            continue
        cols = [_quote(model._meta.get_field(f).column) for f in ("file", "size", "sha256")]
        cursor.execute(f"SELECT {', '.join(cols)} FROM {_quote(table)}")  # names from the model, quoted
        rows.extend((name, int(size), sha) for name, size, sha in cursor.fetchall())
    return rows


def _state(cursor: Any, tables: list[str]) -> DatabaseState:
    return DatabaseState(
        tables=_count_tables(cursor, tables),
        migrations=_latest_migrations(cursor, tables),
        file_rows=_file_rows(cursor, tables),
    )


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DUMP_FILES:
        raise BackupError(_("Backups support PostgreSQL and SQLite, not %(engine)s.") % {"engine": vendor})
    return vendor


# --- Files ---------------------------------------------------------------------------------------


def _media_root() -> Path:
    if not isinstance(default_storage, FileSystemStorage):
        raise BackupError(_("Backups copy stored files from a local MEDIA_ROOT; this storage has none."))
    return Path(settings.MEDIA_ROOT)


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Relative POSIX names and paths of the regular files under ``root``, sorted.

    Names starting with a dot are unfinished writes (a stored file is written to a hidden temporary
    file and renamed into place): never part of a backup.
    """
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(folder, name)
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def _copy(src: Path, dest: Path) -> tuple[int, str]:
    """Copy while hashing what is written, flushed to disk: the manifest records the bytes copied."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return copy_with_digest(src, dest)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _archive_kind(path: Path) -> str | None:
    """The tar compression for an archive path ("" plain, "gz"), or None for a directory."""
    name = path.name.lower()
    for suffix, compression in TAR_SUFFIXES.items():
        if name.endswith(suffix):
            return compression
    return None
