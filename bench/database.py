"""Choosing and preparing the benchmark database.

PostgreSQL is the production database, so the figures are taken there. When it cannot be
reached the harness still runs on a throw-away SQLite file, and says so in the report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/supervision_bench"
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
# Filled by migrate's post_migrate handlers; Django caches them in-process, so keep them.
KEEP_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})


@dataclass
class Backend:
    vendor: str  # "postgresql" or "sqlite"
    fallback_reason: str = ""
    tmpdir: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_fallback(self) -> bool:
        return self.vendor == "sqlite"


def choose() -> Backend:
    """Point the settings at the bench database (via the environment), before django.setup()."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        return _sqlite_fallback(f"DATABASE_URL is not a PostgreSQL URL (scheme {parts.scheme!r})")
    try:
        _create_database_if_missing(parts)
    except Exception as exc:  # refused, timed out, bad password, no CREATEDB: no PostgreSQL for us
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _sqlite_fallback(f"PostgreSQL is unreachable or refused us: {first_line}")
    os.environ["DATABASE_URL"] = url
    return Backend(vendor="postgresql")


def _create_database_if_missing(parts) -> None:
    import psycopg
    from psycopg import sql

    dbname = parts.path.lstrip("/") or "supervision_bench"
    # CREATE DATABASE cannot run inside the target database: go through the maintenance DB.
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            print(f"Created database {dbname}.")


def _sqlite_fallback(reason: str) -> Backend:
    print(f"*** {reason}.")
    print("*** Falling back to a temporary SQLite file: the figures will be SQLite ones, not PostgreSQL's.")
    tmpdir = tempfile.mkdtemp(prefix="supervision-bench-")
    # The settings put the embedded SQLite database (WAL, immediate transactions) under VAR_DIR.
    os.environ.pop("DATABASE_URL", None)
    os.environ["VAR_DIR"] = tmpdir
    return Backend(vendor="sqlite", fallback_reason=reason, tmpdir=tmpdir)


def migrate_and_reset() -> None:
    """Bring the schema up to date and empty every project table, so each run starts alike."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor != "postgresql":
        return  # the SQLite fallback is a fresh file every run
    tables = sorted(set(connection.introspection.django_table_names(only_existing=True)) - KEEP_TABLES)
    quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
    with connection.cursor() as cur:
        # TRUNCATE bypasses the audit table's row trigger (it refuses DELETE, by design).
        cur.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


def analyze() -> None:
    """Fresh statistics after seeding, so the planner does not plan for empty tables."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            return "PostgreSQL " + cur.fetchone()[0].split()[0]
        cur.execute("SELECT sqlite_version()")
        return "SQLite " + cur.fetchone()[0]


def cleanup(backend: Backend) -> None:
    from django.db import connections

    connections.close_all()
    if backend.tmpdir:
        shutil.rmtree(backend.tmpdir, ignore_errors=True)
