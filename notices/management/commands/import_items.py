"""Import a problem list (问题清单) into a draft letter from the command line, as the pages do.

python manage.py import_items 12 问题清单.xlsx --dry-run            (the preview: nothing written)
python manage.py import_items 12 问题清单.xlsx --sheet 第二批 --year 2023
python manage.py import_items 12 问题清单.xlsx --as clerk_wang

LETTER is the draft letter's id (its page's address shows it). The import is made in the name of
``--as``, a clerk of the letter's office, by default the letter's drafter. Every row is imported,
or none. ``--dry-run`` prints every item as understood (its problem, measure, deadline as written
and as understood, lead and cooperating units, the collective names expanded), the importer's
warnings and every error, and writes nothing. A sheet with errors is printed too, its rows
understood beside the errors, and nothing is imported from it.

Exit status 1 when a row has an error (nothing is imported then, dry run or not), 2 for a wrong argument (no
such letter or user, a file that is not there, someone who may not import into the letter).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from notices.importer import ParsedItem
from notices.job_kinds.uploads import deadline_understood
from notices.services import ImportPreview, letter_import_items, letter_import_preview
from supervision.models import ItemCategory, Letter, Role, User
from supervision.parsing import parse_id
from supervision.services import DomainError
from supervision.services.roles import has_role


class Command(BaseCommand):
    help = "Import a problem list (问题清单) from an Excel file into a draft letter: every row, or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("letter", help="the draft letter's id")
        parser.add_argument("file", type=Path, help="the problem list, .xlsx or .xls")
        parser.add_argument("--sheet", help="the sheet to read, by name (default: 问题清单, else the first)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show what would be imported; write nothing"
        )
        parser.add_argument("--year", type=int, help="the year of dates written without one (default: this year)")
        parser.add_argument("--as", dest="actor", help="username of the office clerk importing (default: the drafter)")

    def _letter(self, raw: str) -> Letter:
        pk = parse_id(raw)
        letter = Letter.objects.filter(pk=pk).select_related("drafter").first() if pk is not None else None
        if letter is None:
            raise CommandError(_("There is no letter %(letter)s.") % {"letter": raw}, returncode=2)
        return letter

    def _actor(self, letter: Letter, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user is called %(username)s.") % {"username": username}, returncode=2)
            return user
        drafter = letter.drafter
        if drafter is None or not drafter.is_active or not has_role(drafter, letter.office_id, [Role.CLERK]):
            raise CommandError(
                _("The letter's drafter is not a clerk of its office now: say who imports, --as USERNAME."),
                returncode=2,
            )
        return drafter

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": path}, returncode=2)
        letter = self._letter(options["letter"])
        actor = self._actor(letter, options["actor"])
        asked = {"actor": actor, "letter": letter, "sheet": options["sheet"], "campaign_year": options["year"]}
        try:
            with path.open("rb") as handle:
                preview = letter_import_preview(workbook_file=handle, **asked)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self._preview(preview)
        if not preview.ok:
            raise CommandError(_("%(n)d errors: nothing was imported.") % {"n": len(preview.errors)}, returncode=1)
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written."))
            return
        try:
            with path.open("rb") as handle:
                result = letter_import_items(workbook_file=handle, **asked)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        for error in result.errors:
            self.stderr.write(_("Error: %(text)s") % {"text": error})
        if not result.ok:
            raise CommandError(_("%(n)d errors: nothing was imported.") % {"n": len(result.errors)}, returncode=1)
        self.stdout.write(_("Imported %(n)d items into “%(title)s”.") % {"n": len(result.items), "title": letter.title})
        if result.added_addressees:
            self.stdout.write(
                _("Added to the addressees: %(units)s.") % {"units": "、".join(u.name for u in result.added_addressees)}
            )

    def _item(self, item: ParsedItem) -> None:
        rows = f"{item.rows[0]}-{item.rows[-1]}" if len(item.rows) > 1 else str(item.row)
        problem = (
            _("problem %(n)d") % {"n": item.problem_no}
            if item.problem_no is not None
            else str(ItemCategory(item.category).label)
        )
        self.stdout.write(
            _("Row %(rows)s [%(problem)s] %(text)s") % {"rows": rows, "problem": problem, "text": item.description}
        )
        if item.measures:
            self.stdout.write("    " + _("Measure: %(text)s") % {"text": item.measures})
        understood = deadline_understood(item.deadline, item.deadline_kind)
        written = f"{item.deadline_written} → " if item.deadline_written else ""
        self.stdout.write("    " + _("Deadline: %(deadline)s") % {"deadline": written + understood})
        leads = "、".join(u.name for u in item.leads) or _("every addressed unit")
        self.stdout.write("    " + _("Lead: %(units)s") % {"units": leads})
        if item.cooperating:
            self.stdout.write(
                "    " + _("Cooperating: %(units)s") % {"units": "、".join(u.name for u in item.cooperating)}
            )
        for written_name, names in item.expansions:
            self.stdout.write(
                "    " + _("%(name)s means %(units)s") % {"name": written_name, "units": "、".join(names)}
            )
        for warning in item.warnings:
            self.stdout.write("    " + _("Warning: %(text)s") % {"text": warning})

    def _preview(self, preview: ImportPreview) -> None:
        if len(preview.sheet.sheet_names) > 1:
            self.stdout.write(
                _("Sheet “%(sheet)s” of %(sheets)s.")
                % {"sheet": preview.sheet.sheet, "sheets": "、".join(preview.sheet.sheet_names)}
            )
        for item in preview.items:
            self._item(item)
        for warning in preview.sheet.warnings:
            self.stdout.write(_("Warning: %(text)s") % {"text": warning})
        for error in preview.errors:
            self.stderr.write(_("Error: %(text)s") % {"text": error})
        if preview.would_add:
            self.stdout.write(
                _("Would be added to the addressees: %(units)s.")
                % {"units": "、".join(u.name for u in preview.would_add)}
            )
        self.stdout.write(
            _("%(problems)d problems, %(measures)d measures, %(warnings)d warnings, %(errors)d errors.")
            % {
                "problems": preview.problems,
                "measures": preview.measures,
                "warnings": preview.warning_count,
                "errors": len(preview.errors),
            }
        )
