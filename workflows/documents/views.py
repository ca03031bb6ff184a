"""Document pages: downloads (letter and notice PDFs, ledger as Excel or PDF) and the ledger
page; the problem-list import is in ``imports``. The documents themselves are rendered
by ``notices``; these views only check who asks and hand the result over.

No request renders more than a few pages: a large ledger, a notice and a large import become a
background job (``supervision.services.jobs``, kinds in ``notices.jobs``) and the person is sent
to its page, which shows the progress and then offers the file. Small ledgers, letters and
templates are made in the request.

Only a POST asks for a job (the pages' download buttons are forms with the CSRF token): a GET of
a download that would be one shows a page with that button instead, so that a link or an image
on another site cannot queue heavy documents in a signed-in person's name.

Meant to be included under a prefix such as ``/documents/``. Every view needs a login and
reads through the selectors: a letter the user may not see is a 404, never a 403 that would
confirm it exists, and a refusal from the domain is a page with its message, never a 500.
Nothing is cached on the way: what a download holds depends on who asked.
"""

from __future__ import annotations

import logging
import tempfile
from typing import IO

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from notices import jobs, ledger, letters, wording
from notices.filters import ledger_letters, ledger_units
from notices.job_kinds.ledger import LedgerAsk, ledger_params, ledger_resolve
from notices.job_kinds.notice import notice_params
from notices.notice import notice_filename
from notices.pdf import PDF_CONTENT_TYPE
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision import clock
from supervision.models import (
    AssignmentState,
    IssuedDocument,
    Letter,
    LetterState,
    Notice,
    NoticeState,
    PeerGroup,
    User,
)
from supervision.selectors import rankings, visibility
from supervision.services import DomainError, InvalidInput, NotAllowed
from supervision.services.issued_documents import (
    issued_document_current,
    issued_document_ensure,
    issued_document_read,
    issued_document_version,
)
from supervision.services.jobs import job_request
from supervision.services.receipts import letter_mark_read, notice_mark_read
from supervision.services.roles import roles_by_unit

from .render_limits import ledger_pdf_refusal

logger = logging.getLogger(__name__)


def _visible_letter(user: User, pk: int) -> Letter:
    letter = visibility.letter_get(user, pk)
    if letter is None:
        raise Http404
    return letter


def _refused(request: HttpRequest, error: DomainError, *, status: int = 400) -> HttpResponse:
    return render(request, "documents/refused.html", {"message": error.message}, status=status)


