"""The unit directory import (单位通讯录导入): upload → preview → confirm → the new accounts once.

- ``upload``: the sheet is read and checked, nothing is written; the preview lists the units to
  create and those already here, the people with their roles and usernames, every warning and
  every error. Without errors it offers the confirm button, whose form carries the rows read,
  signed for this person and valid for an hour (a directory is a few hundred rows: small enough
  to travel in the form, and nothing is kept on the server between preview and confirm).
- ``confirm``: the rows are checked again (the directory here may have changed since) and
  imported all or nothing. The answer shows each new account's username and one-time password,
  once: never cached, never shown again.
- ``accounts_sheet``: the printable sheet of those accounts (one page per unit). Between the
  confirm and the download the accounts wait encrypted in the cache for at most an hour, under a
  random id, with a key that exists only in the confirm page, sent back in the body of the
  download's POST (never in a URL, so never in an access log). The server alone cannot read
  them; the first download deletes them. Rendering the PDF in the confirm itself would make the
  confirm seconds slower for every import, and putting a PDF of a few hundred pages into the page
  (a data: link) would make that page megabytes; a job file on disk would keep readable
  passwords on disk for a day.
- ``template``, ``export``: the empty sheet, and the directory as it stands in the same layout.

Only the office's clerks and directors open these pages (``may_import_directory``).
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
from dataclasses import asdict
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django import forms
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notices.contacts import ParsedDirectory, check_rows, parse_directory
from notices.contacts_layout import EXPORT_FILENAME, TEMPLATE_FILENAME
from notices.contacts_pdf import FILENAME as SHEET_FILENAME
from notices.contacts_pdf import accounts_pdf
from notices.contacts_read import SheetRows
from notices.contacts_sheet import write_directory
from notices.importer import RowError
from notices.pdf import PDF_CONTENT_TYPE
from notices.workbook import MAX_FILE_BYTES
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision.models import PeerGroup, Role, UnitKind, User
from supervision.selectors.directory import DirectoryPlan, directory_plan, directory_rows
from supervision.services import DomainError, NotAllowed
from supervision.services.onboarding import (
    NewAccount,
    Secret,
    account_one_time_password_reset,
    directory_import,
    may_import_directory,
)

# How long a preview may be confirmed, and the accounts' sheet fetched, after it was made.
PREVIEW_SECONDS = 60 * 60
SHEET_SECONDS = 60 * 60
SHEET_CACHE_KEY = "directory-accounts:{user}:{sheet}"

logger = logging.getLogger(__name__)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Unit directory (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


def _refused(request: HttpRequest, message: str, *, status: int = 403) -> HttpResponse:
    return render(request, "documents/refused.html", {"message": message}, status=status)


def _not_allowed(request: HttpRequest) -> HttpResponse | None:
    if may_import_directory(request.user):
        return None
    return _refused(request, _("Only the office's clerks and directors may import the unit directory."))


def _salt(user: User) -> str:
    # A preview signed for one person cannot be confirmed by another.
    return f"directory-import:{user.pk}"


def _labels(choices: type, value: str) -> str:
    return str(choices(value).label) if value else ""


def _preview_context(parsed: ParsedDirectory, plan: DirectoryPlan | None, user: User) -> dict[str, Any]:
    units, people, notes = [], [], []
    if plan is not None:
        for planned in plan.units:
            entry = planned.entry
            units.append(
                {
                    "row": entry.row,
                    "name": entry.name,
                    "short_name": entry.short_name,
                    "kind": _labels(UnitKind, entry.kind),
                    "peer_group": _labels(PeerGroup, entry.peer_group),
                    "parent": entry.parent,
                    "new": planned.is_new,
                }
            )
        for planned in plan.people:
            entry = planned.entry
            if planned.user is not None:
                username = planned.user.username
                status = "kept" if planned.has_role else "added"
            else:
                username = plan.accounts[planned.account or 0].username
                status = "new"
            people.append(
                {
                    "row": entry.row,
                    "unit": entry.unit,
                    "name": entry.full_name,
                    "role": _labels(Role, entry.role),
                    "title": entry.title,
                    "phone": entry.phone,
                    "username": username,
                    "status": status,
                }
            )
        notes = [str(RowError(row, "", message)) for row, message in plan.notes]
    plan_errors = [str(RowError(row, "", message)) for row, message in plan.errors] if plan is not None else []
    token = ""
    if parsed.ok and not plan_errors and parsed.rows is not None and plan is not None and not plan.changes_nothing:
        token = signing.dumps(parsed.rows.to_payload(), salt=_salt(user), compress=True)
    return {
        "errors": [str(e) for e in parsed.errors] + plan_errors,
        "warnings": [str(w) for w in parsed.warnings] + notes,
        "units": units,
        "people": people,
        "plan": plan,
        "new_units": sum(1 for u in units if u["new"]),
        "existing_units": sum(1 for u in units if not u["new"]),
        "new_accounts": len(plan.accounts) if plan is not None else 0,
        "added_roles": sum(1 for p in people if p["status"] == "added"),
        "kept_roles": sum(1 for p in people if p["status"] == "kept"),
        "token": token,
    }


def _preview(request: HttpRequest, parsed: ParsedDirectory, *, status: int = 200) -> HttpResponse:
    plan = directory_plan(parsed.entries) if parsed.rows is not None else None
    context = {"form": UploadForm(), **_preview_context(parsed, plan, request.user)}
    ok = parsed.ok and not (plan is not None and plan.errors)
    return render(request, "directory/preview.html", context, status=status if ok else 400)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """The upload form; a posted sheet is read and previewed, nothing written."""
    refused = _not_allowed(request)
    if refused is not None:
        return refused
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "GET":
        return render(request, "directory/upload.html", {"form": form})
    if not form.is_valid():
        return render(request, "directory/upload.html", {"form": form}, status=400)
    return _preview(request, parse_directory(form.cleaned_data["file"]))


def _keep_accounts(user: User, accounts: list[NewAccount]) -> tuple[str, str]:
    """Encrypt the accounts for the sheet's download: (id, key); the key is not kept here."""
    key = Fernet.generate_key()
    sheet = secrets.token_urlsafe(16)
    plain = json.dumps([asdict(a) for a in accounts], ensure_ascii=False).encode()
    cache.set(SHEET_CACHE_KEY.format(user=user.pk, sheet=sheet), Fernet(key).encrypt(plain), SHEET_SECONDS)
    return sheet, key.decode()


