"""``manage.py load_demo``: a realistic city campaign to click through, and its accounts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from demo.accounts import accounts_table
from demo.loader import DemoUsernameTaken, Summary, load_demo
from supervision.models import AssignmentState, ExtensionState, LetterState


class Command(BaseCommand):
    @property
    def help(self) -> str:  # translated when the parser is built, not at import
        return _(
            "Load the demo campaign (吕梁: 13 counties, 18 work teams, about 40 letters and 950 items with ten weeks "
            "of history) and print the demo accounts. Does nothing but print the accounts if it is already loaded."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", action="store_true", help=_("Only print the demo accounts; load nothing."))
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help=_("Size of the campaign relative to the real one (default 1.0); e.g. 0.2 for a quick look."),
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help=_(
                "Load the demo even though DEBUG is off: creates a superuser and about 100 accounts that all "
                "share one published password. Only for a throw-away demonstration server."
            ),
        )

    def handle(
        self, *args: Any, accounts: bool = False, scale: float = 1.0, allow_production: bool = False, **options: Any
    ) -> None:
        if not accounts:
            if not 0 < scale <= 3:
                raise CommandError(_("--scale must be greater than 0 and at most 3."))
            self._refuse_production(allow_production)
            self._load(scale)
        self.stdout.write(accounts_table())

    def _refuse_production(self, allow_production: bool) -> None:
        # The demo's accounts, a superuser among them, all have the password printed below and in
        # the README: on a reachable server that is an open door.
        if settings.DEVELOPMENT_MODE:
            return
        if not allow_production:
            raise CommandError(
                _(
                    "Refusing to load the demo: DEBUG is off, so this looks like a production server, and the demo "
                    "creates a superuser and about 100 accounts with one published password. Set DEBUG=1 on a "
                    "development machine, or pass --allow-production for a throw-away demonstration server."
                )
            )
        warning = _(
            "WARNING: loading the demo on a server with DEBUG off. Its superuser and every demo account share "
            "one published password: change them all, or take this server off the network when done."
        )
        self.stderr.write(self.style.ERROR("!" * 80 + "\n" + warning + "\n" + "!" * 80))

    def _load(self, scale: float) -> None:
        self.stdout.write(_("Loading the demo campaign…"))
        try:
            summary = load_demo(log=self.stdout.write, scale=scale)
        except DemoUsernameTaken as exc:
            raise CommandError(
                _("These demo usernames already exist; nothing was loaded: %(names)s") % {"names": exc}
            ) from None
        if summary is None:
            self.stdout.write(_("The demo campaign is already loaded; nothing was created."))
            return
        self._report(summary)

    def _report(self, s: Summary) -> None:
        labels = {**dict(LetterState.choices), **dict(AssignmentState.choices), **dict(ExtensionState.choices)}

        def line(counts: dict[str, int]) -> str:
            return ", ".join(f"{labels.get(state, state)} {n}" for state, n in counts.items())

        self.stdout.write(
            _("Loaded in %(seconds).1f s: %(units)d units, %(users)d users, %(items)d items.")
            % {"seconds": s.seconds, "units": s.units, "users": s.users, "items": s.items}
        )
        self.stdout.write(_("  letters: %(counts)s") % {"counts": line(s.letters)})
        self.stdout.write(
            _("  assignments (%(total)d): %(counts)s")
            % {"total": sum(s.assignments.values()), "counts": line(s.assignments)}
        )
        self.stdout.write(_("  extension requests: %(counts)s") % {"counts": line(s.extensions)})
        self.stdout.write(
            _(
                "  %(reports)d progress reports, %(evidence)d evidence files, %(overdue)d open assignments overdue, "
                "%(audit)d audit events, %(notifications)d notifications."
            )
            % {
                "reports": s.reports,
                "evidence": s.evidence,
                "overdue": s.overdue_open,
                "audit": s.audit_events,
                "notifications": s.notifications,
            }
        )
        if s.current_cycle is not None:
            self.stdout.write(
                _(
                    "  cycles: %(closed)d closed and ranked, cycle %(current)d open; %(notices)d notices, "
                    "%(reminders)d reminder letters."
                )
                % {
                    "closed": s.cycles_closed,
                    "current": s.current_cycle,
                    "notices": s.notices,
                    "reminders": s.reminder_letters,
                }
            )
        if s.failures:
            # A refused step ends that assignment's story early; the rest of the demo is fine.
            self.stderr.write(
                _("%(n)d replayed steps were refused, e.g.: %(first)s") % {"n": len(s.failures), "first": s.failures[0]}
            )
