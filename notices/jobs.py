"""The kinds of background job (后台任务) documents have, registered with
``supervision.services.jobs`` when this module is imported (notices/apps.py, once the app is ready).

| kind | what it makes | runner |
|---|---|---|
| ``ledger_pdf`` / ``ledger_xlsx`` | the ledger with the page's filters | job_kinds/ledger.py |
| ``notice_pdf`` | a biweekly notice | job_kinds/notice.py |
| ``progress_sheet`` / ``progress_upload`` | the bulk progress sheet, out and back in | job_kinds/sheets.py |
| ``problem_list_preview`` | what a problem list would import, written nowhere | job_kinds/uploads.py |
| ``problem_list_import`` | a problem list read into a draft letter | job_kinds/uploads.py |

What stays in the web request (the limits below): small documents cost about what a page does,
and a person waiting a second for them is better served than by a job page.
"""

from __future__ import annotations

from supervision.services.jobs import JobKind, job_kind_register

from .job_kinds import ledger, notice, sheets, uploads

LEDGER_PDF = "ledger_pdf"
LEDGER_XLSX = "ledger_xlsx"
NOTICE_PDF = "notice_pdf"
PROGRESS_SHEET = "progress_sheet"
PROGRESS_UPLOAD = "progress_upload"
PROBLEM_LIST_PREVIEW = "problem_list_preview"
PROBLEM_LIST_IMPORT = "problem_list_import"

# A ledger of at most this many rows is drawn in the request as PDF (two or three pages) …
LEDGER_PDF_INLINE_ROWS = 50
# … and written in the request as Excel (about a second for this many).
LEDGER_XLSX_INLINE_ROWS = 1000
# A progress sheet of at most this many assignments is written in the request.
PROGRESS_SHEET_INLINE_ROWS = 300
# Uploaded sheets: see job_kinds/uploads.py.
UPLOAD_INLINE_ROWS = uploads.INLINE_ROWS


job_kind_register(JobKind(LEDGER_PDF, check=ledger.check, run=ledger.run_pdf))
job_kind_register(JobKind(LEDGER_XLSX, check=ledger.check, run=ledger.run_xlsx))
job_kind_register(JobKind(NOTICE_PDF, check=notice.check, run=notice.run, shared_as=notice.shared_as))
job_kind_register(JobKind(PROGRESS_SHEET, check=sheets.check, run=sheets.run_download))
job_kind_register(JobKind(PROGRESS_UPLOAD, check=sheets.check, run=sheets.run_upload))
job_kind_register(JobKind(PROBLEM_LIST_PREVIEW, check=uploads.import_check, run=uploads.preview_run))
job_kind_register(JobKind(PROBLEM_LIST_IMPORT, check=uploads.import_check, run=uploads.import_run))
