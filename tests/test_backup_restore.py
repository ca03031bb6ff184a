"""``manage.py backup`` and ``manage.py restore``: a round trip into an empty database restores every
row and every stored file; a damaged archive or a non-empty target is refused and changes nothing.

The backup runs in this process against the test database; pg_dump (a separate process) sees only
committed rows, hence ``transaction=True``. The restore runs as the operator runs it: a separate
``manage.py restore`` process whose environment points at a new, empty database.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tarfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from supervision import services
from supervision.backup import MEDIA_DIR, backup_create, restore_verify
from supervision.backup import create as backup_create_module
from supervision.models import User
from tests.helpers import drive

pytestmark = pytest.mark.django_db(transaction=True)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="set DATABASE_URL to a PostgreSQL database to run the pg_dump round trip"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded (SQLite) round trip")


def _pdf(body: bytes, name: str = "整改照片.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + body, "application/pdf")


def _load(world: SimpleNamespace) -> None:
    """Letters with assignments in several states, progress reports with evidence (one file shared
    by two reports, stored once), a completion report and a draft letter's attachment."""
    cases = [drive(world, "in_progress") for _ in range(3)]
    for n, case in enumerate(cases[:2]):
        services.assignment_report_progress(
            actor=world.liaison_a,
            assignment=case.assignment.pk,
            text=f"已完成第{n + 1}批排查",
            files=[_pdf(f"report {n}".encode() * 500), _pdf(b"shared site photo", "共用.pdf")],
        )
    services.assignment_submit_completion(
        actor=world.liaison_a, assignment=cases[2].assignment.pk, text="已全部完成整改", files=[_pdf(b"done")]
    )
    draft = services.letter_create(
        actor=world.clerk,
        office=world.office,
        kind="supervision",
        title="关于开展回头看的通知",
        body="请各单位开展回头看。",
        addressee_ids=[world.unit_a.pk],
    )
    services.letter_attach(actor=world.clerk, letter=draft, files=[_pdf(b"work plan", "工作方案.pdf")])


def _source_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def _evidence_rows(cursor) -> list[tuple]:
    cursor.execute("SELECT id, file, size, sha256, original_name FROM supervision_evidence ORDER BY id")
    return [tuple(row) for row in cursor.fetchall()]