def _take_accounts(user: User, sheet: str, key: str) -> list[NewAccount] | None:
    """The accounts kept for ``user`` under ``sheet``, decrypted with ``key``; None when gone."""
    if not sheet or not key or len(sheet) > 64:
        return None
    stored = cache.get(SHEET_CACHE_KEY.format(user=user.pk, sheet=sheet))
    if stored is None:
        return None
    try:
        data = json.loads(Fernet(key.encode()).decrypt(stored, ttl=SHEET_SECONDS))
    except (InvalidToken, ValueError, TypeError):
        return None
    return [
        NewAccount(**{**a, "password": Secret(a["password"]), "roles": tuple(tuple(r) for r in a["roles"])})
        for a in data
    ]


@sensitive_variables("result", "accounts", "context", "key")
@never_cache
@login_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    """Import what the preview showed (checked again); the new accounts' passwords, once."""
    refused = _not_allowed(request)
    if refused is not None:
        return refused
    try:
        payload = signing.loads(request.POST.get("rows", ""), salt=_salt(request.user), max_age=PREVIEW_SECONDS)
    except signing.BadSignature:
        payload = None
    rows = SheetRows.from_payload(payload) if payload is not None else None
    if rows is None:
        return _refused(
            request,
            _("This preview has expired or is not yours: upload the directory again to see a new one."),
            status=400,
        )
    parsed = check_rows(rows)
    if not parsed.ok:
        return _preview(request, parsed)
    try:
        result = directory_import(actor=request.user, parsed=parsed)
    except NotAllowed as exc:
        return _refused(request, exc.message)
    except DomainError as exc:
        return _refused(request, exc.message, status=400)
    sheet, key, sheet_lost = "", "", False
    if result.accounts:
        # The import is committed: a cache that fails now (Redis down) must not turn the only page
        # showing the passwords into an error. The page shows them without the sheet's download.
        try:
            sheet, key = _keep_accounts(request.user, result.accounts)
        except Exception as exc:  # noqa: BLE001 - any cache backend's failure; the payload is never logged
            logger.warning(
                "The accounts' sheet of a directory import (%d accounts) could not be kept: the cache failed (%s).",
                len(result.accounts),
                type(exc).__name__,
            )
            sheet_lost = True
    accounts = [
        {
            "username": a.username,
            "password": a.password,
            "name": a.full_name,
            "roles": [(unit, _labels(Role, role)) for unit, role in a.roles],
        }
        for a in result.accounts
    ]
    context = {
        "result": result,
        "accounts": accounts,
        "sheet": sheet,
        "key": key,
        "sheet_lost": sheet_lost,
        "minutes": SHEET_SECONDS // 60,
    }
    return render(request, "directory/done.html", context)


@sensitive_post_parameters("key")
@sensitive_variables("accounts", "pdf")
@never_cache
@login_required
@require_POST
def accounts_sheet(request: HttpRequest) -> HttpResponse:
    """The printable sheet of the accounts just made: once, within the hour, by whoever made them."""
    refused = _not_allowed(request)
    if refused is not None:
        return refused
    sheet = request.POST.get("sheet", "")
    accounts = _take_accounts(request.user, sheet, request.POST.get("key", ""))
    if accounts is None:
        return _refused(
            request,
            _(
                "The accounts' sheet is no longer available: it can be downloaded once, within an hour of the "
                "import. The passwords are not kept; reset a password under master data if one is lost."
            ),
            status=410,
        )
    pdf = accounts_pdf(accounts)
    # Downloaded: the encrypted accounts go.
    cache.delete(SHEET_CACHE_KEY.format(user=request.user.pk, sheet=sheet))
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    response.headers["Content-Disposition"] = content_disposition_header(True, SHEET_FILENAME)
    return response


@sensitive_variables("password")
@never_cache
@login_required
@require_POST
def reset_password(request: HttpRequest) -> HttpResponse:
    """A new one-time password for a unit's account, named by its username: shown once."""
    refused = _not_allowed(request)
    if refused is not None:
        return refused
    username = request.POST.get("username", "").strip()
    user = User.objects.filter(username=username).first() if username else None
    if user is None:
        message = _("There is no account called %(username)s.") % {"username": username[:150]}
        return _refused(request, message, status=400)
    try:
        password = account_one_time_password_reset(actor=request.user, user=user)
    except NotAllowed as exc:
        return _refused(request, exc.message)
    except DomainError as exc:
        return _refused(request, exc.message, status=400)
    return render(request, "directory/password_reset.html", {"account": user, "password": password})


def _xlsx(rows: list, filename: str) -> FileResponse:
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    write_directory(out, rows)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


@never_cache
@login_required
@require_GET
def template(request: HttpRequest) -> HttpResponse:
    refused = _not_allowed(request)
    return refused or _xlsx([], TEMPLATE_FILENAME)


@never_cache
@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The directory as it stands (active units, their liaisons and leaders), in the template's
    layout: edited and imported again, it creates only what was added."""
    refused = _not_allowed(request)
    return refused or _xlsx(directory_rows(), EXPORT_FILENAME)
