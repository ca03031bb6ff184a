"""Backups: the database and the stored files in one archive, and their restore with proof.

An archive is a directory, or the same directory packed as ``.tar`` / ``.tar.gz`` / ``.tgz``::

    manifest.json        what the archive holds: when, which engine, the migration state, the row
                         count of every table, the size and SHA-256 of the dump and of every file
    database.pgdump      PostgreSQL: ``pg_dump --format=custom``
    database.sqlite3     SQLite: a copy made with SQLite's online backup API
    media/...            the stored files as under MEDIA_ROOT: evidence, letter attachments, the
                         letters and notices kept as issued (issued/...), background jobs' files

Both commands run while the application serves requests:

- PostgreSQL: the rows are counted inside one REPEATABLE READ transaction whose snapshot is
  exported to ``pg_dump --snapshot``, so the dump holds exactly the rows the manifest counts, however
  many transitions commit meanwhile. SQLite: the backup API copies one consistent state of the file
  and the rows are counted in the copy.
- The files are copied after the database. Stored files are content-addressed (their name is their
  SHA-256; an issued document's name holds its version and checksum) and never modified in place; a
  row that commits before the snapshot already has its file (the upload, or the storing of an issued
  document, writes the file before the row commits), so every row of the dump finds its file in
  the copy. The one way a file can vanish meanwhile is the orphan sweep deleting a file whose row
  was removed after the snapshot; the backup checks every file row of its snapshot against the
  copy and fails rather than hand over an archive whose rows point at missing files.

Restore goes into an empty database (``force`` to go over one that is not), after checking the
archive against its manifest, and then proves the result: the row count of every table and the
hash of every file equal the manifest, every file row finds its file. Any difference is returned
to the caller (the command exits non-zero).

This package is the domain's: it imports no web code and names no URL. Its modules: ``common``
(the archive format, errors, reading the database, the stored-files walk), ``pgtools`` (the
PostgreSQL client programs), ``create`` (the backup) and ``restore`` (the restore and its proof).
"""

from __future__ import annotations

from supervision.backup.common import (
    DUMP_FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MEDIA_DIR,
    TAR_SUFFIXES,
    BackupError,
    DatabaseState,
    Log,
    RestoreResult,
)
from supervision.backup.create import backup_create
from supervision.backup.pgtools import pg_tool
from supervision.backup.restore import archive_check, backup_restore, restore_verify

__all__ = [
    "DUMP_FILES",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "MEDIA_DIR",
    "TAR_SUFFIXES",
    "BackupError",
    "DatabaseState",
    "Log",
    "RestoreResult",
    "archive_check",
    "backup_create",
    "backup_restore",
    "pg_tool",
    "restore_verify",
]
