"""The documents as they went out, for keeping (``supervision.services.issued_documents``).

A letter is rendered as it was issued: without the stamp a fresh render of a letter withdrawn
since would carry, since what is kept is what the units received. A notice is only ever kept once
published, which its render already shows. Both are registered with the domain when this module
is imported (by ``job_kinds.notice``, which the app loads when it is ready).
"""

from __future__ import annotations

from supervision.models import Letter, Notice
from supervision.services.issued_documents import issued_renderers_register

from . import letters, wording
from .notice import notice_pdf
from .pdf import document_html, html_to_pdf


def letter_as_issued_pdf(letter: Letter) -> bytes:
    with wording.document_language():
        context = letters.letter_context(letter)
        context["stamp"] = ""
        html = document_html(letters.TEMPLATE, context)
    return html_to_pdf(html)


def notice_as_published_pdf(notice: Notice) -> bytes:
    return notice_pdf(notice)


issued_renderers_register(letter=letter_as_issued_pdf, notice=notice_as_published_pdf)
