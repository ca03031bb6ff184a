"""The ledger as a background job (PDF or Excel), and the reading of its filters that the page
and the job share.

The filters travel as the query string's values (``ledger_params``) and are resolved again, for
the requester, when the job runs (``ledger_resolve``): the rows are those the person may see
then, under exactly the rules of the download page.

The PDF is laid out in parts of ``PART_ROWS`` lines so that the job can say how far it has got
(weasyprint lays a table out at ~10 ms a row and reports nothing meanwhile). The parts make one
document: each part's pages are numbered on from the last, the title is printed once, and a
part's last page, usually half full, is dropped and its lines begin the next part (each line
carries an anchor, and a page's anchors say which lines it holds), so the pages fill as in a
PDF drawn in one go.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import weasyprint
from django.core.files import File
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from notices import ledger, wording
from notices.fetcher import BASE_URL, StaticOnlyFetcher
from notices.filters import LedgerRequest, ledger_head, ledger_request
from notices.pdf import PDF_CONTENT_TYPE, document_html
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision import clock
from supervision.models import Job, User
from supervision.selectors import queues, visibility
from supervision.selectors.search import office_filter
from supervision.services import InvalidInput, NotAllowed
from supervision.services.jobs import JobOutput, JobProgress
from supervision.services.roles import office_ids, roles_by_unit, unit_ids

# The query-string names the ledger reads (the assignment lists' own, and ``queue``).
KEYS = (
    "unit",
    "letter",
    "state",
    "peer_group",
    "q",
    "light",
    "category",
    "source",
    "site",
    "overdue",
    "open",
    "queue",
    "by",
    "level",
)
# A value longer than this is no person's filter; ``ledger_request`` refuses too many values.
MAX_VALUE = 300
MAX_VALUES = 201
PART_ROWS = 250
# Rows between two progress reports while an Excel file is written.
EVERY = 100


def ledger_params(query: Any) -> dict[str, list[str]]:
    """The ledger's filters from a query string (anything with ``getlist``), as JSON can keep them."""
    found = {}
    for key in KEYS:
        values = [str(v)[:MAX_VALUE] for v in query.getlist(key)[:MAX_VALUES]]
        if values:
            found[key] = values
    return found


def _one(params: Mapping[str, Any], key: str) -> str | None:
    # As a query string's .get(): the last value given.
    values = params.get(key) or []
    return str(values[-1]) if values else None


@dataclass
class LedgerAsk:
    """The filters resolved for one person, and the rows they select, in ledger order."""

    user: User
    request: LedgerRequest
    rows: QuerySet
    # The office the rows were narrowed to (the list's ``?by=``), which then heads the document.
    office: int | None = None

    @cached_property
    def unit_label(self) -> str:
        """单位 at the head of the document, and the filter line naming the letter and whatever else
        narrowed it (``filters.ledger_head``), in the document's language."""
        with wording.document_language():
            return ledger_head(self.request, self.user, self.office)


def ledger_resolve(user: User, params: Mapping[str, Any]) -> LedgerAsk:
    """Check and resolve the filters for ``user``; ``NotAllowed`` for someone with no ledger,
    ``InvalidInput`` (with the user's message) for a filter that names nothing they may see."""
    if not (user.is_superuser or roles_by_unit(user)):
        raise NotAllowed(_("You hold no role in any unit, so you have no ledger."))
    asked = ledger_request(
        units=params.get("unit"),
        letter=_one(params, "letter"),
        states=params.get("state"),
        peer_group=_one(params, "peer_group"),
        letters=visibility.letters_visible_to(user),
        text=_one(params, "q"),
        light=_one(params, "light"),
        category=_one(params, "category"),
        source=_one(params, "source"),
        site=_one(params, "site"),
        overdue=_one(params, "overdue"),
        open_only=_one(params, "open"),
        level=_one(params, "level"),
    )
    if asked.units and not (user.is_superuser or office_ids(user)):
        # A unit's ledger holds its own rows only: naming another unit would print its name over
        # an empty table, so it is refused instead.
        own = unit_ids(user)
        for unit in asked.units:
            if unit.pk not in own:
                raise InvalidInput(_("“%(unit)s” is not one of your units.") % {"unit": unit.name}, field="unit")
    # Narrowed to a list's queue (``queue=to_verify``…) as the list page narrows it; an unknown
    # queue is the whole list, as there.
    base = visibility.assignments_visible_to(user)
    if not asked.filters.level:
        # Unless a level is asked for, a ledger holds the tasks its reader answers for: the
        # office's own (what it issued), a unit's own (not the parts it handed down below, which
        # would print the same problem again under each township).
        if user.is_superuser or office_ids(user):
            base = base.filter(parent__isnull=True)
        else:
            base = base.filter(unit_id__in=unit_ids(user))
    queue = queues.ALL_QUEUES.get(_one(params, "queue") or "")
    if queue is not None:
        base = base.filter(pk__in=queue.assignments(user).values("pk"))
    # One of the person's offices, as the list exported was narrowed to it (``?by=``); any other
    # value narrows nothing there, so nothing here either.
    office = office_filter(user, _one(params, "by"))
    if office is not None:
        base = base.filter(letter__office_id=office)
    return LedgerAsk(user=user, request=asked, rows=ledger.ledger_queryset(base, asked.filters), office=office)


