"""Keeping what was issued (存档): the PDF of a letter as it was issued, and of a notice as it was
published, rendered once, stored with its SHA-256 and served from then on.

Issuing a letter (``letter_issue``) or publishing a notice (``notice_publish``) only asks for the
document: ``issued_document_after_commit`` hands a task to the worker once the transaction has
committed (supervision/jobs_tasks.py), so no issue waits for a render. The task calls
``issued_document_ensure``, as does the first download when the worker is behind and ``tick`` for
an issue whose hand-over was lost (``issued_documents_requeue``). Whoever comes first stores it:

- the document is rendered outside any lock (0.2 s for a letter, 3 s for a notice; on SQLite a
  write transaction would hold up every writer meanwhile); then, under the letter's or notice's
  row lock, it is looked for again, and only if still missing is the file written (whole or not
  at all, ``storage.content_store``), its ``IssuedDocument`` row and its audit row
  (``letter.document_stored`` / ``notice.document_stored``, with the version, SHA-256, size and
  the issue's timestamp) written, in one transaction. Two callers at once may both render; one
  stores, the other finds it stored.
- A document belongs to one issue: the audit row records the issue's timestamp (``issued_at`` /
  ``published_at``). When the letter's issue timestamp differs from the last stored version's, the
  current issue has no document yet and the next one is stored as a new version (reason
  "reissued" for a letter, "corrected" for a notice); the earlier versions stay. Today no flow
  issues a letter again or republishes a notice (a withdrawn letter stays withdrawn; closing and
  reopening a letter does not change it), so every document is version 1 — the rule is there for
  when one does.

What is stored is the document as it went out: a letter withdrawn before its document was stored
is still rendered as issued, without the "withdrawn" stamp a fresh render of it carries.

The rendering belongs to the ``notices`` package, which the domain does not import: it registers
its two renderers here when it is loaded (``issued_renderers_register``), as it registers its
kinds of background job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from supervision import clock
from supervision.models import (
    AuditEvent,
    DocumentReason,
    IssuedDocument,
    Letter,
    LetterState,
    Notice,
    NoticeState,
)

from .audit import audit_record
from .storage import content_store

logger = logging.getLogger(__name__)

LETTER_STORED = "letter.document_stored"
NOTICE_STORED = "notice.document_stored"
STORED_ACTIONS = (LETTER_STORED, NOTICE_STORED)
# A letter in these states has gone out: its issue is what the document keeps.
LETTER_WENT_OUT = (LetterState.ISSUED, LetterState.CLOSED, LetterState.WITHDRAWN)
# An issue older than this without its document lost its hand-over (the on_commit callback ran
# long before): tick queues it again.
REQUEUE_AFTER = dt.timedelta(minutes=1)
# At most this many documents queued again by one tick: a backlog is worked off a minute at a time.
REQUEUE_LIMIT = 200

Renderer = Callable[[Any], bytes]
_RENDERERS: dict[str, Renderer] = {}


def issued_renderers_register(*, letter: Callable[[Letter], bytes], notice: Callable[[Notice], bytes]) -> None:
    """The ``notices`` package's renderers of a letter as issued and a notice as published."""
    _RENDERERS["letter"] = letter
    _RENDERERS["notice"] = notice


def _render(owner: Letter | Notice) -> bytes:
    kind = "letter" if isinstance(owner, Letter) else "notice"
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        raise RuntimeError(f"no renderer of issued {kind}s is registered (is the notices app installed?)")
    return renderer(owner)


# --- which issue, which document --------------------------------------------------------------------


def _owner(letter: Letter | int | None, notice: Notice | int | None) -> Letter | Notice | None:
    """The letter or notice: an instance as given (the caller has just read it, as a download
    has), an id read (a task holds only the id). Whatever is stored is decided again under the
    row's lock, from the row as it is then."""
    if (letter is None) == (notice is None):
        raise TypeError("name a letter or a notice")
    if isinstance(letter, Letter) or isinstance(notice, Notice):
        return letter if letter is not None else notice
    if letter is not None:
        return Letter.objects.filter(pk=letter).first()
    return Notice.objects.select_related("cycle").filter(pk=notice).first()


def _lock(owner: Letter | Notice) -> Letter | Notice:
    # NO KEY UPDATE, as their writers take it: the audit row written below does not need more.
    if isinstance(owner, Letter):
        return Letter.objects.select_for_update(no_key=True).get(pk=owner.pk)
    return Notice.objects.select_for_update(no_key=True).select_related("cycle").get(pk=owner.pk)


def issue_stamp(owner: Letter | Notice) -> dt.datetime | None:
    """When the current issue went out; None while it has not (a draft, a signed letter)."""
    if isinstance(owner, Letter):
        return owner.issued_at if owner.state in LETTER_WENT_OUT else None
    return owner.published_at if owner.state == NoticeState.PUBLISHED else None


