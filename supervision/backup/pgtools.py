"""Backups: finding the PostgreSQL client programs (pg_dump, pg_restore) of the server's version
and running them against the configured database."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator

from django.db import connection
from django.utils.translation import gettext as _

from supervision.backup.common import BackupError

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
