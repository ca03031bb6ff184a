"""Import an office's unit directory (单位通讯录) from the command line, as the pages do.

python manage.py import_directory 单位通讯录.xlsx --dry-run          (the preview: nothing written)
python manage.py import_directory 单位通讯录.xlsx --as office_clerk  (import; prints the new accounts
                                                                    with their one-time passwords)
python manage.py import_directory 单位通讯录.xlsx --passwords-pdf 账号通知单.pdf
                                                                   (import; the passwords go only into
                                                                    the printable sheet, one page per unit)

The import is made in the name of ``--as``, an office clerk or director (by default the only one
there is). Exit status 1 when the sheet has an error (nothing is imported then), 2 for a wrong
argument (an unknown user, a file that is not there, a ``--passwords-pdf`` that exists already or
cannot be created).

The ``--passwords-pdf`` file is created before anything is imported, readable by its owner only
(0600), and never over an existing file: a wrong path stops the command with nothing imported.
Should writing it fail after the import all the same (a full disk), the passwords are printed
instead, so that they are never lost.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from notices.contacts import parse_directory
from notices.contacts_pdf import accounts_pdf
from notices.importer import RowError
from supervision.models import Role, User
from supervision.selectors.directory import directory_plan
from supervision.services import DomainError
from supervision.services.onboarding import IMPORT_ROLES, directory_import, may_import_directory


class Command(BaseCommand):
    help = "Import the office's unit directory (单位通讯录) from an Excel file: units, people and their accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the directory, .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="check and show what would be done; write nothing")
        parser.add_argument("--as", dest="actor", help="username of the office clerk or director importing")
        parser.add_argument(
            "--passwords-pdf",
            type=Path,
            help="write the new accounts with their one-time passwords to this PDF instead of printing the passwords",
        )

    def _actor(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user is called %(username)s.") % {"username": username}, returncode=2)
            if not may_import_directory(user):
                raise CommandError(
                    _("%(username)s is not a clerk or director of the office.") % {"username": username}, returncode=2
                )
            return user
        candidates = list(
            User.objects.filter(
                Q(memberships__role__in=IMPORT_ROLES), memberships__unit__kind="office", is_active=True
            ).distinct()[:2]
        )
        if len(candidates) != 1:
            raise CommandError(_("Say who imports: --as USERNAME (an office clerk or director)."), returncode=2)
        return candidates[0]

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": path}, returncode=2)
        actor = None if options["dry_run"] else self._actor(options["actor"])
        pdf_fd, self._pdf_written = None, False
        if options["passwords_pdf"] and not options["dry_run"]:
            pdf_fd = self._open_pdf(options["passwords_pdf"])
        try:
            self._import(path, actor, pdf_fd, options)
        finally:
            if pdf_fd is not None:
                self._close_pdf(pdf_fd, options["passwords_pdf"])

    def _open_pdf(self, target: Path) -> int:
        """The passwords' file, created now (before the import) for its owner alone."""
        try:
            return os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(
                _("%(path)s exists already: name a new file for the passwords. Nothing was imported.")
                % {"path": target},
                returncode=2,
            ) from None
        except OSError as exc:
            raise CommandError(
                _("%(path)s cannot be created (%(reason)s). Nothing was imported.")
                % {"path": target, "reason": exc.strerror or exc},
                returncode=2,
            ) from None

    def _close_pdf(self, fd: int, target: Path) -> None:
        written = self._pdf_written
        os.close(fd)
        if not written:
            # Nothing went into it (errors in the sheet, nothing new, a failure): no empty file left behind.
            with contextlib.suppress(OSError):
                os.unlink(target)

    def _import(self, path: Path, actor: User | None, pdf_fd: int | None, options: dict) -> None:
        with path.open("rb") as handle:
            parsed = parse_directory(handle)
        plan = directory_plan(parsed.entries)
        self._preview(parsed, plan)
        errors = len(parsed.errors) + len(plan.errors)
        if errors:
            raise CommandError(_("%(n)d errors: nothing was imported.") % {"n": errors}, returncode=1)
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written."))
            return
        try:
            result = directory_import(actor=actor, parsed=parsed)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        self.stdout.write(
            _(
                "Imported: %(units)d units created, %(accounts)d accounts created, "
                "%(roles)d roles added to accounts already here."
            )
            % {"units": len(result.units_created), "accounts": len(result.accounts), "roles": result.roles_added}
        )
        if not result.accounts:
            return
        if pdf_fd is not None and self._write_pdf(pdf_fd, result.accounts):
            self.stdout.write(
                _("The one-time passwords are in %(path)s (one page per unit); they are not kept anywhere else.")
                % {"path": options["passwords_pdf"]}
            )
            for account in result.accounts:
                self.stdout.write(f"  {account.username}\t{account.full_name}")
            return
        if pdf_fd is not None:
            self.stderr.write(
                _("The passwords could not be written to %(path)s: they are printed here instead.")
                % {"path": options["passwords_pdf"]}
            )
        self.stdout.write(_("New accounts, with their one-time passwords (shown this once):"))
        for account in result.accounts:
            units = "、".join(f"{unit}·{Role(role).label}" for unit, role in account.roles)
            self.stdout.write(f"  {account.username}\t{account.password}\t{account.full_name}\t{units}")

    def _write_pdf(self, fd: int, accounts: list) -> bool:
        """Write the sheet into the file opened before the import; False (nothing raised) when it fails."""
        try:
            data = accounts_pdf(accounts)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except Exception:  # noqa: BLE001 - a full disk, a failing renderer: the passwords go to stdout instead
            return False
        self._pdf_written = True
        return True

    def _preview(self, parsed, plan) -> None:  # noqa: ANN001 - ParsedDirectory, DirectoryPlan
        for planned in plan.units:
            state = _("new") if planned.is_new else _("exists")
            parent = f" ← {planned.entry.parent}" if planned.entry.parent else ""
            self.stdout.write(f"[{state}] {planned.entry.name}{parent}")
        for planned in plan.people:
            entry = planned.entry
            if planned.user is None:
                what = _("new account %(username)s") % {"username": plan.accounts[planned.account or 0].username}
            elif planned.has_role:
                what = _("exists")
            else:
                what = _("role added to %(username)s") % {"username": planned.user.username}
            self.stdout.write(f"    {entry.unit} · {Role(entry.role).label} · {entry.full_name} {entry.phone}: {what}")
        for warning in [*parsed.warnings, *(RowError(row, "", message) for row, message in plan.notes)]:
            self.stdout.write(_("Warning: %(text)s") % {"text": warning})
        for error in [*parsed.errors, *(RowError(row, "", message) for row, message in plan.errors)]:
            self.stderr.write(_("Error: %(text)s") % {"text": error})
        self.stdout.write(
            _("%(new)d units to create, %(existing)d already here; %(accounts)d new accounts.")
            % {"new": len(plan.new_units), "existing": len(plan.existing_units), "accounts": len(plan.accounts)}
        )
