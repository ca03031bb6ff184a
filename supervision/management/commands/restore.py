"""``manage.py restore SRC``: a backup into an empty database and MEDIA_ROOT, then proof that the
row count of every table and the checksum of every file equal the backup's (see supervision/backup/).

Exits non-zero when the archive is damaged, the target is not empty (without ``--force``), or the
restored data differs from the manifest. Stop the application's processes before restoring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from supervision.backup import BackupError, backup_restore
from supervision.management.backup_options import add_pg_bindir, progress_log


class Command(BaseCommand):
    @property
    def help(self) -> str:  # translated when the parser is built, not at import
        return _(
            "Restore a backup (folder or .tar/.tar.gz) into an empty database and MEDIA_ROOT, then verify row "
            "counts and file checksums against its manifest."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help=_(
                "Restore over a database that already has tables: on PostgreSQL every object in the backup is "
                "dropped and recreated (tables the backup lacks stay and fail the verification); on SQLite the "
                "whole database is replaced."
            ),
        )
        add_pg_bindir(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        log = progress_log(self, options)
        try:
            result = backup_restore(src=options["src"], force=options["force"], pg_bindir=options["pg_bindir"], log=log)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for mismatch in result.mismatches:
            self.stderr.write(mismatch)
        if result.mismatches:
            raise CommandError(
                _("The restored data differs from the backup in %(n)d places.") % {"n": len(result.mismatches)}
            )
        self.stdout.write(
            _("Restored and verified: %(tables)d tables, %(files)d files, as of %(created)s.")
            % {
                "tables": len(result.manifest["tables"]),
                "files": len(result.manifest["files"]),
                "created": result.manifest["created_at"],
            }
        )
        if result.needs_migrate:
            self.stdout.write(_("This version has newer migrations than the backup: run manage.py migrate next."))
