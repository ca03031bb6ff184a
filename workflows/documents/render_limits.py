"""How much ledger PDF a person may have drawn.

A ledger PDF of more than a few pages is drawn by the task worker (a background job, see
``notices.jobs``), but 3,000 rows still keep a worker busy for tens of seconds, and a few people
asking at once would hold every worker while everyone else's documents wait. So, before a job is
asked for (or a small PDF drawn in the request), the rows are counted (one COUNT query) and:

- past ``ledger.PDF_MAX_ROWS`` nobody gets a PDF (the Excel download has no limit);
- a person who only observes (a leader reading the figures, who holds no working role) gets at
  most ``LEDGER_PDF_OBSERVER_ROWS`` rows as PDF: a filtered ledger or the Excel file serves
  reading, and a full printed register is the office staff's job;
- a large PDF (more than ``LEDGER_PDF_LARGE_ROWS`` rows) may be started ``LEDGER_PDF_LARGE_RATE``
  times per person (django-ratelimit's "count/period", e.g. "2/10m"), counted in the shared cache
  so every server process sees the same count (Redis when ``REDIS_URL`` is set).

Small PDFs are never limited: they cost about what a page does. Each person also has at most
``supervision.services.jobs.MAX_PENDING`` jobs waiting or running at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from supervision.models import OFFICE_ROLES, UNIT_ROLES, Role, User
from supervision.services.roles import roles_by_unit

RATE_GROUP = "notices.ledger_pdf.large"
WORKING_ROLES = (OFFICE_ROLES | UNIT_ROLES) - {Role.OBSERVER}


@dataclass(frozen=True)
class Refusal:
    message: str
    status: int


def observes_only(user: User) -> bool:
    """True for someone whose only role, in every unit, is observer."""
    if user.is_superuser:
        return False
    held: set[str] = set().union(*roles_by_unit(user).values())
    return Role.OBSERVER in held and not (held & WORKING_ROLES)


def ledger_pdf_refusal(request: HttpRequest, rows: int, *, count: bool = True) -> Refusal | None:
    """Why this person may not have a ledger PDF of ``rows`` rows now, or None.

    Counts one large render against the person's allowance when it lets one through; with
    ``count`` off (a page that only offers to queue it) the allowance is neither read nor used."""
    observer_rows = settings.LEDGER_PDF_OBSERVER_ROWS
    if rows > observer_rows and observes_only(request.user):
        return Refusal(
            _(
                "This ledger has %(rows)d rows; as an observer you can have at most %(limit)d as a PDF. "
                "Narrow the filters, or download it as Excel."
            )
            % {"rows": rows, "limit": observer_rows},
            403,
        )
    large_rows = settings.LEDGER_PDF_LARGE_ROWS
    if (
        count
        and rows > large_rows
        and is_ratelimited(
            request,
            group=RATE_GROUP,
            key="user",
            rate=settings.LEDGER_PDF_LARGE_RATE,
            increment=True,
        )
    ):
        return Refusal(
            _(
                "You have just had several large ledgers (more than %(rows)d rows) as PDF, and each keeps "
                "the server busy for a while. Try again in a few minutes, narrow the filters, or download "
                "it as Excel."
            )
            % {"rows": large_rows},
            429,
        )
    return None
