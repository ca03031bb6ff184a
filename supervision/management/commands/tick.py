"""``manage.py tick``: the office's clock, run every minute from cron (see services/cycles.py).

Safe to run twice at once and as often as you like: each run writes only what is not done yet.
Prints a line only when something happened (cron mails output; an idle minute says nothing).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from supervision.services import tick_run
from supervision.services.issued_documents import issued_documents_requeue


class Command(BaseCommand):
    @property
    def help(self) -> str:  # translated when the parser is built, not at import
        return _(
            "Open and close reporting cycles, rank closed cycles, refresh the lights, send near-due reminders, "
            "draft reminder letters for overdue assignments, send the daily message digests and wake the "
            "message worker when messages wait. Run it every minute from cron."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = tick_run()
        for problem in result.problems:
            self.stderr.write(problem)
        # Issued letters and published notices whose PDF the worker has not kept (a lost hand-over).
        documents_queued = issued_documents_requeue()
        if not (result.changed or documents_queued) or options["verbosity"] < 1:
            return
        parts = []
        if result.closed:
            parts.append(_("closed cycle %(numbers)s") % {"numbers": ", ".join(map(str, result.closed))})
        if result.opened:
            parts.append(_("opened cycle %(numbers)s") % {"numbers": ", ".join(map(str, result.opened))})
        if result.reminders:
            parts.append(_("%(n)d near-due reminders") % {"n": result.reminders})
        if result.overdue:
            parts.append(_("%(n)d newly overdue") % {"n": result.overdue})
        if result.reminder_letters:
            parts.append(_("%(n)d reminder letters drafted or extended") % {"n": len(result.reminder_letters)})
        if result.missed_marked or result.missed_cleared:
            parts.append(
                _("missed reports: %(marked)d marked, %(cleared)d cleared")
                % {"marked": result.missed_marked, "cleared": result.missed_cleared}
            )
        if result.sub_overdue_marked or result.sub_overdue_cleared:
            parts.append(
                _("tasks with an overdue sub-task: %(marked)d marked, %(cleared)d cleared")
                % {"marked": result.sub_overdue_marked, "cleared": result.sub_overdue_cleared}
            )
        if result.files_swept:
            parts.append(_("%(n)d unreferenced files deleted") % {"n": result.files_swept})
        if result.digests:
            parts.append(_("%(n)d daily digests") % {"n": result.digests})
        if result.jobs_expired:
            parts.append(_("%(n)d background jobs' files deleted") % {"n": result.jobs_expired})
        if result.jobs_recovered:
            parts.append(_("%(n)d background jobs taken back from a stopped worker") % {"n": result.jobs_recovered})
        if result.overdue_cleared:
            parts.append(_("%(n)d no longer overdue") % {"n": result.overdue_cleared})
        if documents_queued:
            parts.append(_("%(n)d issued documents queued to be kept") % {"n": documents_queued})
        self.stdout.write(_("tick: %(what)s") % {"what": "; ".join(parts)})
