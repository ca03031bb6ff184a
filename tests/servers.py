"""A real ASGI server in a separate process, for the tests that need one.

Started on a free loopback port, waited for until it listens, and stopped (terminated, killed if
it will not go) when the ``with`` block ends, also when the test fails. Its output goes to a
temporary file, shown when it does not come up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_database_url() -> str:
    """A DATABASE_URL for the test database this process uses, so the server shares its rows.

    Only PostgreSQL: an SQLite test database is in memory or a file the server would not find.
    """
    from django.db import connection

    db = connection.settings_dict
    login = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def start_daphne(
    *, env: Mapping[str, str] | None = None, port: int | None = None, runserver: bool = False, seconds: float = 60
) -> Iterator[tuple[subprocess.Popen, str]]:
    """``(process, base URL)`` of a daphne serving ``project.asgi:application`` on 127.0.0.1.

    The environment is this one's, in development mode, with ``env`` on top. ``runserver`` starts
    it as ``make run`` does (``manage.py runserver``, daphne's, which also serves static files).
    """
    port = port or free_port()
    if runserver:
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    else:
        command = [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
        command.append("project.asgi:application")
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update({"DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "1", **(env or {})})
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(port, proc, log, seconds)
            yield proc, f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for(port: int, proc: subprocess.Popen, log: IO[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    log.seek(0)
    output = log.read().decode(errors="replace")[-2000:]
    pytest.fail(f"the server did not listen on port {port}:\n{output}")