def _restore(env: dict[str, str], src: Path, *extra: str) -> subprocess.CompletedProcess:
    """``manage.py restore`` in its own process, as an operator runs it: production settings."""
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "VAR_DIR", "MEDIA_ROOT"}}
    base.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="localhost", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(src), *extra],
        cwd=settings.BASE_DIR,
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _damage_one_file(archive: Path) -> str:
    name = sorted(p for p in (archive / MEDIA_DIR).rglob("*") if p.is_file())[0]
    data = bytearray(name.read_bytes())
    data[len(data) // 2] ^= 0x01
    name.write_bytes(bytes(data))
    return name.relative_to(archive / MEDIA_DIR).as_posix()


# --- PostgreSQL: pg_dump / pg_restore ----------------------------------------------------------


def _commit_a_user(username: str) -> None:
    """In a thread of its own: its own connection, committed at once (another request of the app)."""
    try:
        User.objects.create_user(username=username, password="x" * 12)
    finally:
        connection.close()


@pytest.fixture
def empty_pg_database() -> Iterator[tuple[str, dict]]:
    """A new empty database beside the test database, on the same server; dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    params = {"dbname": name, "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"], "port": db["PORT"]}
    try:
        yield url, {k: v for k, v in params.items() if v}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


@pytest.mark.postgres
@on_postgresql
def test_postgresql_round_trip_restores_every_row_and_file(world, tmp_path, empty_pg_database, monkeypatch):
    import psycopg

    _load(world)
    source_counts = _source_counts()
    source_files = _hashes(Path(settings.MEDIA_ROOT))
    with connection.cursor() as cursor:
        source_evidence = _evidence_rows(cursor)
    assert len(source_files) == 5 and len(source_evidence) == 5  # the shared photo is stored once

    # The application keeps writing during the backup: a user committed after the backup's snapshot
    # but before pg_dump starts must be in neither the dump nor the manifest's counts.
    real_run = backup_create_module._run

    def pg_dump_after_a_commit(cmd: list[str]) -> None:
        if os.path.basename(cmd[0]) == "pg_dump" and not User.objects.filter(username="后来者").exists():
            writer = threading.Thread(target=_commit_a_user, args=("后来者",))
            writer.start()
            writer.join()
        real_run(cmd)

    packed, folder = tmp_path / "backup.tar.gz", tmp_path / "backup-folder"
    monkeypatch.setattr(backup_create_module, "_run", pg_dump_after_a_commit)
    call_command("backup", str(packed), verbosity=0)
    monkeypatch.undo()
    assert User.objects.filter(username="后来者").exists()
    call_command("backup", str(folder), verbosity=0)

    url, params = empty_pg_database
    restored_media = tmp_path / "restored-media"
    env = {"DATABASE_URL": url, "MEDIA_ROOT": str(restored_media)}

    # A changed byte in one stored file: refused before anything is written.
    damaged = _damage_one_file(folder)
    run = _restore(env, folder)
    assert run.returncode != 0
    assert damaged in run.stderr
    with psycopg.connect(**params) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    assert tables == 0 and not restored_media.exists()

    run = _restore(env, packed)
    assert run.returncode == 0, run.stderr

    with psycopg.connect(**params) as conn:
        names = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        restored_counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in names}
        restored_evidence = _evidence_rows(conn.cursor())
        # Sequences come back too: the next row does not collide with a restored one.
        next_id = conn.execute("SELECT nextval(pg_get_serial_sequence('supervision_user', 'id'))").fetchone()[0]
        late = conn.execute("SELECT count(*) FROM supervision_user WHERE username = '后来者'").fetchone()[0]
    assert restored_counts == source_counts and late == 0
    assert restored_evidence == source_evidence
    assert _hashes(restored_media) == source_files
    assert next_id > User.objects.order_by("-pk").first().pk

    # The target is no longer empty: a second restore is refused.
    again = _restore(env, packed)
    assert again.returncode != 0
    assert "--force" in again.stderr


# --- SQLite: the embedded mode -----------------------------------------------------------------


@on_sqlite
def test_sqlite_round_trip_restores_every_row_and_file(world, tmp_path):
    _load(world)
    source_counts = _source_counts()
    source_files = _hashes(Path(settings.MEDIA_ROOT))
    with connection.cursor() as cursor:
        source_evidence = _evidence_rows(cursor)

    packed = tmp_path / "backup.tar"
    call_command("backup", str(packed), verbosity=0)

    var = tmp_path / "restored"
    env = {"VAR_DIR": str(var), "MEDIA_ROOT": str(var / "media")}
    run = _restore(env, packed)
    assert run.returncode == 0, run.stderr

    restored = sqlite3.connect(var / "db.sqlite3")
    try:
        cursor = restored.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        names = [r[0] for r in cursor.fetchall()]
        restored_counts = {t: cursor.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in names}
        restored_evidence = _evidence_rows(cursor)
    finally:
        restored.close()
    assert restored_counts == source_counts
    assert restored_evidence == source_evidence
    assert _hashes(var / "media") == source_files

    again = _restore(env, packed)
    assert again.returncode != 0
    assert "--force" in again.stderr


@on_sqlite
def test_sqlite_damaged_archive_is_refused_and_nothing_is_written(world, tmp_path):
    _load(world)
    folder = tmp_path / "backup"
    call_command("backup", str(folder), verbosity=0)
    damaged = _damage_one_file(folder)
    var = tmp_path / "restored"
    run = _restore({"VAR_DIR": str(var), "MEDIA_ROOT": str(var / "media")}, folder)
    assert run.returncode != 0
    assert damaged in run.stderr
    # No table was restored (the settings may have created VAR_DIR, and SQLite an empty file).
    if (var / "db.sqlite3").exists():
        db = sqlite3.connect(var / "db.sqlite3")
        try:
            assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
        finally:
            db.close()
    assert not (var / "media").exists()


# --- Both engines: the manifest and its verification --------------------------------------------


def test_manifest_describes_the_database_and_every_file(world, tmp_path):
    _load(world)
    manifest = backup_create(dest=tmp_path / "backup")
    assert manifest["tables"] == _source_counts()
    assert manifest["database"]["engine"] == connection.vendor
    assert manifest["migrations"]["supervision"].startswith("0")
    assert {n: f["sha256"] for n, f in manifest["files"].items()} == _hashes(Path(settings.MEDIA_ROOT))
    assert manifest["media"]["bytes"] == sum(f["size"] for f in manifest["files"].values())
    # The database as it stands matches the manifest...
    assert restore_verify(manifest, Path(settings.MEDIA_ROOT)) == []
    # ... and a new row or a changed file no longer does.
    User.objects.create_user(username="新用户", password="x" * 12)
    stored = sorted(Path(settings.MEDIA_ROOT).rglob("*"))
    victim = next(p for p in stored if p.is_file())
    victim.write_bytes(victim.read_bytes() + b"!")
    mismatches = restore_verify(manifest, Path(settings.MEDIA_ROOT))
    assert any(User._meta.db_table in m for m in mismatches)
    assert any(victim.name in m for m in mismatches)


def test_backup_never_overwrites(world, tmp_path):
    dest = tmp_path / "backup.tar.gz"
    dest.write_bytes(b"an older backup")
    with pytest.raises(Exception, match="already exists"):
        call_command("backup", str(dest), verbosity=0)
    assert dest.read_bytes() == b"an older backup"
    # No half-made archive is left beside it either.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_restore_refuses_a_database_with_tables_unless_forced(world, tmp_path):
    _load(world)
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive), verbosity=0)
    User.objects.create_user(username="备份之后", password="x" * 12)
    evidence = next(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    evidence.write_bytes(b"damaged after the backup")

    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive), verbosity=0)
    assert User.objects.filter(username="备份之后").exists()
    assert evidence.read_bytes() == b"damaged after the backup"

    # Forced: the database and the files are as they were at the backup, and proven so.
    call_command("restore", str(archive), force=True, verbosity=0)
    assert not User.objects.filter(username="备份之后").exists()
    assert _source_counts() == json.loads(_manifest_of(archive))["tables"]
    assert hashlib.sha256(evidence.read_bytes()).hexdigest() == evidence.name


def _manifest_of(archive: Path) -> str:
    with tarfile.open(archive) as tar:
        return tar.extractfile("manifest.json").read().decode()
