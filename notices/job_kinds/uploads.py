"""Uploaded sheets read by a background job: whether a sheet is large enough to need one, the
bridge from the readers' progress reports to the job's, and the problem list's preview and
import.

A problem list is imported in two steps: its preview (what would be imported, written nowhere),
then the clerk's confirmation. The upload is held privately between them
(``supervision.services.held_uploads.upload_hold``; the job's ``params["held"]``). A sheet of more than
``INLINE_ROWS`` rows is previewed and imported by the worker; smaller ones in the request. The
preview, from either, is the JSON-able dict ``preview_data`` makes: the page renders that, so
both look the same.

The preview lists the rows understood even when other rows have errors; whether it may be
confirmed is its ``error_count`` (and the job's ``ok``), never whether it has items. The import
reads the sheet again and refuses every row while any error stands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from notices import wording
from notices.importer import ParsedItem
from notices.problem_list import SHEET_TITLE
from notices.services import ImportPreview, letter_import_items, letter_import_preview
from notices.workbook import UnreadableWorkbook, open_book
from supervision.models import DeadlineKind, Job, JobState, Letter, LetterState, Role, User
from supervision.parsing import parse_id
from supervision.selectors import visibility
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from supervision.services.held_uploads import held_file, is_held, upload_release
from supervision.services.jobs import JobOutput, JobProgress
from supervision.services.roles import require_role

# Rows (by the sheet's own count) a request still reads itself.
INLINE_ROWS = 300
# Row errors kept on a job or a preview: a page lists this many, and says how many there were.
MAX_ERRORS = 500


def sheet_rows(file: IO[bytes], sheet: str | None = None) -> int | None | bool:
    """The sheet's own idea of its last row; None when it does not say (an .xlsx without a
    <dimension>); False for a file (or a sheet) that will not open."""
    book = open_book(file)
    try:
        if isinstance(book, str):
            return False
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            return False
        name = sheet if sheet is not None else (SHEET_TITLE if SHEET_TITLE in names else names[0])
        try:
            return book.sheet(name).last_row
        except UnreadableWorkbook:
            return False
    finally:
        if not isinstance(book, str):
            book.close()
        if hasattr(file, "seek"):
            file.seek(0)


def is_large(file: IO[bytes], sheet: str | None = None) -> bool:
    """Whether the worker reads the sheet rather than the request. A sheet that does not say
    how many rows it has could have any number: the worker reads it. A file that will not open
    is the request's, which reads it at once and lists what is wrong."""
    rows = sheet_rows(file, sheet or None)
    if rows is False:
        return False
    return rows is None or rows > INLINE_ROWS


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
    """The job's uploaded sheet: held for a preview and its import, or stored for the job alone."""
    held = job.params.get("held")
    if held:
        if not is_held(held):
            raise InvalidInput(_("The uploaded file is no longer kept: upload it again."))
        return held
    name = job.params.get("upload") or ""
    if not name or not default_storage.exists(name):
        raise InvalidInput(_("The uploaded file is no longer kept: upload it again."))
    return name


# --- the preview, as the page shows it ----------------------------------------------------------------


def deadline_understood(day: dt.date, kind: str) -> str:
    """A deadline as the import understood it, in the words the letter will print."""
    text = wording.deadline_text(day, kind)
    if kind == DeadlineKind.IMMEDIATE:
        return _("%(kind)s, checked %(deadline)s") % {"kind": DeadlineKind(kind).label, "deadline": text}
    return text


def _item_data(item: ParsedItem) -> dict[str, Any]:
    return {
        "row": item.row,
        "rows": list(item.rows),
        "category": item.category,
        "source": item.source,
        "site": item.site,
        "description": item.description,
        "measures": item.measures,
        "problem_no": item.problem_no,
        "deadline": item.deadline.isoformat(),
        "deadline_kind": item.deadline_kind,
        "deadline_written": item.deadline_written,
        "units_written": item.units_written,
        "leads": [[u.pk, u.name] for u in item.leads],
        "cooperating": [[u.pk, u.name] for u in item.cooperating],
        "expansions": [[written, list(names)] for written, names in item.expansions],
        "warnings": [str(w) for w in item.warnings],
    }


def preview_data(preview: ImportPreview) -> dict[str, Any]:
    """The preview as plain data (JSON-able): kept as a file by the preview job, rendered by the page."""
    errors = [str(e) for e in preview.errors]
    sheet_warnings = [str(w) for w in preview.sheet.warnings]
    return {
        "letter": preview.letter.pk,
        "year": preview.campaign_year,
        "sheet": preview.sheet.sheet,
        "sheet_names": list(preview.sheet.sheet_names),
        "problems": preview.problems,
        "measures": preview.measures,
        "warning_count": preview.warning_count,
        "error_count": len(errors),
        "errors": errors[:MAX_ERRORS],
        # The same errors by row, for the page to mark each on its row: [row, column, message].
        "row_errors": [[e.row, e.column, e.message] for e in preview.errors[:MAX_ERRORS] if e.row],
        "sheet_warnings": sheet_warnings[:MAX_ERRORS],
        "would_add": [u.name for u in preview.would_add],
        "items": [_item_data(item) for item in preview.items],
    }


