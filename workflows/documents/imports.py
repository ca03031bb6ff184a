"""The problem-list import (问题清单导入) and its template: upload a sheet into a draft letter.

Split from ``views`` (downloads): the import has its own flow and grows on its own.
"""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from notices import jobs, wording
from notices.job_kinds.uploads import is_large
from notices.problem_list import letter_items, write_problem_list
from notices.progress import ImportProgress, new_token, valid_token
from notices.progress import import_status as import_status_of
from notices.services import letter_import_items
from notices.workbook import MAX_FILE_BYTES
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision.services import DomainError, NotAllowed
from workflows.params import id_or_404

from .views import _file, _refused, _visible_letter, as_job

TEMPLATE_FILENAME = "问题清单导入模板.xlsx"


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
    file = forms.FileField(label=gettext_lazy("Problem list (.xlsx)"))
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


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def letter_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a problem list into a draft letter; on errors the page lists every one of them."""
    letter = _visible_letter(request.user, pk)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    # A fresh token for each form shown; the posted one names the import the page is polling.
    posted = request.POST.get("token", "")
    context = {
        "letter": letter,
        "form": form,
        "next": _safe_next(request),
        "errors": [],
        "token": new_token(),
    }
    if request.method == "GET":
        return render(request, "documents/import.html", context)
    if not form.is_valid():
        return render(request, "documents/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    if is_large(upload):
        # Hundreds of rows: read and saved by the worker, from a private copy of the file.
        params = {"letter": letter.pk, "year": form.cleaned_data.get("year")}
        title = _("Problem list into “%(letter)s”") % {"letter": letter.title}
        return as_job(request, kind=jobs.PROBLEM_LIST_IMPORT, params=params, title=title, upload=upload)
    try:
        result = letter_import_items(
            actor=request.user,
            letter=letter,
            workbook_file=form.cleaned_data["file"],
            campaign_year=form.cleaned_data.get("year"),
            progress=ImportProgress(request.user.pk, posted) if valid_token(posted) else None,
        )
    except NotAllowed as exc:
        return _refused(request, exc, status=403)
    except DomainError as exc:
        return _refused(request, exc)
    if not result.ok:
        context["errors"] = [str(e) for e in result.errors]
        return render(request, "documents/import.html", context, status=400)
    messages.success(request, _("Imported %(n)d problems into the letter.") % {"n": len(result.items)})
    if result.added_addressees:
        messages.info(
            request,
            _("Added to the addressees: %(units)s.") % {"units": "、".join(u.name for u in result.added_addressees)},
        )
    return HttpResponseRedirect(context["next"] or reverse("letters:detail", args=[letter.pk]))


@never_cache
@login_required
@require_GET
def import_status(request: HttpRequest, token: str) -> JsonResponse:
    """How far the user's own import has got: ``{phase, done, total}``; 404 when unknown."""
    status = import_status_of(request.user.pk, token)
    if status is None:
        return JsonResponse({"phase": "unknown"}, status=404)
    return JsonResponse({key: status.get(key) for key in ("phase", "done", "total", "errors")})
