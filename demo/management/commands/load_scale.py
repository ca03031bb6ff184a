"""``manage.py load_scale``: a province-like deployment generated in bulk into an empty database, for
benchmarks and for trying the pages at that size (see demo/scale/)."""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from demo.scale.load import NotEmpty, Result, is_empty, load


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Generate a province-like deployment into an empty database: a province office, city offices, about "
            "5,000 units over four levels and 1,000,000 assignments with reports and audit history, in bulk."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cities", type=int, default=11, help=_("City offices below the province (1–11)."))
        parser.add_argument("--units", type=int, default=5000, help=_("Units in all, about."))
        parser.add_argument(
            "--assignments", type=int, default=1_000_000, help=_("Assignments in all, sub-tasks included.")
        )
        parser.add_argument("--seed", type=int, default=1, help=_("Seed of the random choices (same seed, same data)."))
        parser.add_argument(
            "--password", default="", help=_("Password of the sample accounts (default: a random one, printed).")
        )
        parser.add_argument("--yes", action="store_true", help=_("Do not ask for confirmation."))

    def handle(self, *args: Any, **options: Any) -> None:
        cities, units, assignments = options["cities"], options["units"], options["assignments"]
        if not 1 <= cities <= 11:
            raise CommandError(_("--cities must be between 1 and 11."))
        if units < 20 * cities or assignments < 100:
            raise CommandError(_("Too small: at least 20 units per city and 100 assignments."))
        if not is_empty():
            raise CommandError(
                _("The database already holds units or letters: load_scale fills an empty database only.")
            )
        if not options["yes"] and not self._confirmed(assignments):
            raise CommandError(_("Nothing was generated."))
        password = options["password"] or secrets.token_urlsafe(9)
        try:
            result = load(
                cities=cities,
                units=units,
                assignments=assignments,
                seed=options["seed"],
                password=password,
                log=self.stdout.write,
            )
        except NotEmpty:
            raise CommandError(
                _("The database already holds units or letters: load_scale fills an empty database only.")
            ) from None
        self._summary(result, password)

    def _confirmed(self, assignments: int) -> bool:
        if not sys.stdin.isatty():
            self.stderr.write(_("Not a terminal: pass --yes to generate without being asked."))
            return False
        answer = input(
            _("Generate %(n)s assignments into database %(db)s? [y/N] ")
            % {"n": f"{assignments:,}", "db": connection.settings_dict["NAME"]}
        )
        return answer.strip().lower() in ("y", "yes")

    def _summary(self, r: Result, password: str) -> None:
        out = self.stdout.write
        out("")
        out(_("Generated in %(s).0f s:") % {"s": r.seconds})
        for name, seconds in r.phases.items():
            out(f"  {name:<26} {seconds:8.1f} s")
        out(_("Rows per table:"))
        for table, n in r.counts.items():
            out(f"  {table:<36} {n:>12,}")
        out(_("Assignments by state (sub-tasks included: %(n)s):") % {"n": f"{r.sub_tasks:,}"})
        for state, n in r.states.items():
            out(f"  {state:<36} {n:>12,}")
        if r.database_bytes is not None:
            out(_("Database size: %(mb).0f MB") % {"mb": r.database_bytes / 2**20})
        out("")
        out(_("Sample accounts (password: %(password)s):") % {"password": password})
        for username, what in r.samples.items():
            out(f"  {username:<28} {what}")
        if r.sample_parent is not None:
            out(_("The task broken down to 50 townships: /tasks/%(pk)d/") % {"pk": r.sample_parent})
