"""Uploaded sheets read by a background job: whether a sheet is large enough to need one, the
bridge from the readers' progress reports to the job's, and the problem-list import.

A sheet of more than ``INLINE_ROWS`` rows is stored privately for its job (the job's
``params["upload"]``, deleted when the job has finished or expired) and read in the worker;
smaller ones are read in the request, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from notices.services import letter_import_items
from notices.workbook import open_rows
from supervision.models import Job, Letter, LetterState, Role, User
from supervision.parsing import parse_id
from supervision.selectors import visibility
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from supervision.services.jobs import JobOutput, JobProgress
from supervision.services.roles import require_role

# Rows (by the sheet's own count) a request still reads itself.
INLINE_ROWS = 300
# Row errors kept on a job: a page lists this many, and says how many there were.
MAX_ERRORS = 500


def sheet_rows(file: IO[bytes]) -> int | None:
    """The sheet's own idea of its last row, or None for a file that will not open (the request
    then reads it and lists what is wrong at once)."""
    opened = open_rows(file)
    if hasattr(file, "seek"):
        file.seek(0)
    if isinstance(opened, str):
        return None
    return opened.last_row


def is_large(file: IO[bytes]) -> bool:
    rows = sheet_rows(file)
    return rows is not None and rows > INLINE_ROWS


class UploadProgress:
    """What ``notices.progress.ImportProgress`` hears from the readers, told to the job instead."""

    def __init__(self, progress: JobProgress) -> None:
        self.progress = progress

    def reading(self, rows: int, total: int | None) -> None:
        self.progress(rows, total or 0, phase="reading")

    def saving(self, done: int, total: int) -> None:
        self.progress(done, total, phase="saving")

    def finished(self, *, imported: int, errors: int) -> None:
        """The job's own end says this."""


def stored_upload(job: Job) -> str:
    name = job.params.get("upload") or ""
    if not name or not default_storage.exists(name):
        raise InvalidInput(_("The uploaded file is no longer kept: upload it again."))
    return name


# --- the problem-list import (问题清单导入) --------------------------------------------------------


def _draft(user: User, params: Mapping[str, Any]) -> Letter:
    pk = parse_id(params.get("letter"))
    letter = visibility.letter_get(user, pk) if pk is not None else None
    if letter is None:
        raise NotAllowed(_("You may not change this letter."))
    # The import service decides again when it runs; asked here so that nothing is queued
    # for someone it would refuse.
    require_role(user, letter.office_id, [Role.CLERK])
    if letter.state != LetterState.DRAFT:
        raise InvalidTransition(
            _("Only a draft letter can be changed; this one is %(state)s.") % {"state": letter.get_state_display()}
        )
    return letter


def import_check(actor: User, params: Mapping[str, Any]) -> None:
    _draft(actor, params)


def import_run(job: Job, progress: JobProgress) -> JobOutput:
    letter = _draft(job.requested_by, job.params)
    year = parse_id(job.params.get("year"))
    with default_storage.open(stored_upload(job), "rb") as sheet:
        result = letter_import_items(
            actor=job.requested_by,
            letter=letter,
            workbook_file=sheet,
            campaign_year=year,
            progress=UploadProgress(progress),
        )
    errors = [str(e) for e in result.errors]
    return JobOutput(
        result={
            "ok": result.ok,
            "letter": letter.pk,
            "imported": len(result.items),
            "added": [u.name for u in result.added_addressees],
            "errors": errors[:MAX_ERRORS],
            "error_count": len(errors),
        }
    )
