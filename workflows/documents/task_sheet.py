"""The task sheet (办理单) of one assignment as a PDF, for whoever may see the assignment.

An assignment the user may not see is a 404, as on the task page: not found and not yours look
the same. The sheet itself is drawn by ``notices.task_sheet``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from notices.pdf import PDF_CONTENT_TYPE
from notices.task_sheet import task_sheet_filename, task_sheet_pdf
from supervision.selectors import visibility
from workflows.params import id_or_404


@never_cache
@login_required
@require_GET
def task_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    a = visibility.assignment_get(request.user, id_or_404(pk))
    if a is None:
        raise Http404
    response = HttpResponse(task_sheet_pdf(a), content_type=PDF_CONTENT_TYPE)
    # Opened in the browser's viewer to print; the name is what "save" offers.
    response.headers["Content-Disposition"] = content_disposition_header(False, task_sheet_filename(a))
    return response
