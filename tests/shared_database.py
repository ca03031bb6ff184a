"""The test database, opened by other processes too: a server, a worker and this test on the same rows.

On PostgreSQL the test database already is one every process can open. SQLite's test database
lives in this process's memory, out of another process's reach: for the length of the ``with``
block it is copied to a file and this process's connection is pointed at that file, so what the
processes write and what the test reads or writes afterwards is the same data. The in-memory
database is kept open meanwhile and put back afterwards, unchanged, for the test's teardown.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from tests.servers import shared_database_url

# The name settings.SQLITE_PATH gives the file in VAR_DIR.
SQLITE_NAME = "db.sqlite3"


@contextmanager
def shared_database(directory: Path) -> Iterator[dict[str, str]]:
    """The environment another process needs to open the data this test uses, inside the block.

    On SQLite the file is ``directory/db.sqlite3`` and the process is given ``VAR_DIR=directory``,
    as ``make run`` opens var/db.sqlite3: with the settings' own options (WAL, a busy timeout,
    immediate transactions), which a DATABASE_URL would not carry. Call it outside any
    transaction (a ``transaction=True`` test): another process only sees committed rows, and the
    SQLite copy is taken once, when the block begins."""
    if connection.vendor != "sqlite":
        yield {"DATABASE_URL": shared_database_url()}
        return
    if not connection.is_in_memory_db():
        raise RuntimeError("the SQLite test database is expected in memory")
    path = directory / SQLITE_NAME
    connection.ensure_connection()
    memory = connection.connection
    target = sqlite3.connect(path)
    try:
        memory.backup(target)
        # Set once here, not by each process as it connects: two first connections switching the
        # journal mode at the same moment would find the file locked.
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
    name = connection.settings_dict["NAME"]
    # Detached, not closed: closing the last handle of an in-memory database drops it.
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield {"DATABASE_URL": "", "VAR_DIR": str(directory)}
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory
