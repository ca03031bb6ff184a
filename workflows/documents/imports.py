"""The problem-list import (问题清单导入) and its template: upload a sheet, see what it would
import, confirm it into a draft letter.

Split from ``views`` (downloads): the import has its own flow and grows on its own.

1. ``letter_import``: the clerk uploads the sheet. It is held privately
   (``supervision.services.held_uploads.upload_hold``, a random name, deleted by tick after
   ``JOB_FILE_HOURS``) and a signed token (the user, the letter, the held file, the year and the
   sheet; it expires with the file) carries it between the steps (held_import.py). Nothing is
   written.
2. ``letter_import_preview``: every item as understood (category, the problem printed once over
   its measures, the deadline as written and as understood, the lead and cooperating units with
   the collective names expanded), the importer's guesses highlighted, every error with its row
   and column, a summary; a sheet picker when the workbook has several sheets; a choice of lead
   for an item naming several units. The rows understood are listed even when other rows have
   errors, each error marked on its row too; the confirm button is only offered without errors.
   Still nothing is written.
3. ``letter_import_confirm``: every row is imported, or none (none while the sheet has an
   error, whatever is posted).

A sheet of more than ``uploads.INLINE_ROWS`` rows is read by the worker for the preview and
again for the import (job kinds ``problem_list_preview`` and ``problem_list_import``); the
preview page waits for its job. A page shows at most ``PAGE_ROWS`` items, with pages for the rest.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notices import jobs, wording
from notices.job_kinds import uploads
from notices.problem_list import letter_items, write_problem_list
from notices.progress import ImportProgress, new_token, valid_token
from notices.progress import import_status as import_status_of
from notices.services import letter_import_items, letter_import_preview
from notices.workbook import MAX_FILE_BYTES
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision.models import ItemCategory, ItemSource, Job, JobState, Letter
from supervision.parsing import parse_id
from supervision.selectors.jobs import job_get, job_status
from supervision.services import DomainError, NotAllowed
from supervision.services.held_uploads import is_held, upload_hold, upload_release
from supervision.services.jobs import job_request
from workflows.jobs.views import progress_text
from workflows.params import id_or_404

from .held_import import Held, _gone, _held, _preview_url, _with_preview_job
from .views import _file, _refused, _visible_letter

TEMPLATE_FILENAME = "问题清单导入模板.xlsx"
# Items on one page of a preview: a 5,000-row sheet is not one page.
PAGE_ROWS = 200
MAX_SHEET_NAME = 100


# --- the problem list: template and import ---------------------------------------------------------


@never_cache
@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """The empty template, or with ``?letter=<id>`` that letter's items in the same layout."""
    items, filename = [], TEMPLATE_FILENAME
    raw = request.GET.get("letter", "")
    if raw:
        # A download of one letter: an id that is not one is "no such letter", like one not yours.
        letter = _visible_letter(request.user, id_or_404(raw))
        items = letter_items(letter)
        filename = f"{letter.number or letter.title}{wording.ITEMS_TITLE}.xlsx".replace("/", "_")
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    write_problem_list(out, items)
    return _file(out, filename, XLSX_CONTENT_TYPE)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Problem list (.xlsx or .xls)"))
    year = forms.IntegerField(
        label=gettext_lazy("Year of dates written without one"),
        required=False,
        min_value=2000,
        max_value=2100,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _checked(request: HttpRequest, letter: Letter) -> HttpResponse | None:
    """A refusal page when the user may not import into the letter now, else None."""
    try:
        uploads.draft_check(request.user, letter)
    except NotAllowed as exc:
        return _refused(request, exc, status=403)
    except DomainError as exc:
        return _refused(request, exc)
    return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def letter_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a problem list for a draft letter; the next page shows what it would import."""
    letter = _visible_letter(request.user, pk)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    context = {"letter": letter, "form": form, "next": _safe_next(request)}
    if request.method == "GET":
        return render(request, "documents/import.html", context)
    # Asked before the file is kept: someone who may not change the letter learns that first.
    if refused := _checked(request, letter):
        return refused
    if not form.is_valid():
        return render(request, "documents/import.html", context, status=400)
    name = upload_hold(form.cleaned_data["file"])
    held = Held(request.user.pk, letter.pk, name, form.cleaned_data.get("year"))
    try:
        held = _with_preview_job(request, letter, held)
    except NotAllowed as exc:
        upload_release(name)
        return _refused(request, exc, status=403)
    except DomainError as exc:
        upload_release(name)
        return _refused(request, exc)
    return HttpResponseRedirect(_preview_url(letter, held, context["next"]))


# --- the preview ---------------------------------------------------------------------------------------


def posted_leads(post: Any) -> dict[int, list[int]]:
    """The leads the clerk chose on the preview: ``lead_<row>`` → one unit id; "" keeps the
    sheet's."""
    found: dict[int, list[int]] = {}
    for key in post:
        if not key.startswith("lead_"):
            continue
        row, unit = parse_id(key[5:]), parse_id(post.get(key))
        if row is not None and unit is not None:
            found[row] = [unit]
    return found


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _errors_by_row(data: dict[str, Any]) -> dict[int, list[str]]:
    """The preview's errors on sheet rows, as each row shows them (its row number is the row's)."""
    found: dict[int, list[str]] = {}
    # A preview stored before errors were kept by row has none to place: its list still shows them.
    for row, column, message in data.get("row_errors", ()):
        text = _("%(column)s: %(message)s") % {"column": column, "message": message} if column else message
        found.setdefault(row, []).append(text)
    return found


def _entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The sheet's rows in order: every item understood, with the errors of its rows, and a row
    of its own for each sheet row that has errors and made no item."""
    errors = _errors_by_row(data)
    entries, placed = [], set()
    for item in data["items"]:
        entries.append({**item, "errors": [e for row in item["rows"] for e in errors.get(row, ())]})
        placed.update(item["rows"])
    for row, texts in errors.items():
        if row not in placed:
            entries.append({"row": row, "rows": [row], "errors": texts, "warnings": [], "error_only": True})
    entries.sort(key=lambda entry: entry["row"])  # stable: the measures of a row keep their order
    return entries


def _rows(items: list[dict[str, Any]], chosen: dict[int, list[int]]) -> list[dict[str, Any]]:
    """The page's items with what the template shows: labels, the deadline as understood, the
    lead choice, and the problem printed once over its measures (``span`` on its first row).
    A row that made no item (it has errors) shows its errors alone and ends the problem above."""
    rows: list[dict[str, Any]] = []
    for item in items:
        if item.get("error_only"):
            rows.append({**item, "problem_no": None, "span": 1, "continued": False})
            continue
        units = item["leads"] + item["cooperating"]
        picked = chosen.get(item["row"], [])
        row = {
            **item,
            "category_label": _label(ItemCategory, item["category"]),
            "source_label": _label(ItemSource, item["source"]),
            "understood": uploads.deadline_understood(dt.date.fromisoformat(item["deadline"]), item["deadline_kind"]),
            "choices": units if len(units) > 1 else [],
            "picked": picked[0] if picked else None,
            "span": 1,
            "continued": False,
        }
        previous = rows[-1] if rows else None
        if previous is not None and item["problem_no"] is not None and item["problem_no"] == previous["problem_no"]:
            row["continued"] = True
            first = next(r for r in reversed(rows) if not r["continued"])
            first["span"] += 1
        rows.append(row)
    return rows


def _page_number(request: HttpRequest) -> int:
    return parse_id(request.POST.get("page") or request.GET.get("page")) or 1


def _render_preview(
    request: HttpRequest,
    letter: Letter,
    held: Held,
    data: dict[str, Any],
    *,
    chosen: dict[int, list[int]],
    import_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    items = _entries(data)
    flagged = [item for item in items if item["warnings"]]
    wrong = [item for item in items if item["errors"]]
    show = request.POST.get("show") or request.GET.get("show") or ""
    if show not in ("all", "flagged", "errors"):
        # A long sheet opens on the rows to fix, else on those to check; a short one shows
        # everything at once.
        long = len(items) > PAGE_ROWS
        show = "errors" if wrong and long else "flagged" if flagged and long else "all"
    listed = {"flagged": flagged, "errors": wrong}.get(show, items)
    pages = max(1, -(-len(listed) // PAGE_ROWS))
    page = min(_page_number(request), pages)
    shown = listed[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    shown_rows = {item["row"] for item in shown}
    context = {
        "letter": letter,
        "data": data,
        "token": held.token(),
        "next": _safe_next(request),
        "rows": _rows(shown, chosen),
        "show": show,
        "flagged_count": len(flagged),
        "error_rows": len(wrong),
        "row_count": len(items),
        "page": page,
        "pages": pages,
        "first": (page - 1) * PAGE_ROWS + 1 if shown else 0,
        "last": (page - 1) * PAGE_ROWS + len(shown),
        "listed_count": len(listed),
        # Choices made on other pages ride along in the form.
        "kept": [(row, ids[0]) for row, ids in sorted(chosen.items()) if row not in shown_rows],
        "import_errors": list(import_errors or ()),
        "can_confirm": data["error_count"] == 0 and data["measures"] > 0 and not import_errors,
        "progress_token": new_token(),
        "several_sheets": len(data["sheet_names"]) > 1,
    }
    return render(request, "documents/import_preview.html", context, status=status)


def _render_job(request: HttpRequest, letter: Letter, held: Held, job: Job) -> HttpResponse:
    """The preview page while the worker reads a large sheet, or when it could not."""
    return render(
        request,
        "documents/import_preview.html",
        {
            "letter": letter,
            "job": job,
            "pending": job.state in (JobState.QUEUED, JobState.RUNNING),
            "progress_text": progress_text(job_status(job)),
            "next": _safe_next(request),
            "token": held.token(),
        },
    )


def _preview_data(
    request: HttpRequest, letter: Letter, held: Held, *, fresh: bool = False
) -> dict[str, Any] | HttpResponse:
    """The preview as data, from the worker's file or read here; or the page to show instead.

    A sheet read here is read once: its preview is kept beside the upload, and page turns show
    that (``fresh``: read it again, as after an import refused because the letter changed)."""
    if held.job:
        job = job_get(request.user, held.job)
        if job is None or job.kind != jobs.PROBLEM_LIST_PREVIEW or job.params.get("held") != held.name:
            return _gone(request, letter)
        if job.state != JobState.DONE:
            return _render_job(request, letter, held, job)
        data = uploads.preview_load(job)
        return data if data is not None else _gone(request, letter)
    kept = None if fresh else uploads.inline_preview_load(held.name, held.sheet, held.year)
    if kept is not None and kept.get("letter") == letter.pk:
        return kept
    with default_storage.open(held.name, "rb") as handle:
        preview = letter_import_preview(
            actor=request.user,
            letter=letter,
            workbook_file=handle,
            sheet=held.sheet or None,
            campaign_year=held.year,
        )
    data = uploads.preview_data(preview)
    uploads.inline_preview_keep(held.name, held.sheet, held.year, data)
    return data


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def letter_import_preview_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What the upload would import, nothing written. A POST only turns a page, keeping the
    leads chosen so far."""
    letter = _visible_letter(request.user, pk)
    if refused := _checked(request, letter):
        return refused
    held = _held(request, letter, request.POST.get("t") or request.GET.get("t") or "")
    if held is None:
        return _gone(request, letter)
    try:
        data = _preview_data(request, letter, held)
    except NotAllowed as exc:
        return _refused(request, exc, status=403)
    except DomainError as exc:
        return _refused(request, exc)
    if isinstance(data, HttpResponse):
        return data
    chosen = posted_leads(request.POST) if request.method == "POST" else {}
    return _render_preview(request, letter, held, data, chosen=chosen)


@never_cache
@login_required
@require_POST
def letter_import_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """Read another sheet of the same workbook: a new preview (the leads chosen go: its rows differ)."""
    letter = _visible_letter(request.user, pk)
    if refused := _checked(request, letter):
        return refused
    held = _held(request, letter, request.POST.get("t", ""))
    if held is None:
        return _gone(request, letter)
    sheet = (request.POST.get("sheet") or "").strip()[:MAX_SHEET_NAME]
    try:
        held = _with_preview_job(request, letter, Held(held.user, held.letter, held.name, held.year, sheet))
    except NotAllowed as exc:
        return _refused(request, exc, status=403)
    except DomainError as exc:
        return _refused(request, exc)
    return HttpResponseRedirect(_preview_url(letter, held, _safe_next(request)))


@never_cache
@login_required
@require_POST
def letter_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Import every row of the previewed sheet, with the leads chosen, or none of them."""
    letter = _visible_letter(request.user, pk)
    if refused := _checked(request, letter):
        return refused
    held = _held(request, letter, request.POST.get("t", ""))
    if held is None:
        return _gone(request, letter)
    chosen = posted_leads(request.POST)
    nxt = _safe_next(request)
    if held.job:
        # Read by the worker again: the letter may have changed since the preview.
        preview_job = job_get(request.user, held.job)
        if preview_job is None or preview_job.state != JobState.DONE or not preview_job.result.get("ok"):
            return HttpResponseRedirect(_preview_url(letter, held, nxt))
        # A second click (or a second tab) does not queue the same list again: it is shown the
        # import already asked for. (Should two slip through at once, the import itself takes
        # the list once: it checks the letter's items under the letter's lock.)
        earlier = uploads.import_job_of(held.name)
        if earlier is not None:
            if earlier.state == JobState.DONE:
                messages.info(request, _("This list has already been imported into the letter."))
            else:
                messages.info(request, _("This list is already being imported: its progress is shown here."))
            return HttpResponseRedirect(reverse("jobs:detail", args=[earlier.uuid]))
        params = {
            "letter": letter.pk,
            "year": held.year,
            "sheet": held.sheet,
            "held": held.name,
            "leads": {str(row): ids for row, ids in chosen.items()},
        }
        title = _("Problem list into “%(letter)s”") % {"letter": letter.title}
        try:
            job = job_request(actor=request.user, kind=jobs.PROBLEM_LIST_IMPORT, params=params, title=title)
        except NotAllowed as exc:
            return _refused(request, exc, status=403)
        except DomainError as exc:
            return _refused(request, exc)
        return HttpResponseRedirect(reverse("jobs:detail", args=[job.uuid]))
    posted = request.POST.get("progress", "")
    try:
        with default_storage.open(held.name, "rb") as handle:
            result = letter_import_items(
                actor=request.user,
                letter=letter,
                workbook_file=handle,
                campaign_year=held.year,
                progress=ImportProgress(request.user.pk, posted) if valid_token(posted) else None,
                sheet=held.sheet or None,
                lead_overrides=chosen,
            )
    except NotAllowed as exc:
        return _refused(request, exc, status=403)
    except DomainError as exc:
        return _refused(request, exc)
    if not result.ok:
        # Shown over the preview as it reads now (the letter may have changed meanwhile).
        data = _preview_data(request, letter, held, fresh=True)
        if isinstance(data, HttpResponse):
            return data
        errors = [str(e) for e in result.errors]
        return _render_preview(request, letter, held, data, chosen=chosen, import_errors=errors, status=400)
    upload_release(held.name)
    messages.success(request, _("Imported %(n)d problems into the letter.") % {"n": len(result.items)})
    if result.added_addressees:
        messages.info(
            request,
            _("Added to the addressees: %(units)s.") % {"units": "、".join(u.name for u in result.added_addressees)},
        )
    return HttpResponseRedirect(nxt or reverse("letters:detail", args=[letter.pk]))


@never_cache
@login_required
@require_GET
def import_job_preview(request: HttpRequest, job_id: object) -> HttpResponse:
    """From a preview job's page to its preview: only for the person who uploaded the sheet."""
    job = job_get(request.user, job_id)
    if job is None or job.kind != jobs.PROBLEM_LIST_PREVIEW or job.requested_by_id != request.user.pk:
        raise Http404
    letter = _visible_letter(request.user, parse_id(job.params.get("letter")) or 0)
    name = job.params.get("held")
    if not is_held(name):
        return _gone(request, letter)
    held = Held(
        request.user.pk, letter.pk, name, parse_id(job.params.get("year")), job.params.get("sheet") or "", str(job.uuid)
    )
    return HttpResponseRedirect(_preview_url(letter, held))


@never_cache
@login_required
@require_GET
def import_status(request: HttpRequest, token: str) -> JsonResponse:
    """How far the user's own import has got: ``{phase, done, total}``; 404 when unknown."""
    status = import_status_of(request.user.pk, token)
    if status is None:
        return JsonResponse({"phase": "unknown"}, status=404)
    return JsonResponse({key: status.get(key) for key in ("phase", "done", "total", "errors")})
