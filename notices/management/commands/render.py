"""Render a document to a file, as the system: it sees every letter and assignment.

python manage.py render letter 吕巩办督〔2023〕19号 -o letter.pdf
python manage.py render letter 42 -o letter.pdf
python manage.py render ledger --unit 离石区 --state in_progress -o ledger.xlsx
python manage.py render ledger --letter 吕巩办督〔2023〕19号 -o ledger.pdf
python manage.py render notice 3 -o notice.pdf      (cycle 3's published notice, else its draft)
python manage.py render task 1234 -o task.pdf       (an assignment's task sheet, 办理单)
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from notices import ledger, letters, wording
from notices.filters import ledger_head, ledger_request, resolve_letter
from notices.notice import notice_of_cycle, notice_pdf
from notices.task_sheet import task_sheet_pdf
from supervision import clock
from supervision.models import Assignment, Letter
from supervision.services import DomainError


class Command(BaseCommand):
    help = "Render a letter, a biweekly notice or a task sheet (PDF), or the ledger (PDF or Excel), to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        documents = parser.add_subparsers(dest="document", required=True, metavar="{letter,ledger,notice,task}")
        letter = documents.add_parser("letter", help="a letter as a GB/T 9704 PDF")
        letter.add_argument("letter", help="the letter's number (文号) or id")
        letter.add_argument("-o", "--output", required=True, type=Path, help="the .pdf file to write")

        notice = documents.add_parser("notice", help="a cycle's biweekly notice (双周通报) as a GB/T 9704 PDF")
        notice.add_argument("cycle", type=int, help="the cycle's number (第N期)")
        notice.add_argument("-o", "--output", required=True, type=Path, help="the .pdf file to write")

        task = documents.add_parser("task", help="an assignment's task sheet (办理单) as a GB/T 9704 PDF")
        task.add_argument("assignment", type=int, help="the assignment's id")
        task.add_argument("-o", "--output", required=True, type=Path, help="the .pdf file to write")

        book = documents.add_parser("ledger", help="the ledger (台账) as .xlsx or .pdf")
        book.add_argument("--unit", action="append", default=[], help="unit id, name or short name (repeatable)")
        book.add_argument("--letter", help="letter number (文号) or id")
        book.add_argument("--state", action="append", default=[], help="assignment state or phase (repeatable)")
        book.add_argument("--peer-group", help="county, department, work_team or township")
        book.add_argument("--max-rows", type=int, default=None, help="refuse a PDF longer than this")
        book.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx or .pdf file to write")

    def handle(self, *args, **options) -> None:
        try:
            if options["document"] == "letter":
                self._letter(options)
            elif options["document"] == "notice":
                self._notice(options)
            elif options["document"] == "task":
                self._task(options)
            else:
                self._ledger(options)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:
            raise CommandError(str(exc)) from None

    def _letter(self, options: dict) -> None:
        output: Path = options["output"]
        if output.suffix.lower() != ".pdf":
            raise CommandError(_("A letter is written as .pdf."))
        letter = resolve_letter(options["letter"].strip(), Letter.objects.all())
        output.write_bytes(letters.letter_pdf(letter))
        self.stdout.write(_("Wrote %(file)s.") % {"file": output})

    def _notice(self, options: dict) -> None:
        output: Path = options["output"]
        if output.suffix.lower() != ".pdf":
            raise CommandError(_("A notice is written as .pdf."))
        notice = notice_of_cycle(options["cycle"])
        if notice is None:
            raise CommandError(_("No notice has been drafted for cycle %(number)d.") % {"number": options["cycle"]})
        output.write_bytes(notice_pdf(notice))
        self.stdout.write(
            _("Wrote %(file)s: %(title)s (%(state)s).")
            % {"file": output, "title": notice.title, "state": notice.get_state_display()}
        )

    def _task(self, options: dict) -> None:
        output: Path = options["output"]
        if output.suffix.lower() != ".pdf":
            raise CommandError(_("A task sheet is written as .pdf."))
        assignment = Assignment.objects.filter(pk=options["assignment"]).first()
        if assignment is None:
            raise CommandError(_("No assignment has the id %(id)d.") % {"id": options["assignment"]})
        output.write_bytes(task_sheet_pdf(assignment))
        self.stdout.write(_("Wrote %(file)s.") % {"file": output})

    def _ledger(self, options: dict) -> None:
        output: Path = options["output"]
        suffix = output.suffix.lower()
        if suffix not in (".xlsx", ".pdf"):
            raise CommandError(_("The ledger is written as .xlsx or .pdf."))
        asked = ledger_request(
            units=options["unit"], letter=options["letter"], states=options["state"], peer_group=options["peer_group"]
        )
        with wording.document_language():
            unit_label = ledger_head(asked)
        rows = ledger.ledger_queryset(Assignment.objects.all(), asked.filters).iterator(chunk_size=ledger.CHUNK)
        if suffix == ".xlsx":
            with output.open("wb") as out:
                count = ledger.write_ledger_xlsx(rows, out, unit_label=unit_label, day=clock.today())
        else:
            rows = list(rows)
            count = len(rows)
            pdf = ledger.ledger_pdf(rows, unit_label=unit_label, day=clock.today(), max_rows=options["max_rows"])
            output.write_bytes(pdf)
        self.stdout.write(_("Wrote %(file)s: %(n)d rows.") % {"file": output, "n": count})