def check(actor: User, params: Mapping[str, Any]) -> None:
    ledger_resolve(actor, params)


# --- Excel -------------------------------------------------------------------------------------------


def counted(rows: Iterable[Any], progress: Callable[[int, int], None], total: int) -> Iterator[Any]:
    progress(0, total)
    done = 0
    for done, row in enumerate(rows, start=1):
        yield row
        if done % EVERY == 0:
            progress(done, total)
    progress(done, total)


def write_xlsx(ask: LedgerAsk, out: Any, *, progress: Callable[[int, int], None] | None = None) -> int:
    rows = ask.rows.iterator(chunk_size=ledger.CHUNK)
    if progress is not None:
        rows = counted(rows, progress, ask.rows.count())
    return ledger.write_ledger_xlsx(rows, out, unit_label=ask.unit_label, day=clock.today())


def run_xlsx(job: Job, progress: JobProgress) -> JobOutput:
    ask = ledger_resolve(job.requested_by, job.params)
    out = tempfile.TemporaryFile()  # noqa: SIM115  (the job's storage reads it, then it is closed)
    write_xlsx(ask, out, progress=progress)
    out.seek(0)
    return JobOutput(File(out), f"{wording.LEDGER_TITLE}.xlsx", XLSX_CONTENT_TYPE)


# --- PDF ---------------------------------------------------------------------------------------------


def _render(html: str) -> weasyprint.document.Document:
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).render()


def _first_line(page: Any) -> int | None:
    """The first line (index within its part) that begins on ``page``, read from its anchors."""
    found = [int(name[1:]) for name in page.anchors if name.startswith("r") and name[1:].isdigit()]
    return min(found) if found else None


def ledger_pdf_in_parts(
    rows: list[Any],
    *,
    unit_label: str,
    day: dt.date,
    progress: Callable[[int, int], None] | None = None,
    part_rows: int = PART_ROWS,
) -> bytes:
    """The same document as ``ledger.ledger_pdf``, laid out part by part (see the module's text)."""
    with wording.document_language():
        lines = list(ledger.ledger_lines(rows, day))
        total = len(lines)
        context = {"unit_label": unit_label, "day": wording.chinese_date(day), "w": wording, "anchors": True}
        pages: list[Any] = []
        first = None
        start = 0
        if progress is not None:
            progress(0, total)
        while True:
            end = min(start + part_rows, total)
            html = document_html(
                ledger.LEDGER_TEMPLATE,
                {**context, "lines": lines[start:end], "continued": start > 0, "first_page": len(pages) + 1},
            )
            document = _render(html)
            kept = document.pages
            if end < total and len(kept) > 1:
                # The last page is cut short by the part's end: its lines open the next part.
                cut = _first_line(kept[-1])
                if cut:
                    kept, end = kept[:-1], start + cut
            first = first or document
            pages += kept
            start = end
            if progress is not None:
                progress(start, total)
            if start >= total:
                break
    return first.copy(pages).write_pdf()


def run_pdf(job: Job, progress: JobProgress) -> JobOutput:
    ask = ledger_resolve(job.requested_by, job.params)
    count = ask.rows.count()
    if count > ledger.PDF_MAX_ROWS:
        raise ledger.too_many_rows(ledger.PDF_MAX_ROWS)
    rows = list(ask.rows.iterator(chunk_size=ledger.CHUNK))
    pdf = ledger_pdf_in_parts(rows, unit_label=ask.unit_label, day=clock.today(), progress=progress)
    return JobOutput(ContentFile(pdf), f"{wording.LEDGER_TITLE}.pdf", PDF_CONTENT_TYPE)