def _pdf(pdf: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    response.headers["Content-Disposition"] = content_disposition_header(not inline, filename)
    return response


def _file(handle: IO[bytes], filename: str, content_type: str) -> FileResponse:
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


def as_job(request: HttpRequest, *, kind: str, params: dict, title: str, upload=None) -> HttpResponse:
    """Ask for a background job and go to its page; a refusal is a page with its message.

    On a GET nothing is asked for: the page shows what would be made, with a button that posts
    the same address (its query string, the filters, included)."""
    if request.method != "POST":
        return render(request, "jobs/prepare.html", {"title": title, "action": request.get_full_path()})
    try:
        job = job_request(actor=request.user, kind=kind, params=params, title=title, upload=upload)
    except NotAllowed as exc:
        return _refused(request, exc, status=403)
    except DomainError as exc:
        return _refused(request, exc)
    return HttpResponseRedirect(reverse("jobs:detail", args=[job.uuid]))


# --- letters ---------------------------------------------------------------------------------------


# A stored document up to this size is read whole, checked against its SHA-256 and sent with its
# length (letters are a few hundred kB, a notice about a megabyte); a larger one is streamed from
# storage unchecked (verify_documents checks every file).
READ_WHOLE_BYTES = 8 * 1024 * 1024


def _version_filename(filename: str, document: IssuedDocument) -> str:
    # The first version is the document under its own name; a later one says which it is.
    if document.version == 1:
        return filename
    stem, dot, suffix = filename.rpartition(".")
    return f"{stem}-v{document.version}{dot}{suffix}"


def _stored(document: IssuedDocument | None, filename: str, *, inline: bool) -> HttpResponse | None:
    """The kept file as the download, or None when there is none or it is not what its row says
    (logged): the caller then renders afresh, as before documents were kept."""
    if document is None:
        return None
    if document.size > READ_WHOLE_BYTES:
        try:
            handle = default_storage.open(document.file.name, "rb")
        except OSError:
            logger.error("Issued document %s: file %s is missing.", document.pk, document.file.name)
            return None
        return FileResponse(handle, as_attachment=not inline, filename=filename, content_type=PDF_CONTENT_TYPE)
    data = issued_document_read(document)
    return _pdf(data, filename, inline=inline) if data is not None else None


def _unreadable(request: HttpRequest) -> HttpResponse:
    return _refused(
        request,
        DomainError(
            _("This stored version of the document cannot be read. It has been recorded for the system administrator.")
        ),
        status=503,
    )


def _ensured(**owner: Letter | Notice) -> IssuedDocument | None:
    """The current issue's kept document, stored now if the worker has not yet done so; None
    when the storage fails (logged: the person still gets the document, rendered afresh)."""
    try:
        return issued_document_ensure(**owner)
    except OSError:
        logger.exception("Could not store the issued document of %s.", owner)
        return None


@never_cache
@login_required
@require_GET
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """An issued letter is the PDF kept when it was issued (a closed one too); a draft, a signed
    letter and a withdrawn one are rendered afresh with their stamp. ``?version=N`` is one kept
    version, for whoever may see the letter."""
    letter = _visible_letter(request.user, pk)
    letter_mark_read(actor=request.user, letter=letter)  # 已阅: downloading it is opening it
    filename = letters.letter_filename(letter)
    if "version" in request.GET:
        document = issued_document_version(letter=letter, version=request.GET["version"])
        if document is None:
            raise Http404
        response = _stored(document, _version_filename(filename, document), inline=True)
        if response is None:
            return _unreadable(request)
        return response
    if letter.state in (LetterState.ISSUED, LetterState.CLOSED):
        response = _stored(_ensured(letter=letter), filename, inline=True)
        if response is not None:
            return response
    pdf = letters.letter_pdf(letter)
    # Opened in the browser's viewer; the name is what "save" offers.
    return _pdf(pdf, filename, inline=True)


# --- the biweekly notice ------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A notice the user may see (units: published ones only); otherwise 404, as for letters.

    A published notice whose document is kept is that file, at once, to the button's POST; one
    not kept yet (the worker is behind), and a draft, are drawn by a background job. ``?version=N``
    is one kept version."""
    notice = rankings.notice_get(request.user, pk)
    if notice is None:
        raise Http404
    if "version" in request.GET:
        document = issued_document_version(notice=notice, version=request.GET["version"])
        if document is None:
            raise Http404
        response = _stored(document, _version_filename(notice_filename(notice), document), inline=False)
        if response is None:
            return _unreadable(request)
        notice_mark_read(actor=request.user, notice=notice)
        return response
    if request.method == "POST":
        notice_mark_read(actor=request.user, notice=notice)  # 已阅: asking for it is opening it
        if notice.state == NoticeState.PUBLISHED:
            # Never drawn in the request: a notice not kept yet is kept by the job below.
            response = _stored(issued_document_current(notice=notice), notice_filename(notice), inline=False)
            if response is not None:
                return response
    # About twenty pages: drawn by the worker (or handed over at once when a reader had the
    # published notice drawn in the last hours).
    return as_job(request, kind=jobs.NOTICE_PDF, params=notice_params(notice), title=notice.title)


# --- the ledger --------------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> QueryDict:
    """The ledger's filters, under the assignment lists' query-string names: a list's export
    button posts to its own query string; the ledger page's form posts its fields, which win."""
    if request.method != "POST":
        return request.GET
    merged = request.GET.copy()
    for key in request.POST:
        if key != "csrfmiddlewaretoken":
            merged.setlist(key, request.POST.getlist(key))
    return merged


def _ledger(request: HttpRequest) -> LedgerAsk:
    return ledger_resolve(request.user, ledger_params(_filters(request)))


def _no_role(request: HttpRequest) -> HttpResponse | None:
    """A refusal for someone holding no role anywhere: their ledger could only ever be empty."""
    if request.user.is_superuser or roles_by_unit(request.user):
        return None
    return _refused(request, NotAllowed(_("You hold no role in any unit, so you have no ledger.")), status=403)


@login_required
@require_GET
def ledger_page(request: HttpRequest) -> HttpResponse:
    """Pick the filters (unit, letter, state, peer group) and download the ledger as Excel or PDF."""
    if refused := _no_role(request):
        return refused
    return render(
        request,
        "documents/ledger_page.html",
        {
            "units": ledger_units(request.user),
            "letters": ledger_letters(request.user),
            "states": AssignmentState.choices,
            "peer_groups": [(v, label) for v, label in PeerGroup.choices if v != PeerGroup.OFFICE],
            "pdf_max_rows": ledger.PDF_MAX_ROWS,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def ledger_xlsx(request: HttpRequest) -> HttpResponse:
    if refused := _no_role(request):
        return refused
    try:
        asked = _ledger(request)
        rows = asked.rows.count()
    except InvalidInput as exc:
        return _refused(request, exc)
    if rows > jobs.LEDGER_XLSX_INLINE_ROWS:
        title = _("Ledger as Excel (%(rows)d rows)") % {"rows": rows}
        return as_job(request, kind=jobs.LEDGER_XLSX, params=ledger_params(_filters(request)), title=title)
    # Written to a temporary file row by row, then streamed from it: memory stays flat.
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    ledger.write_ledger_xlsx(
        asked.rows.iterator(chunk_size=ledger.CHUNK), out, unit_label=asked.unit_label, day=clock.today()
    )
    return _file(out, f"{wording.LEDGER_TITLE}.xlsx", XLSX_CONTENT_TYPE)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def ledger_pdf(request: HttpRequest) -> HttpResponse:
    if refused := _no_role(request):
        return refused
    try:
        asked = _ledger(request)
        # Counted first (one COUNT query): too large a PDF is refused before any row is fetched.
        rows = asked.rows.count()
        if rows > ledger.PDF_MAX_ROWS:
            raise ledger.too_many_rows(ledger.PDF_MAX_ROWS)
        inline = rows <= jobs.LEDGER_PDF_INLINE_ROWS
        # The page a GET shows for a job draws nothing: only what is drawn or queued is counted.
        drawn = inline or request.method == "POST"
        if refusal := ledger_pdf_refusal(request, rows, count=drawn):
            return render(request, "documents/refused.html", {"message": refusal.message}, status=refusal.status)
        if not inline:
            title = _("Ledger as PDF (%(rows)d rows)") % {"rows": rows}
            return as_job(request, kind=jobs.LEDGER_PDF, params=ledger_params(_filters(request)), title=title)
        pdf = ledger.ledger_pdf(
            asked.rows.iterator(chunk_size=ledger.CHUNK),
            unit_label=asked.unit_label,
            day=clock.today(),
            max_rows=ledger.PDF_MAX_ROWS,
        )
    except InvalidInput as exc:
        return _refused(request, exc)
    return _pdf(pdf, f"{wording.LEDGER_TITLE}.pdf")
