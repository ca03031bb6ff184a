"""Backups: the database and the stored files in one archive, and their restore with proof.

An archive is a directory, or the same directory packed as ``.tar`` / ``.tar.gz`` / ``.tgz``::

    manifest.json        what the archive holds: when, which engine, the migration state, the row
                         count of every table, the size and SHA-256 of the dump and of every file
    database.pgdump      PostgreSQL: ``pg_dump --format=custom``
    database.sqlite3     SQLite: a copy made with SQLite's online backup API
    media/...            the stored files (evidence, letter attachments) as under MEDIA_ROOT

Both commands run while the application serves requests:

- PostgreSQL: the rows are counted inside one REPEATABLE READ transaction whose snapshot is
  exported to ``pg_dump --snapshot``, so the dump holds exactly the rows the manifest counts, however
  many transitions commit meanwhile. SQLite: the backup API copies one consistent state of the file
  and the rows are counted in the copy.
- The files are copied after the database. Stored files are content-addressed (their name is their
  SHA-256) and never modified in place; a row that commits before the snapshot already has its file
  (the upload stores the file before the row commits), so every row of the dump finds its file in
  the copy. The one way a file can vanish meanwhile is the orphan sweep deleting a file whose row
  was removed after the snapshot; the backup checks every file row of its snapshot against the
  copy and fails rather than hand over an archive whose rows point at missing files.

Restore goes into an empty database (``force`` to go over one that is not), after checking the
archive against its manifest, and then proves the result: the row count of every table and the
hash of every file equal the manifest, every file row finds its file. Any difference is returned
to the caller (the command exits non-zero).

This module is the domain's: it imports no web code and names no URL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from supervision.services.storage import FILE_MODELS, copy_with_digest, file_digest

FORMAT = "supervision-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DUMP_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
TAR_SUFFIXES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz"}

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
    for model in FILE_MODELS:
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


# --- PostgreSQL client programs -----------------------------------------------------------------


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    match = re.search(r"\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def _candidate_dirs(bindir: str | None) -> Iterator[str]:
    if bindir:
        yield bindir
        return
    yield from os.environ.get("PATH", "").split(os.pathsep)
    # Debian keeps each major version's programs in its own directory; pg_config knows the one
    # of the installed development files.
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True)
            yield out.stdout.strip()


def pg_tool(name: str, *, major: int, bindir: str | None = None) -> str:
    """The PostgreSQL client program ``name`` of the server's major version, or else the oldest
    newer one. pg_dump refuses a server newer than itself, and an archive is best read by the
    same version that wrote it."""
    found: dict[str, int] = {}
    for folder in _candidate_dirs(bindir):
        path = os.path.join(folder, name)
        if folder and path not in found and os.access(path, os.X_OK):
            tool_major = _tool_major(path)
            if tool_major is not None:
                found[path] = tool_major
    usable = sorted((m, p) for p, m in found.items() if m >= major)
    exact = [p for m, p in usable if m == major]
    if exact or usable:
        return (exact or [usable[0][1]])[0]
    raise BackupError(
        _(
            "No %(tool)s of PostgreSQL %(major)d or newer was found (on PATH, in pg_config --bindir, "
            "or in --pg-bindir). Install the PostgreSQL client programs of the server's version."
        )
        % {"tool": name, "major": major}
    )


def _server_major() -> int:
    connection.ensure_connection()
    return connection.pg_version // 10000


def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database: the password never appears on a command line."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    for option, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT")):
        if db.get("OPTIONS", {}).get(option):
            env[var] = str(db["OPTIONS"][option])
    return env


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": os.path.basename(cmd[0]), "error": done.stderr.strip()}
        )


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


def _archive_kind(path: Path) -> str | None:
    """The tar compression for an archive path ("" plain, "gz"), or None for a directory."""
    name = path.name.lower()
    for suffix, compression in TAR_SUFFIXES.items():
        if name.endswith(suffix):
            return compression
    return None


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