def preview_file(job: Job) -> str:
    return held_file(job.params["held"], f"{job.uuid.hex}.json")


def preview_load(job: Job) -> dict[str, Any] | None:
    """A finished preview job's preview, or None once it is no longer kept."""
    name = preview_file(job)
    if not is_held(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return json.load(handle)


def inline_preview_file(held: str, sheet: str, year: int | None) -> str:
    """Where the preview of a sheet read in the request is kept, beside its held upload (and
    released and pruned with it): one per sheet and year of undated deadlines."""
    key = hashlib.sha256(json.dumps([sheet or "", year]).encode()).hexdigest()[:16]
    return held_file(held, f"preview-{key}.json")


def inline_preview_load(held: str, sheet: str, year: int | None) -> dict[str, Any] | None:
    """The preview kept for a sheet read in the request, or None (never read, or no longer
    kept). It says what the sheet would import when it was read: page turns show it as it
    is, and the import checks the letter again itself."""
    name = inline_preview_file(held, sheet, year)
    if not is_held(name):
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            return json.load(handle)
    except (OSError, ValueError):  # gone meanwhile, or cut short: read the sheet again
        return None


def inline_preview_keep(held: str, sheet: str, year: int | None, data: dict[str, Any]) -> None:
    name = inline_preview_file(held, sheet, year)
    default_storage.delete(name)  # a newer reading replaces it under the same name
    default_storage.save(name, ContentFile(json.dumps(data, ensure_ascii=False).encode()))


# --- the jobs ---------------------------------------------------------------------------------------------


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


def draft_check(actor: User, letter: Letter) -> None:
    """May ``actor`` import into ``letter`` now? Raises the services' refusal."""
    _draft(actor, {"letter": letter.pk})


def import_check(actor: User, params: Mapping[str, Any]) -> None:
    _draft(actor, params)
    if "held" in params and not is_held(params["held"]):
        raise InvalidInput(_("The uploaded file is no longer kept: upload it again."))


def _sheet(params: Mapping[str, Any]) -> str | None:
    value = params.get("sheet")
    return value if isinstance(value, str) and value else None


def lead_overrides(raw: Any) -> dict[int, list[int]]:
    """``{row: [unit ids]}`` from a job's parameters (JSON keys are strings); anything else dropped."""
    if not isinstance(raw, Mapping):
        return {}
    found = {}
    for row, ids in raw.items():
        number = parse_id(row)
        if number is None or not isinstance(ids, list):
            continue
        units = [u for u in (parse_id(i) for i in ids) if u is not None]
        if units:
            found[number] = units
    return found


def preview_run(job: Job, progress: JobProgress) -> JobOutput:
    """Read the held sheet as the import would, write the preview beside it, nothing else."""
    letter = _draft(job.requested_by, job.params)
    with default_storage.open(stored_upload(job), "rb") as sheet:
        preview = letter_import_preview(
            actor=job.requested_by,
            letter=letter,
            workbook_file=sheet,
            sheet=_sheet(job.params),
            campaign_year=parse_id(job.params.get("year")),
            progress=UploadProgress(progress),
        )
    data = preview_data(preview)
    default_storage.delete(preview_file(job))  # a retry writes it again
    default_storage.save(preview_file(job), ContentFile(json.dumps(data, ensure_ascii=False).encode()))
    return JobOutput(
        result={
            "ok": preview.ok,
            "letter": letter.pk,
            "problems": data["problems"],
            "measures": data["measures"],
            "warning_count": data["warning_count"],
            "error_count": data["error_count"],
        }
    )


def import_job_of(held: str) -> Job | None:
    """The import job already asked for this held upload that still counts: waiting, running,
    or done with the rows imported. One that refused the sheet (its errors listed) wrote
    nothing, and does not stand in the way of another try."""
    from notices import jobs  # the kinds' registry imports this module

    asked = Job.objects.filter(kind=jobs.PROBLEM_LIST_IMPORT, params__held=held).order_by("-created_at")
    for job in asked.only("pk", "uuid", "state", "result")[:20]:
        if job.state in (JobState.QUEUED, JobState.RUNNING) or (job.state == JobState.DONE and job.result.get("ok")):
            return job
    return None


def import_run(job: Job, progress: JobProgress) -> JobOutput:
    letter = _draft(job.requested_by, job.params)
    year = parse_id(job.params.get("year"))
    name = stored_upload(job)
    with default_storage.open(name, "rb") as sheet:
        result = letter_import_items(
            actor=job.requested_by,
            letter=letter,
            workbook_file=sheet,
            campaign_year=year,
            progress=UploadProgress(progress),
            sheet=_sheet(job.params),
            lead_overrides=lead_overrides(job.params.get("leads")),
        )
    if result.ok and job.params.get("held"):
        # Imported: the held sheet has served (an upload of the job's own goes when it is done).
        upload_release(name)
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
