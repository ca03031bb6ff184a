"""Excel sheets a unit exchanges in bulk, as background jobs: the progress sheet's download and
the upload of a filled-in one (批量报送整改进展). Both run as the requester, under the same rules
as the progress page (``notices.progress_sheet``)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage

from notices.progress_sheet import (
    progress_sheet_filename,
    progress_sheet_report,
    reportable,
    units_label,
    write_progress_sheet,
)
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision import clock
from supervision.models import Job, User
from supervision.services.jobs import JobOutput, JobProgress
from supervision.services.roles import role_refusal, roles_by_unit
from supervision.services.steps import REPORT

from .uploads import MAX_ERRORS, UploadProgress, stored_upload


def reports_somewhere(user: User) -> bool:
    return any(held & set(REPORT.roles) for held in roles_by_unit(user).values())


def check(actor: User, params: Mapping[str, Any]) -> None:
    if not reports_somewhere(actor):
        raise role_refusal(REPORT.roles)


def run_download(job: Job, progress: JobProgress) -> JobOutput:
    user = job.requested_by
    rows = reportable(user)
    progress(0, len(rows))
    units = units_label(rows, user)
    day = clock.today()
    out = tempfile.TemporaryFile()  # noqa: SIM115  (the job's storage reads it, then it is closed)
    write_progress_sheet(out, rows, unit_label="、".join(units), day=day, progress=progress)
    progress(len(rows), len(rows))
    out.seek(0)
    return JobOutput(File(out), progress_sheet_filename(units, day), XLSX_CONTENT_TYPE)


def run_upload(job: Job, progress: JobProgress) -> JobOutput:
    with default_storage.open(stored_upload(job), "rb") as sheet:
        upload = progress_sheet_report(actor=job.requested_by, workbook_file=sheet, progress=UploadProgress(progress))
    errors = [str(e) for e in upload.errors]
    return JobOutput(
        result={
            "ok": upload.ok,
            "reported": upload.reported,
            "amended": upload.amended,
            "summary": upload.summary() if upload.ok else "",
            "errors": errors[:MAX_ERRORS],
            "error_count": len(errors),
        }
    )
