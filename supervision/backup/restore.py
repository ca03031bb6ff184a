"""Backups: restoring an archive into the configured database and MEDIA_ROOT, and proving the result."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from supervision.backup.common import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MEDIA_DIR,
    BackupError,
    Log,
    RestoreResult,
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

# --- Restore ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _opened(src: Path, scratch_parent: Path) -> Iterator[Path]:
    """The archive as a directory: itself, or a tar unpacked into a scratch folder."""
    if src.is_dir():
        yield src
        return
    if not src.is_file() or _archive_kind(src) is None:
        raise BackupError(_("%(path)s is neither a backup folder nor a .tar/.tar.gz archive.") % {"path": src})
    scratch_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=scratch_parent) as scratch:
        try:
            with tarfile.open(src) as tar:
                # The "data" filter refuses absolute names, "..", links out of the folder and devices.
                tar.extractall(scratch, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(_("The archive cannot be read: %(error)s") % {"error": exc}) from exc
        yield Path(scratch)


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(_("The archive has no readable manifest: %(error)s") % {"error": exc}) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("This is not a backup of this application."))
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            _("Backup format version %(version)s is not supported.") % {"version": manifest.get("version")}
        )
    return manifest


def archive_check(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Every difference between the archive's contents and its manifest (empty when intact)."""
    problems = []
    db = manifest["database"]
    dump = folder / db["file"]
    if not dump.is_file():
        problems.append(_("The database dump %(name)s is missing.") % {"name": db["file"]})
    elif file_digest(dump) != (db["size"], db["sha256"]):
        problems.append(_("The database dump %(name)s is damaged (checksum differs).") % {"name": db["file"]})
    present = dict(_media_files(folder / MEDIA_DIR))
    for name, meta in manifest["files"].items():
        path = present.pop(name, None)
        if path is None:
            problems.append(_("Stored file %(name)s is missing from the archive.") % {"name": name})
        elif file_digest(path) != (meta["size"], meta["sha256"]):
            problems.append(_("Stored file %(name)s is damaged (checksum differs).") % {"name": name})
    for name in present:
        problems.append(_("Stored file %(name)s is in the archive but not in its manifest.") % {"name": name})
    return problems


