"""What each kind of background job is called on the pages (the office's monitor): the kinds are
codes (``notices.jobs``), which a person should not have to read."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notices import jobs

KIND_LABELS: dict[str, Promise] = {
    jobs.LEDGER_PDF: _("Ledger as PDF"),
    jobs.LEDGER_XLSX: _("Ledger as Excel"),
    jobs.NOTICE_PDF: _("Notice as PDF"),
    jobs.PROGRESS_SHEET: _("Progress sheet to fill in"),
    jobs.PROGRESS_UPLOAD: _("Filled-in progress sheet, reported"),
    jobs.PROBLEM_LIST_PREVIEW: _("Problem list read for its preview"),
    jobs.PROBLEM_LIST_IMPORT: _("Problem list imported into a letter"),
}


def kind_label(kind: str) -> str:
    """The kind's name in the page's language; a kind without one (none should be: a test
    checks every registered kind) shows as its code rather than as nothing."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind
