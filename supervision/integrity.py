"""The invariants an auditor checks, read straight from the database (``manage.py check_integrity``).

Each check yields one ``Violation`` per broken row or group and writes nothing. The audit checks
are single SQL statements with window functions (LAG / ROW_NUMBER over each assignment's audit
rows in id order), so a million audit rows are compared inside the database, not in Python. Only
the stored-file check reads outside the database: each distinct file once, in blocks.

What holds in a sound database:

* the audit chain of every assignment is continuous: its first state-bearing row is the issue
  (from nothing to ``issued``), each row starts where the previous one ended, and the last ends in
  the assignment's current state;
* every change of an assignment row has exactly one audit row: its ``version`` (bumped by each
  transition, never by anything else) equals the number of its audit rows that record a change;
* letter numbers per prefix and year are 1..n without gap or duplicate, each formatted from its
  prefix, year and serial, and the counter stands at the highest;
* drafts (and letters awaiting signature or signed but not yet issued) have no assignments and no
  number; a closed letter has only closed assignments (or dead ones: reassigned, withdrawn);
* a task with sub-tasks is marked as having some, an item with a cooperating unit's task as
  having one (the flags the transitions read instead of counting);
* every stored file (evidence, letter attachments) exists at its content-addressed name with the
  size and SHA-256 its row records;
* every document kept as issued (``IssuedDocument``) exists under its name with its recorded size
  and SHA-256, and exactly one audit row records it with the same version, size and SHA-256
  (``manage.py verify_documents`` runs this check alone, with a count of intact documents).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import Storage, default_storage
from django.db import connection

from supervision.models import (
    Assignment,
    AuditEvent,
    Evidence,
    IssuedDocument,
    Item,
    Letter,
    LetterAttachment,
    LetterNumberCounter,
    LetterPrefix,
)
from supervision.services.issued_documents import LETTER_STORED, STORED_ACTIONS
from supervision.services.storage import FILE_MODELS, content_name, stored_digest

# Audit actions of an assignment that record a state (from/to) without changing the row's
# version: the issue creates the row at version 0; extension steps other than the approval leave
# the assignment alone; tick's overdue finding is an observation. Every other state-bearing
# action is a transition that bumps the version once.
NO_VERSION_BUMP = (
    "assignment.issued",
    # A sub-task is born issued (分解/转办), as an issued letter's tasks are.
    "assignment.handed_down",
    "assignment.overdue",
    "extension.requested",
    "extension.signed",
    "extension.refused",
    "extension.rejected",
)
# How a file's row is named in a violation.
_FILE_LABELS = {Evidence: "evidence", LetterAttachment: "attachment"}


@dataclass(frozen=True)
class Violation:
    kind: str  # a short code, e.g. "audit_chain"
    message: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.message}"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(model) -> str:
    return _q(model._meta.db_table)


def _c(model, field: str) -> str:
    return _q(model._meta.get_field(field).column)


def _rows(sql: str, params: Iterable = ()) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while batch := cursor.fetchmany(2000):
            yield from batch


# --- the audit trail -----------------------------------------------------------------------------


def _state_rows_sql(order: str) -> str:
    """Each assignment's state-bearing audit rows, numbered and with the previous row's to-state."""
    e = AuditEvent
    asg, frm, to = _c(e, "assignment"), _c(e, "from_state"), _c(e, "to_state")
    return (
        f"SELECT {_q('id')} AS id, {asg} AS asg, {_c(e, 'action')} AS action, {frm} AS frm, {to} AS tos,"
        f" LAG({to}) OVER (PARTITION BY {asg} ORDER BY {_q('id')}) AS prev_to,"
        f" ROW_NUMBER() OVER (PARTITION BY {asg} ORDER BY {_q('id')} {order}) AS rn"
        f" FROM {_t(e)} WHERE {asg} IS NOT NULL AND {to} <> ''"
    )


def audit_chain() -> Iterator[Violation]:
    """Each row starts where the previous one ended; the first is the issue."""
    sql = (
        f"SELECT id, asg, action, frm, tos, prev_to, rn FROM ({_state_rows_sql('ASC')}) chain"
        " WHERE (rn = 1 AND (frm <> '' OR tos <> %s)) OR (rn > 1 AND frm <> prev_to)"
        " ORDER BY asg, id"
    )
    for event_id, asg, action, frm, tos, prev_to, rn in _rows(sql, ["issued"]):
        if rn == 1:
            yield Violation(
                "audit_chain",
                f"assignment {asg}: its first audit row {event_id} ({action}) goes {frm or '∅'} → {tos};"
                " the chain must start with the issue, ∅ → issued",
            )
        else:
            yield Violation(
                "audit_chain",
                f"assignment {asg}: audit row {event_id} ({action}) starts from {frm or '∅'}"
                f" but the previous row ended in {prev_to}",
            )


def audit_current_state() -> Iterator[Violation]:
    """The last state-bearing row ends in the assignment's state; no assignment lacks a trail."""
    a = Assignment
    sql = (
        f"SELECT A.{_q('id')}, A.{_c(a, 'state')}, last.tos, last.id FROM {_t(a)} A"
        f" LEFT JOIN ({_state_rows_sql('DESC')}) last ON last.asg = A.{_q('id')} AND last.rn = 1"
        f" WHERE last.tos IS NULL OR last.tos <> A.{_c(a, 'state')} ORDER BY A.{_q('id')}"
    )
    # ROW_NUMBER() ... DESC numbers from the latest row; LAG is not used here.
    for pk, state, last_to, event_id in _rows(sql):
        if last_to is None:
            yield Violation("audit_missing", f"assignment {pk} ({state}) has no audit row at all")
        else:
            yield Violation(
                "audit_current",
                f"assignment {pk} is {state} but its last audit row {event_id} ends in {last_to}",
            )


def audit_one_row_per_change() -> Iterator[Violation]:
    """The version counts the row's changes; each one has exactly one audit row."""
    a, e = Assignment, AuditEvent
    marks = ", ".join(["%s"] * len(NO_VERSION_BUMP))
    sql = (
        f"SELECT A.{_q('id')}, A.{_c(a, 'version')}, COALESCE(n.changes, 0) FROM {_t(a)} A LEFT JOIN"
        f" (SELECT {_c(e, 'assignment')} AS asg, COUNT(*) AS changes FROM {_t(e)}"
        f" WHERE {_c(e, 'assignment')} IS NOT NULL AND {_c(e, 'to_state')} <> ''"
        f" AND {_c(e, 'action')} NOT IN ({marks}) GROUP BY {_c(e, 'assignment')}) n"
        f" ON n.asg = A.{_q('id')} WHERE A.{_c(a, 'version')} <> COALESCE(n.changes, 0) ORDER BY A.{_q('id')}"
    )
    for pk, version, changes in _rows(sql, NO_VERSION_BUMP):
        yield Violation(
            "audit_count",
            f"assignment {pk} changed {version} times (its version) but has {changes} audit rows recording a change",
        )


# --- letters -------------------------------------------------------------------------------------


def letter_numbers() -> Iterator[Violation]:
    """Per prefix and year: serials 1..n, no gap, no duplicate; the counter at the highest."""
    lt, p = Letter, LetterPrefix
    sql = (
        f"SELECT {_c(lt, 'prefix')}, {_c(lt, 'year')}, COUNT(*), COUNT(DISTINCT {_c(lt, 'serial')}),"
        f" MIN({_c(lt, 'serial')}), MAX({_c(lt, 'serial')}) FROM {_t(lt)}"
        f" WHERE {_c(lt, 'serial')} IS NOT NULL GROUP BY {_c(lt, 'prefix')}, {_c(lt, 'year')}"
    )
    prefixes = dict(LetterPrefix.objects.values_list("pk", "prefix"))
    seen: dict[tuple[int, int], int] = {}
    for prefix_id, year, n, distinct, low, high in _rows(sql):
        seen[(prefix_id, year)] = high
        name = f"{prefixes.get(prefix_id, prefix_id)}〔{year}〕"
        if distinct != n:
            yield Violation("letter_numbers", f"{name}: {n - distinct} serial(s) given to more than one letter")
        if low != 1 or high != distinct:
            yield Violation(
                "letter_numbers",
                f"{name}: {distinct} distinct serials run {low}..{high}, not 1..{distinct}: a gap in the numbers",
            )
    counters = {
        (pf, yr): last for pf, yr, last in LetterNumberCounter.objects.values_list("prefix", "year", "last_number")
    }
    for key in sorted(set(seen) | set(counters)):
        high, last = seen.get(key, 0), counters.get(key)
        name = f"{prefixes.get(key[0], key[0])}〔{key[1]}〕"
        if last is None:
            yield Violation("letter_counter", f"{name}: letters numbered up to {high} but no counter row")
        elif last != high:
            yield Violation("letter_counter", f"{name}: the counter stands at {last}, the highest number is {high}")
    # The number as printed matches prefix, year and serial (the 文号 format, no zero padding).
    formatted = (
        f"P.{_c(p, 'prefix')} || '〔' || CAST(L.{_c(lt, 'year')} AS TEXT) || '〕'"
        f" || CAST(L.{_c(lt, 'serial')} AS TEXT) || '号'"
    )
    sql = (
        f"SELECT L.{_q('id')}, L.{_c(lt, 'number')}, {formatted} FROM {_t(lt)} L"
        f" INNER JOIN {_t(p)} P ON P.{_q('id')} = L.{_c(lt, 'prefix')}"
        f" WHERE (L.{_c(lt, 'serial')} IS NULL) <> (L.{_c(lt, 'number')} IS NULL)"
        f" OR L.{_c(lt, 'number')} <> {formatted} ORDER BY L.{_q('id')}"
    )
    for pk, number, expected in _rows(sql):
        yield Violation("letter_number_text", f"letter {pk} is numbered {number!r}, expected {expected!r}")


# The states of a letter that has not gone out: no number, no assignments.
UNISSUED = "('draft', 'pending_signature', 'signed')"


def letter_states() -> Iterator[Violation]:
    """Drafts have no assignments and no number; a closed letter only closed or dead assignments."""
    lt, a = Letter, Assignment
    sql = (
        f"SELECT L.{_q('id')}, L.{_c(lt, 'state')}, COUNT(A.{_q('id')}) FROM {_t(lt)} L"
        f" INNER JOIN {_t(a)} A ON A.{_c(a, 'letter')} = L.{_q('id')}"
        f" WHERE L.{_c(lt, 'state')} IN {UNISSUED} GROUP BY L.{_q('id')}, L.{_c(lt, 'state')}"
        f" ORDER BY L.{_q('id')}"
    )
    for pk, state, n in _rows(sql):
        yield Violation("draft_assignments", f"letter {pk} is {state} (not issued) but has {n} assignment(s)")
    sql = (
        f"SELECT {_q('id')}, {_c(lt, 'state')}, {_c(lt, 'number')} FROM {_t(lt)}"
        f" WHERE {_c(lt, 'state')} IN {UNISSUED} AND {_c(lt, 'number')} IS NOT NULL ORDER BY {_q('id')}"
    )
    for pk, state, number in _rows(sql):
        yield Violation("draft_number", f"letter {pk} is {state} but already numbered {number}")
    sql = (
        f"SELECT L.{_q('id')}, COUNT(A.{_q('id')}) FROM {_t(lt)} L"
        f" INNER JOIN {_t(a)} A ON A.{_c(a, 'letter')} = L.{_q('id')}"
        f" WHERE L.{_c(lt, 'state')} = 'closed'"
        f" AND A.{_c(a, 'state')} NOT IN ('closed', 'reassigned', 'withdrawn')"
        f" GROUP BY L.{_q('id')} ORDER BY L.{_q('id')}"
    )
    for pk, n in _rows(sql):
        yield Violation("closed_letter", f"letter {pk} is closed but {n} of its assignment(s) are not")


# --- flags kept beside the rows they summarise ----------------------------------------------------


def derived_flags() -> Iterator[Violation]:
    """The flags the transitions read instead of counting rows: a task with sub-tasks says it has
    some (``has_sub_tasks``), an item with a cooperating unit's task says so (``has_cooperating``).
    A flag off where the rows exist would let a completion past open sub-tasks, or a write-off
    leave cooperating tasks open."""
    a, item = Assignment, Item
    sql = (
        f"SELECT P.{_q('id')} FROM {_t(a)} P WHERE P.{_c(a, 'has_sub_tasks')} = %s AND EXISTS"
        f" (SELECT 1 FROM {_t(a)} C WHERE C.{_c(a, 'parent')} = P.{_q('id')}) ORDER BY P.{_q('id')}"
    )
    for (pk,) in _rows(sql, [False]):
        yield Violation("sub_task_flag", f"assignment {pk} has sub-tasks but is not marked as having any")
    sql = (
        f"SELECT I.{_q('id')} FROM {_t(item)} I WHERE I.{_c(item, 'has_cooperating')} = %s AND EXISTS"
        f" (SELECT 1 FROM {_t(a)} A WHERE A.{_c(a, 'item')} = I.{_q('id')} AND A.{_c(a, 'role')} = %s)"
        f" ORDER BY I.{_q('id')}"
    )
    for (pk,) in _rows(sql, [False, "cooperating"]):
        yield Violation("cooperating_flag", f"item {pk} has a cooperating unit's task but is not marked as having one")


# --- stored files --------------------------------------------------------------------------------


def stored_files(storage: Storage | None = None, *, hashes: bool = True) -> Iterator[Violation]:
    """Each row's file exists under its content-addressed name with its recorded size and hash.
    Rows sharing a file (the same content uploaded twice) cost one read."""
    storage = storage or default_storage
    read: dict[str, tuple[int, str] | None] = {}
    for model in FILE_MODELS:
        label = _FILE_LABELS.get(model, model._meta.model_name)
        rows = model.objects.order_by("pk").values_list("pk", "file", "size", "sha256").iterator(chunk_size=2000)
        for pk, name, size, sha in rows:
            expected = content_name(model, sha)
            if name != expected:
                yield Violation("file_name", f"{label} {pk}: stored as {name!r}, its checksum names {expected!r}")
            if name not in read:
                try:
                    if hashes:
                        read[name] = stored_digest(storage, name)
                    else:
                        read[name] = (storage.size(name), "") if storage.exists(name) else None
                except (FileNotFoundError, OSError):
                    read[name] = None
            found = read[name]
            if found is None:
                yield Violation("file_missing", f"{label} {pk}: file {name!r} is missing or unreadable")
                continue
            actual, digest = found
            if actual != size:
                yield Violation("file_size", f"{label} {pk}: file {name!r} has {actual} bytes, the row says {size}")
            elif hashes and digest != sha:
                yield Violation("file_hash", f"{label} {pk}: file {name!r} has SHA-256 {digest}, the row says {sha}")


# --- documents kept as issued ----------------------------------------------------------------------

# Where an issued document's file must be: its model's own upload_to, so the rule is written once.
_ISSUED_FILE = IssuedDocument._meta.get_field("file")
# The fields of the audit row that must say what the document row says.
_RECORDED = ("version", "sha256", "size")


def _document_label(pk: int, letter_id: int | None, notice_id: int | None, version: int) -> str:
    owner = f"letter {letter_id}" if letter_id is not None else f"notice {notice_id}"
    return f"document {pk} ({owner} v{version})"


def _stored_events() -> dict[Any, list[tuple[int, str, int | None, dict]]]:
    """The audit rows that recorded a document being kept, by the document id they name."""
    found: dict[Any, list[tuple[int, str, int | None, dict]]] = {}
    rows = AuditEvent.objects.filter(action__in=STORED_ACTIONS).order_by("pk")
    for pk, action, letter_id, data in rows.values_list("pk", "action", "letter_id", "data").iterator(chunk_size=2000):
        data = data if isinstance(data, dict) else {}
        found.setdefault(data.get("document"), []).append((pk, action, letter_id, data))
    return found


def _audit_disagreement(event: tuple[int, str, int | None, dict], row: dict[str, Any]) -> str:
    """What the audit row says otherwise than the document row ("" when they agree)."""
    event_id, action, letter_id, data = event
    if row["letter_id"] is not None:
        owner_ok = action == LETTER_STORED and letter_id == row["letter_id"]
    else:
        owner_ok = action != LETTER_STORED and data.get("notice") == row["notice_id"]
    wrong = [] if owner_ok else ["owner"]
    wrong += [f for f in _RECORDED if data.get(f) != row[f]]
    if not wrong:
        return ""
    said = ", ".join(f"{f} {data.get(f)!r} (row: {row[f]!r})" for f in wrong if f != "owner")
    if "owner" in wrong:
        said = ", ".join(filter(None, ["another letter or notice", said]))
    return f"audit row {event_id} records {said}"


def issued_document_findings(
    storage: Storage | None = None, *, hashes: bool = True
) -> Iterator[tuple[int | None, Violation]]:
    """(document id, violation) for each problem of the documents kept as issued: a file missing,
    of another size or SHA-256 than its row records, not where its row's version and checksum put
    it; no audit row, several, or one that says otherwise; an audit row naming no document. The
    id is None for a problem of no document row."""
    storage = storage or default_storage
    events = _stored_events()
    fields = ("pk", "letter_id", "notice_id", "version", "file", "size", "sha256")
    for row in IssuedDocument.objects.order_by("pk").values(*fields).iterator(chunk_size=2000):
        pk, name = row["pk"], row["file"]
        label = _document_label(pk, row["letter_id"], row["notice_id"], row["version"])
        expected = _ISSUED_FILE.generate_filename(
            IssuedDocument(
                letter_id=row["letter_id"], notice_id=row["notice_id"], version=row["version"], sha256=row["sha256"]
            ),
            "",
        )
        if name != expected:
            yield pk, Violation("document_name", f"{label}: stored as {name!r}, its row puts it at {expected!r}")
        try:
            if hashes:
                size, digest = stored_digest(storage, name)
            else:
                size, digest = (storage.size(name), "") if storage.exists(name) else (None, "")
        except OSError:  # FileNotFoundError included
            size, digest = None, ""
        if size is None:
            yield pk, Violation("document_missing", f"{label}: file {name!r} is missing or unreadable")
        elif size != row["size"]:
            yield pk, Violation("document_size", f"{label}: file {name!r} has {size} bytes, the row says {row['size']}")
        elif hashes and digest != row["sha256"]:
            yield (
                pk,
                Violation(
                    "document_hash", f"{label}: file {name!r} has SHA-256 {digest}, the row says {row['sha256']}"
                ),
            )
        recorded = events.pop(pk, [])
        if not recorded:
            yield pk, Violation("document_audit", f"{label}: no audit row records it")
        elif len(recorded) > 1:
            ids = ", ".join(str(e[0]) for e in recorded)
            yield pk, Violation("document_audit", f"{label}: recorded by {len(recorded)} audit rows ({ids})")
        elif disagreement := _audit_disagreement(recorded[0], row):
            yield pk, Violation("document_audit", f"{label}: {disagreement}")
    for document_id, stray in sorted(events.items(), key=lambda kv: kv[1][0][0]):
        for event_id, action, _letter, _data in stray:
            message = f"audit row {event_id} ({action}) records document {document_id}, which does not exist"
            yield None, Violation("document_audit", message)


def issued_documents(storage: Storage | None = None, *, hashes: bool = True) -> Iterator[Violation]:
    for _pk, violation in issued_document_findings(storage, hashes=hashes):
        yield violation


# --- all of them ---------------------------------------------------------------------------------

CHECKS: dict[str, Callable[[], Iterator[Violation]]] = {
    "audit_chain": audit_chain,
    "audit_current": audit_current_state,
    "audit_count": audit_one_row_per_change,
    "letter_numbers": letter_numbers,
    "letter_states": letter_states,
    "derived_flags": derived_flags,
    "files": stored_files,
    "issued_documents": issued_documents,
}
# The checks that read stored files: skipped with ``files=False``, without hashing with ``hashes=False``.
FILE_CHECKS = ("files", "issued_documents")


def check_all(*, files: bool = True, hashes: bool = True) -> Iterator[Violation]:
    for name, check in CHECKS.items():
        if name in FILE_CHECKS:
            if files:
                yield from check(hashes=hashes)
            continue
        yield from check()