def _documents(owner: Letter | Notice) -> QuerySet[IssuedDocument]:
    if isinstance(owner, Letter):
        return IssuedDocument.objects.filter(letter_id=owner.pk)
    return IssuedDocument.objects.filter(notice_id=owner.pk)


def _stored_events(owner: Letter | Notice) -> QuerySet[AuditEvent]:
    # A notice's audit rows name it in their data (audit rows have no notice column).
    if isinstance(owner, Letter):
        return AuditEvent.objects.filter(letter_id=owner.pk, action=LETTER_STORED)
    return AuditEvent.objects.filter(action=NOTICE_STORED, data__notice=owner.pk)


def _stamp_key(owner: Letter | Notice) -> str:
    return "issued_at" if isinstance(owner, Letter) else "published_at"


def _same_moment(recorded: Any, stamp: dt.datetime) -> bool:
    try:
        return dt.datetime.fromisoformat(recorded) == stamp
    except (TypeError, ValueError):
        return False


def _current(owner: Letter | Notice, stamp: dt.datetime) -> IssuedDocument | None:
    """The stored document of the issue that went out at ``stamp``: the latest version, if the
    latest audit row of a document kept records that version and that issue."""
    if isinstance(owner, Letter):
        # One query on every download of a letter: the latest version with the latest such audit
        # row of the letter beside it (audit rows have a letter column, indexed with their time).
        recorded = _stored_events(owner).order_by("-id").values("data")[:1]
        latest = _documents(owner).annotate(recorded=Subquery(recorded)).order_by("-version").first()
        data = latest.recorded if latest is not None else None
    else:
        latest = _documents(owner).order_by("-version").first()
        event = _stored_events(owner).order_by("-id").first() if latest is not None else None
        data = event.data if event is not None else None
    if latest is None or not isinstance(data, dict) or data.get("version") != latest.version:
        return None
    return latest if _same_moment(data.get(_stamp_key(owner)), stamp) else None


def issued_document_current(
    *, letter: Letter | int | None = None, notice: Notice | int | None = None
) -> IssuedDocument | None:
    """The stored document of the letter's or notice's current issue, or None (not issued, or
    not stored yet). Reads only: a download that must not render asks this."""
    owner = _owner(letter, notice)
    stamp = issue_stamp(owner) if owner is not None else None
    return _current(owner, stamp) if stamp is not None else None


def issued_document_version(
    *, letter: Letter | None = None, notice: Notice | None = None, version: Any
) -> IssuedDocument | None:
    """One stored version of the letter or notice (the caller has checked who may see it), or None."""
    try:
        number = int(version)
    except (TypeError, ValueError):
        return None
    if number < 1:
        return None
    owner = letter if letter is not None else notice
    return _documents(owner).filter(version=number).first()


# --- storing --------------------------------------------------------------------------------------


def _issuer_id(owner: Letter | Notice) -> int | None:
    """Who issued or published it (the document's ``created_by``), from that step's audit row."""
    if isinstance(owner, Letter):
        events = AuditEvent.objects.filter(letter_id=owner.pk, action="letter.issued")
    else:
        events = AuditEvent.objects.filter(action="notice.published", data__notice=owner.pk)
    return events.order_by("-id").values_list("actor_id", flat=True).first()


def _store(owner: Letter | Notice, stamp: dt.datetime, pdf: bytes) -> IssuedDocument:
    """Write the file, its row and its audit row. Call under the owner's lock."""
    is_letter = isinstance(owner, Letter)
    last = _documents(owner).order_by("-version").values_list("version", flat=True).first() or 0
    if last == 0:
        reason = DocumentReason.ISSUED if is_letter else DocumentReason.PUBLISHED
    else:
        reason = DocumentReason.REISSUED if is_letter else DocumentReason.CORRECTED
    sha256, size = hashlib.sha256(pdf).hexdigest(), len(pdf)
    document = IssuedDocument(
        letter=owner if is_letter else None,
        notice=None if is_letter else owner,
        version=last + 1,
        reason=reason,
        sha256=sha256,
        size=size,
        created_at=clock.now(),
        created_by_id=_issuer_id(owner),
    )
    name = IssuedDocument._meta.get_field("file").generate_filename(document, "")
    # The file before the row: a row that commits always finds its file (backups rely on it). A
    # transaction that then fails leaves a file no row names, which verify_documents lists.
    content_store(storage=default_storage, name=name, upload=ContentFile(pdf), sha256=sha256, size=size)
    document.file.name = name
    document.save(force_insert=True)
    data = {
        "document": document.pk,
        "version": document.version,
        "reason": reason.value,
        "sha256": sha256,
        "size": size,
        _stamp_key(owner): stamp.isoformat(),
    }
    if not is_letter:
        data = {"notice": owner.pk, "cycle": owner.cycle.number, **data}
    audit_record(
        unit_id=owner.office_id,
        action=LETTER_STORED if is_letter else NOTICE_STORED,
        letter=owner if is_letter else None,
        data=data,
        at=document.created_at,
    )
    return document


