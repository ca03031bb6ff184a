"""Backups: writing an archive (see the package docstring for its layout and why it is consistent)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from supervision.backup.common import (
    DUMP_FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MEDIA_DIR,
    BackupError,
    DatabaseState,
    Log,
    _archive_kind,
    _copy,
    _engine,
    _fsync_dir,
    _media_files,
    _media_root,
    _state,
)
from supervision.backup.pgtools import _run, _server_major, pg_tool
from supervision.services.storage import file_digest

# --- Backup -----------------------------------------------------------------------------------


def _dump_postgresql(dump: Path, bindir: str | None) -> tuple[DatabaseState, dict[str, Any]]:
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot run inside a transaction: it needs its own snapshot."))
    major = _server_major()
    pg_dump = pg_tool("pg_dump", major=major, bindir=bindir)
    with transaction.atomic(), connection.cursor() as cursor:
        # Must be the transaction's first statement. The exported snapshot is the one pg_dump
        # reads: the counts below and the dump describe the same instant.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        state = _state(cursor, connection.introspection.table_names(cursor))
        # The snapshot can be imported only while this transaction is open.
        _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={dump}"])
    info = {
        "server_version": connection.pg_version,
        "dump_tool": subprocess.run([pg_dump, "--version"], capture_output=True, text=True).stdout.strip(),
    }
    return state, info


def _dump_sqlite(dump: Path) -> tuple[DatabaseState, dict[str, Any]]:
    connection.ensure_connection()
    target = sqlite3.connect(dump)
    try:
        # One step (pages=-1): a consistent copy of the whole database, whatever writes meanwhile.
        connection.connection.backup(target)
        # The copy inherits the source's WAL mode; a rollback journal keeps it one self-contained file.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    copy = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        state = _state(cursor, [row[0] for row in cursor.fetchall()])
    finally:
        copy.close()
    return state, {"server_version": sqlite3.sqlite_version, "dump_tool": "sqlite3 backup API"}


def backup_create(*, dest: Path, pg_bindir: str | None = None, log: Log = lambda _m: None) -> dict[str, Any]:
    """Write a backup archive to ``dest`` (which must not exist) and return its manifest.

    The archive is assembled beside ``dest`` under a hidden name and renamed into place at the
    end: a backup interrupted half-way never looks like a finished one.
    """
    dest = Path(dest).absolute()
    if dest.exists():
        raise BackupError(_("%(path)s already exists; a backup never overwrites anything.") % {"path": dest})
    if not dest.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.") % {"path": dest.parent})
    engine = _engine()
    media_root = _media_root()
    compression = _archive_kind(dest)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    try:
        dump = work / DUMP_FILES[engine]
        log(_("Dumping the database (%(engine)s)…") % {"engine": engine})
        if engine == "postgresql":
            state, info = _dump_postgresql(dump, pg_bindir)
        else:
            state, info = _dump_sqlite(dump)
        dump_size, dump_sha = file_digest(dump)
        log(_("Copying stored files from %(path)s…") % {"path": media_root})
        files: dict[str, dict[str, Any]] = {}
        for name, path in _media_files(media_root):
            try:
                size, sha = _copy(path, work / MEDIA_DIR / name)
            except FileNotFoundError:
                # Swept or renamed since the listing: no row of the snapshot can need it (checked below).
                with contextlib.suppress(FileNotFoundError):
                    (work / MEDIA_DIR / name).unlink()
                continue
            files[name] = {"size": size, "sha256": sha}
        warnings = _check_file_rows(state.file_rows, files)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": {"engine": engine, "file": dump.name, "size": dump_size, "sha256": dump_sha, **info},
            "migrations": state.migrations,
            "tables": state.tables,
            "media": {"files": len(files), "bytes": sum(f["size"] for f in files.values())},
            "files": files,
            "warnings": warnings,
        }
        for warning in warnings:
            log(warning)
        with open(work / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        if compression is None:
            os.rename(work, dest)
        else:
            partial = work.with_suffix(".tar")
            with tarfile.open(partial, f"w:{compression}") as tar:
                for entry in sorted(work.iterdir()):
                    tar.add(entry, arcname=entry.name)
            # The archive holds every row, password hashes included: readable by its owner only,
            # like the folder form (mkdtemp creates it 0700).
            os.chmod(partial, 0o600)
            with open(partial, "rb") as fh:
                os.fsync(fh.fileno())
            os.rename(partial, dest)
        _fsync_dir(dest.parent)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            work.with_suffix(".tar").unlink()


def _check_file_rows(rows: list[tuple[str, int, str]], files: dict[str, dict[str, Any]]) -> list[str]:
    """Fail when a row of the snapshot has no file in the copy; warn when storage already held a
    file whose bytes differ from what its row records (the copy is faithful; check_integrity tells
    more)."""
    missing, warnings = [], []
    for name, size, sha in rows:
        copied = files.get(name)
        if copied is None:
            missing.append(name)
        elif (copied["size"], copied["sha256"]) != (size, sha):
            warnings.append(
                _("Warning: the stored file %(name)s does not match the size and checksum its row records.")
                % {"name": name}
            )
    if missing:
        raise BackupError(
            _("Files named by the database vanished during the backup: %(names)s. Run the backup again.")
            % {"names": ", ".join(sorted(missing)[:10])}
        )
    return sorted(set(warnings))
