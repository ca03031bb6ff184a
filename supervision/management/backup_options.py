"""What the backup and restore commands share: the PostgreSQL client folder option and the progress log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from supervision.backup import Log


def add_pg_bindir(parser: CommandParser) -> None:
    parser.add_argument(
        "--pg-bindir",
        help=_("Folder of the PostgreSQL client programs (default: PATH, then pg_config --bindir)."),
    )


def progress_log(command: BaseCommand, options: dict[str, Any]) -> Log:
    """Progress lines on the command's output, or nowhere with --verbosity 0."""
    return command.stdout.write if options["verbosity"] >= 1 else (lambda _m: None)
