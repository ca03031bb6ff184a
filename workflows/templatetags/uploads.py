"""The file field of the upload forms, carrying the limits the services enforce."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from supervision.services.evidence import MAX_FILES_PER_REPORT, upload_rule
from supervision.services.letters import MAX_ATTACHMENTS

register = template.Library()

# How many files one submission may carry, by what it is for.
_MAX_FILES = {"evidence": MAX_FILES_PER_REPORT, "attachments": MAX_ATTACHMENTS}


@register.inclusion_tag("app/_files_input.html")
def files_input(kind: str, *, already: int = 0, required: bool = False, label: str = "") -> dict[str, Any]:
    """``{% files_input "evidence" label=... %}``, ``{% files_input "attachments" already=n %}``: a
    multiple file input and its rule in words. The numbers also go to the browser (confirm.js),
    which refuses a choice over them before sending: a body past the route's limit is answered
    413 by the server, and the text typed into the form would be lost with it."""
    max_files = max(_MAX_FILES[kind] - already, 0)
    rule = upload_rule(max_files)
    return {
        "max_files": max_files,
        "max_bytes": settings.EVIDENCE_MAX_BYTES,
        "max_total": settings.EVIDENCE_MAX_TOTAL_BYTES,
        "rule": rule,
        "too_much": _("These files cannot be sent: %(rule)s Please choose fewer or smaller files.") % {"rule": rule},
        "required": required,
        "label": label,
    }
