"""HTML to PDF with weasyprint, reading nothing but the app's static files."""

from __future__ import annotations

from typing import Any

import weasyprint
from django.template.loader import render_to_string

from .fetcher import BASE_URL, StaticOnlyFetcher
from .fonts import font_stacks

PDF_CONTENT_TYPE = "application/pdf"


def document_html(template: str, context: dict[str, Any]) -> str:
    """A document template rendered with the font stacks every document's CSS needs."""
    return render_to_string(template, {"fonts": font_stacks(), **context})


def html_to_pdf(html: str, *, url_fetcher: weasyprint.urls.URLFetcher | None = None) -> bytes:
    """The PDF of a finished HTML document. Fonts are subset and embedded (weasyprint's default)."""
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher or StaticOnlyFetcher())
    return document.write_pdf()
