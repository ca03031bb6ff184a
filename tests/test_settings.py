"""The settings module: safe in production, zero-configuration in the embedded mode."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret(tmp_path):
    result = manage("check", DEBUG="0", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


def test_production_passes_deploy_check(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="dc.example.org",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_secret_is_generated_once_and_kept(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="project.settings", DEBUG="1")
    runs = [
        subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); " + code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and len(runs[0]) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_embedded_defaults_are_chinese_and_shanghai():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"


@pytest.mark.parametrize("by_url", [False, True], ids=["embedded", "sqlite-url"])
def test_the_embedded_database_file_runs_in_wal_mode(tmp_path, by_url):
    # The test database lives in memory, where SQLite cannot keep a write-ahead log: only a real
    # file made from the settings shows whether the web server may read while tick and the worker
    # write. A sqlite:// DATABASE_URL gets the same options as the embedded default.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="project.settings", DEBUG="1")
    if by_url:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    code = (
        "import django; django.setup(); from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    for pragma in ('journal_mode', 'synchronous', 'busy_timeout'):\n"
        "        print(c.execute(f'PRAGMA {pragma}').fetchone()[0], end=' ')\n"
        "print()\n"
        "print(connection.settings_dict['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    pragmas, path = result.stdout.split("\n")[:2]
    # synchronous=NORMAL is 1; the busy timeout is in milliseconds.
    assert pragmas.split() == ["wal", "1", "10000"]
    assert Path(path) == tmp_path / "db.sqlite3"
    # WAL is a property of the file, not of one connection: a bare client opening it sees it too.
    with sqlite3.connect(path) as bare:
        assert bare.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_with_redis_the_cache_is_shared_between_processes(tmp_path):
    # An import's progress is written by one server process and may be polled through another.
    key = "settings-test-" + secrets.token_hex(8)
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "project.settings"}

    def run(code: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); from django.core.cache import cache; " + code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    run(f"cache.set({key!r}, 42, 30)")
    assert run(f"print(cache.get({key!r}))") == "42"
    run(f"cache.delete({key!r})")
