"""The biweekly notice as a background job: about twenty pages, a few seconds of layout.

A published notice is the document kept when it was published (``issued_documents``): the job
hands over the stored file, storing it first if the worker has not done so yet, and draws nothing
more. It prints the same for everyone who may read it, so a file made in the last hours is also
handed to the next reader at once (``shared_as``). A draft, which the office may still change, is
drawn anew each time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from notices import issued  # noqa: F401  (registers the renderers of the documents kept)
from notices import notice as notices
from notices.pdf import PDF_CONTENT_TYPE, html_to_pdf
from supervision.models import Job, Notice, NoticeState, User
from supervision.parsing import parse_id
from supervision.selectors import rankings
from supervision.services import InvalidInput, NotAllowed
from supervision.services.issued_documents import issued_document_ensure, issued_document_read
from supervision.services.jobs import JobOutput, JobProgress

logger = logging.getLogger(__name__)


def notice_params(notice: Notice) -> dict[str, Any]:
    return {"notice": notice.pk, "published": notice.state == NoticeState.PUBLISHED}


def _visible(user: User, params: Mapping[str, Any]) -> Notice | None:
    pk = parse_id(params.get("notice"))
    return rankings.notice_get(user, pk) if pk is not None else None


def check(actor: User, params: Mapping[str, Any]) -> None:
    if _visible(actor, params) is None:
        raise NotAllowed(_("You may not read this notice."))


def shared_as(params: Mapping[str, Any]) -> dict[str, Any] | None:
    if not params.get("published"):
        return None
    return {"params__notice": parse_id(params.get("notice")), "params__published": True}


def run(job: Job, progress: JobProgress) -> JobOutput:
    notice = _visible(job.requested_by, job.params)
    if notice is None:
        raise InvalidInput(_("The notice is no longer available to you."))
    # Two steps the person can see: the figures and charts gathered, then the pages laid out.
    progress(0, 2)
    if notice.state == NoticeState.PUBLISHED:
        kept = _kept(notice)
        if kept is not None:
            progress(2, 2)
            return JobOutput(ContentFile(kept), notices.notice_filename(notice), PDF_CONTENT_TYPE)
    html = notices.notice_html(notice)
    progress(1, 2)
    pdf = html_to_pdf(html)
    progress(2, 2)
    return JobOutput(ContentFile(pdf), notices.notice_filename(notice), PDF_CONTENT_TYPE)


def _kept(notice: Notice) -> bytes | None:
    """The published notice as it was kept, stored now if it was not yet; None when the storage
    fails or the stored file is damaged (logged): the job then draws it afresh."""
    try:
        document = issued_document_ensure(notice=notice)
    except OSError:
        logger.exception("Could not store the published notice %s.", notice.pk)
        return None
    return issued_document_read(document) if document is not None else None
