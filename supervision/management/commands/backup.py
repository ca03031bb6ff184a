"""``manage.py backup DEST``: the database and the stored files in one archive (see supervision/backup/).

DEST is a new folder, or a ``.tar`` / ``.tar.gz`` file. Safe while the application runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from supervision.backup import BackupError, backup_create
from supervision.management.backup_options import add_pg_bindir, progress_log


class Command(BaseCommand):
    @property
    def help(self) -> str:  # translated when the parser is built, not at import
        return _(
            "Back up the database and the stored files into DEST (a new folder, or a .tar or .tar.gz file), "
            "with a manifest of row counts and file checksums. Safe while the application runs."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path)
        add_pg_bindir(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        log = progress_log(self, options)
        try:
            manifest = backup_create(dest=options["dest"], pg_bindir=options["pg_bindir"], log=log)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(
                _("Backup written to %(path)s: %(tables)d tables, %(rows)d rows, %(files)d files (%(size)s).")
                % {
                    "path": options["dest"],
                    "tables": len(manifest["tables"]),
                    "rows": sum(manifest["tables"].values()),
                    "files": manifest["media"]["files"],
                    "size": filesizeformat(manifest["media"]["bytes"]),
                }
            )
