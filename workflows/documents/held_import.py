"""The held upload of a problem-list import (workflows/documents/imports.py) and the signed token
that carries it between the steps: upload, preview (a page, another sheet), confirm.

The upload is kept privately (``supervision.services.held_uploads``, deleted by tick after
``JOB_FILE_HOURS``); the token names the user, the letter, the held file, the year, the sheet and,
for a sheet large enough for the worker, its preview job, and expires with the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from notices import jobs
from notices.job_kinds import uploads
from supervision.models import Letter
from supervision.services.held_uploads import is_held
from supervision.services.jobs import job_request

# The import module's name, as when the token was signed there: tokens already handed out still read.
TOKEN_SALT = "workflows.documents.imports"


@dataclass(frozen=True)
class Held:
    """An upload held for one user's import into one letter."""

    user: int
    letter: int
    name: str  # the held file
    year: int | None = None
    sheet: str = ""  # "" for the workbook's problem-list sheet or its first
    job: str = ""  # the preview job's uuid, for a sheet the worker reads

    def token(self) -> str:
        return signing.dumps(asdict(self), salt=TOKEN_SALT, compress=True)


def _held(request: HttpRequest, letter: Letter, token: str) -> Held | None:
    """The held upload the token names, if it is this user's for this letter, still kept and
    not expired; else None (the page then asks for the file again)."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=dt.timedelta(hours=settings.JOB_FILE_HOURS))
        held = Held(**data)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if held.user != request.user.pk or held.letter != letter.pk or not is_held(held.name):
        return None
    return held


def _gone(request: HttpRequest, letter: Letter) -> HttpResponse:
    messages.error(request, _("The uploaded file is no longer kept: upload it again."))
    return HttpResponseRedirect(reverse("notices:letter_import", args=[letter.pk]))


def _preview_url(letter: Letter, held: Held, nxt: str = "") -> str:
    query = {"t": held.token()}
    if nxt:
        query["next"] = nxt
    return f"{reverse('notices:letter_import_preview', args=[letter.pk])}?{urlencode(query)}"


def _with_preview_job(request: HttpRequest, letter: Letter, held: Held) -> Held:
    """``held`` with a preview job when its sheet is large enough for the worker (raises the
    job's refusal: too many pending, say)."""
    with default_storage.open(held.name, "rb") as handle:
        large = uploads.is_large(handle, held.sheet or None)
    if not large:
        return Held(held.user, held.letter, held.name, held.year, held.sheet)
    params = {"letter": letter.pk, "year": held.year, "sheet": held.sheet, "held": held.name}
    title = _("Preview of a problem list for “%(letter)s”") % {"letter": letter.title}
    job = job_request(actor=request.user, kind=jobs.PROBLEM_LIST_PREVIEW, params=params, title=title)
    return Held(held.user, held.letter, held.name, held.year, held.sheet, str(job.uuid))