def _known_migrations() -> tuple[set[tuple[str, str]], dict[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves: dict[str, str] = {}
    for app, name in loader.graph.leaf_nodes():
        leaves[app] = max(leaves.get(app, ""), name)
    return set(loader.disk_migrations), leaves


def _target_tables() -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def _restore_postgresql(dump: Path, *, force: bool, bindir: str | None, manifest: dict[str, Any]) -> None:
    dump_major = int(manifest["database"].get("server_version", 0)) // 10000
    pg_restore = pg_tool("pg_restore", major=max(_server_major(), dump_major), bindir=bindir)
    # One transaction: a failing restore leaves the target as it was. --no-owner/--no-privileges:
    # the objects belong to the user the application connects as here, whatever they were called
    # on the server the backup came from.
    cmd = [pg_restore, "--single-transaction", "--no-owner", "--no-privileges", "--no-password"]
    if force:
        cmd += ["--clean", "--if-exists"]
    _run([*cmd, f"--dbname={connection.settings_dict['NAME']}", str(dump)])


def _restore_sqlite(dump: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        # Replaces the whole target database, in one step, through the connection the app uses.
        source.backup(connection.connection)
    finally:
        source.close()


def _restore_files(folder: Path, manifest: dict[str, Any], media_root: Path) -> None:
    """Each file into MEDIA_ROOT under a hidden temporary name, checked, then renamed into place;
    a file already there with the right bytes is kept."""
    touched: set[Path] = set()
    for name, meta in manifest["files"].items():
        target = media_root / name
        expected = (meta["size"], meta["sha256"])
        if target.is_file() and file_digest(target) == expected:
            continue
        temp = target.with_name(f".{target.name}.restore.part")
        try:
            if _copy(folder / MEDIA_DIR / name, temp) != expected:
                raise BackupError(_("Stored file %(name)s changed while it was restored.") % {"name": name})
            os.replace(temp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        touched.add(target.parent)
    for folder_path in touched:
        _fsync_dir(folder_path)


def restore_verify(manifest: dict[str, Any], media_root: Path) -> list[str]:
    """Prove the configured database and MEDIA_ROOT hold what the manifest describes."""
    mismatches = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        state = _state(cursor, tables)
    expected = manifest["tables"]
    for table in sorted(set(expected) | set(state.tables)):
        want, have = expected.get(table), state.tables.get(table)
        if want != have:
            mismatches.append(
                _("Table %(table)s: %(have)s rows, the backup has %(want)s.")
                % {"table": table, "have": "—" if have is None else have, "want": "—" if want is None else want}
            )
    if state.migrations != manifest["migrations"]:
        mismatches.append(_("The migration state differs from the backup's."))
    for name, meta in manifest["files"].items():
        path = media_root / name
        if not path.is_file():
            mismatches.append(_("Stored file %(name)s is missing.") % {"name": name})
        elif file_digest(path) != (meta["size"], meta["sha256"]):
            mismatches.append(_("Stored file %(name)s differs from the backup.") % {"name": name})
    for name, _size, _sha in state.file_rows:
        if name not in manifest["files"] and not (media_root / name).is_file():
            mismatches.append(_("A row names the stored file %(name)s, which does not exist.") % {"name": name})
    return mismatches


def backup_restore(
    *, src: Path, force: bool = False, pg_bindir: str | None = None, log: Log = lambda _m: None
) -> RestoreResult:
    """Restore the archive ``src`` into the configured database and MEDIA_ROOT, then verify.

    Refused, with nothing written, when the archive differs from its manifest, was made on another
    engine or by a newer version of the application, or (without ``force``) when the target
    database already has tables. ``force`` restores over them: on PostgreSQL every object the
    archive holds is dropped and recreated (pg_restore --clean), other tables are left alone and
    reported by the verification; on SQLite the whole database is replaced.
    """
    src = Path(src).absolute()
    engine = _engine()
    media_root = _media_root()
    with _opened(src, media_root.parent) as folder:
        manifest = _read_manifest(folder)
        archived = manifest["database"]["engine"]
        if archived != engine:
            raise BackupError(
                _("This backup is of a %(archived)s database; the configured database is %(engine)s.")
                % {"archived": archived, "engine": engine}
            )
        log(_("Checking the archive against its manifest…"))
        problems = archive_check(folder, manifest)
        if problems:
            raise BackupError("\n".join([_("The archive is damaged; nothing was restored."), *problems]))
        known, leaves = _known_migrations()
        unknown = sorted(f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known)
        if unknown:
            raise BackupError(
                _(
                    "The backup was made by a newer version of the application (unknown migrations: %(names)s). "
                    "Install that version, restore, then upgrade."
                )
                % {"names": ", ".join(unknown)}
            )
        tables = _target_tables()
        if tables and not force:
            raise BackupError(
                _(
                    "The target database is not empty (%(n)d tables). Restore into an empty database, "
                    "or pass --force to restore over it."
                )
                % {"n": len(tables)}
            )
        log(_("Restoring the database…"))
        dump = folder / manifest["database"]["file"]
        if engine == "postgresql":
            _restore_postgresql(dump, force=force, bindir=pg_bindir, manifest=manifest)
        else:
            _restore_sqlite(dump)
        log(_("Restoring %(n)d stored files into %(path)s…") % {"n": len(manifest["files"]), "path": media_root})
        _restore_files(folder, manifest, media_root)
    log(_("Verifying row counts and file checksums…"))
    result = RestoreResult(manifest=manifest, mismatches=restore_verify(manifest, media_root))
    done = manifest["migrations"]
    result.needs_migrate = any(name > done.get(app, "") for app, name in leaves.items())
    return result