@dataclass(frozen=True)
class Ensured:
    document: IssuedDocument | None
    stored: bool  # written by this call (False: found stored, or nothing to store)


def issued_document_store(*, letter: Letter | int | None = None, notice: Notice | int | None = None) -> Ensured:
    """``issued_document_ensure``, also saying whether this call stored it (for the task's log)."""
    owner = _owner(letter, notice)
    stamp = issue_stamp(owner) if owner is not None else None
    if stamp is None:
        return Ensured(None, False)
    found = _current(owner, stamp)
    if found is not None:
        return Ensured(found, False)
    pdf = _render(owner)
    with transaction.atomic():
        owner = _lock(owner)
        now_stamp = issue_stamp(owner)
        if now_stamp is None:
            return Ensured(None, False)
        found = _current(owner, now_stamp)
        if found is not None:
            return Ensured(found, False)
        if now_stamp != stamp:
            pdf = _render(owner)  # issued again while it was rendered: render that issue
        return Ensured(_store(owner, now_stamp, pdf), True)


def issued_document_ensure(
    *, letter: Letter | int | None = None, notice: Notice | int | None = None
) -> IssuedDocument | None:
    """The stored document of the current issue of ``letter`` or ``notice`` (an instance just
    read, or an id), rendered and stored first if it is not stored yet. None for one that has
    not gone out (nothing is stored for a draft). Idempotent: a second call stores nothing.
    Raises OSError when the storage fails (nothing is then recorded)."""
    return issued_document_store(letter=letter, notice=notice).document


def issued_document_read(document: IssuedDocument) -> bytes | None:
    """The stored bytes, if the file is there and matches its row; else None, logged as an error
    (``manage.py verify_documents`` tells more): the caller then renders afresh."""
    try:
        with default_storage.open(document.file.name, "rb") as fh:
            data = fh.read()
    except OSError:
        logger.error("Issued document %s: file %s is missing or unreadable.", document.pk, document.file.name)
        return None
    if len(data) != document.size or hashlib.sha256(data).hexdigest() != document.sha256:
        logger.error("Issued document %s: file %s does not match its SHA-256.", document.pk, document.file.name)
        return None
    return data


# --- handing it to the worker ------------------------------------------------------------------------


def issued_document_enqueue(*, letter_id: int | None = None, notice_id: int | None = None) -> None:
    # Imported here: the task module imports this one.
    from supervision.jobs_tasks import issued_document_task

    issued_document_task.enqueue(letter_id=letter_id, notice_id=notice_id)


def issued_document_after_commit(*, letter: Letter | None = None, notice: Notice | None = None) -> None:
    """Inside the issue's or publication's transaction: once it commits, the worker stores the
    document. A queue that refuses is logged (robust); tick queues it again a minute later."""
    letter_id = letter.pk if letter is not None else None
    notice_id = notice.pk if notice is not None else None

    def _issued_document_enqueue() -> None:
        issued_document_enqueue(letter_id=letter_id, notice_id=notice_id)

    transaction.on_commit(_issued_document_enqueue, robust=True)


def _queue_behind(before: dt.datetime) -> bool:
    """Whether a task of ours has waited in the queue since before ``before``: the worker is
    behind (or stopped), and what it has not reached yet is not lost."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from supervision.jobs_tasks import issued_document_task

    if not isinstance(issued_document_task.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        status="READY", task_path=issued_document_task.module_path, enqueued_at__lt=before
    ).exists()


def issued_documents_missing(*, before: dt.datetime, limit: int = REQUEUE_LIMIT) -> tuple[list[int], list[int]]:
    """(letter ids, notice ids) that went out before ``before`` and have no stored document."""
    letters = (
        Letter.objects.filter(state__in=LETTER_WENT_OUT, issued_at__lt=before)
        .exclude(Exists(IssuedDocument.objects.filter(letter=OuterRef("pk"))))
        .order_by("issued_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    notices = (
        Notice.objects.filter(state=NoticeState.PUBLISHED, published_at__lt=before)
        .exclude(Exists(IssuedDocument.objects.filter(notice=OuterRef("pk"))))
        .order_by("published_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return list(letters), list(notices)


def issued_documents_requeue(*, now: dt.datetime | None = None) -> int:
    """From ``tick``: queue again every issue of over a minute ago whose document is not stored
    (a lost hand-over, a failed run), unless the worker is behind anyway. Returns how many."""
    now = now or clock.now()
    # The queue stamps its rows with the wall clock; the issues are stamped by the office's.
    if _queue_behind(timezone.now() - REQUEUE_AFTER):
        return 0
    letters, notices = issued_documents_missing(before=now - REQUEUE_AFTER)
    queued = 0
    for kwargs in [{"letter_id": pk} for pk in letters] + [{"notice_id": pk} for pk in notices]:
        try:
            issued_document_enqueue(**kwargs)
        except Exception:  # a queue that refuses: the next tick tries again
            logger.exception("Could not queue the issued document of %s.", kwargs)
            break
        queued += 1
    return queued
