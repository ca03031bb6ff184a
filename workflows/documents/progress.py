"""Bulk progress reporting through Excel: the page, the sheet's download and its upload.

A liaison downloads the assignments they may report on as one sheet, fills in the progress
column and uploads it; ``notices.progress_sheet`` checks every row and reports them all or none.
On errors the page lists every one of them (row, column, message); on success it goes back to
the list with how many were reported. A sheet of hundreds of rows, either way, is a background
job (``notices.jobs``): the person is sent to its page, which shows the progress, then the file
or the outcome. Only people who report progress somewhere (the role of
the step table's report step) reach these pages; the rows come from the same reading as the
task page's button.
"""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from notices import jobs
from notices.job_kinds.sheets import reports_somewhere
from notices.job_kinds.uploads import is_large
from notices.progress import ImportProgress, new_token, valid_token
from notices.progress_sheet import (
    PROGRESS_HEADING,
    progress_sheet_filename,
    progress_sheet_report,
    reportable,
    units_label,
    write_progress_sheet,
)
from notices.workbook import MAX_FILE_BYTES
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision import clock
from supervision.services.roles import role_refusal
from supervision.services.steps import REPORT

from .views import as_job

TEMPLATE = "documents/progress.html"


class ProgressUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Filled-in progress sheet (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


def _not_a_reporter(request: HttpRequest) -> HttpResponse | None:
    if reports_somewhere(request.user):
        return None
    refusal = role_refusal(REPORT.roles)
    return render(request, "documents/refused.html", {"message": refusal.message}, status=403)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def progress_page(request: HttpRequest) -> HttpResponse:
    """How many assignments the sheet holds, its download, and the upload of the filled-in sheet."""
    if refused := _not_a_reporter(request):
        return refused
    form = ProgressUploadForm(request.POST, request.FILES) if request.method == "POST" else ProgressUploadForm()
    posted = request.POST.get("token", "")
    context = {
        "form": form,
        "errors": [],
        "token": new_token(),
        "count": len(reportable(request.user)),
        "column": PROGRESS_HEADING,
    }
    if request.method == "GET":
        return render(request, TEMPLATE, context)
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    if is_large(form.cleaned_data["file"]):
        name = form.cleaned_data["file"].name
        title = _("Progress sheet “%(name)s”") % {"name": name[:100]}
        return as_job(request, kind=jobs.PROGRESS_UPLOAD, params={}, title=title, upload=form.cleaned_data["file"])
    upload = progress_sheet_report(
        actor=request.user,
        workbook_file=form.cleaned_data["file"],
        progress=ImportProgress(request.user.pk, posted) if valid_token(posted) else None,
    )
    if not upload.ok:
        context["errors"] = [str(e) for e in upload.errors]
        return render(request, TEMPLATE, context, status=400)
    messages.success(request, upload.summary())
    return HttpResponseRedirect(reverse("tasks:list") + "?queue=mine")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def progress_xlsx(request: HttpRequest) -> HttpResponse:
    """The sheet of the assignments the user may report on now (a long one: a job, on a POST)."""
    if refused := _not_a_reporter(request):
        return refused
    rows = reportable(request.user)
    if len(rows) > jobs.PROGRESS_SHEET_INLINE_ROWS:
        title = _("Progress sheet (%(rows)d assignments)") % {"rows": len(rows)}
        return as_job(request, kind=jobs.PROGRESS_SHEET, params={}, title=title)
    units = units_label(rows, request.user)
    day = clock.today()
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    write_progress_sheet(out, rows, unit_label="、".join(units), day=day)
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=progress_sheet_filename(units, day), content_type=XLSX_CONTENT_TYPE
    )
