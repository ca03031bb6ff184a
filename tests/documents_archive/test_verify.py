"""``manage.py verify_documents``: every kept file's SHA-256 recomputed and compared with its row
and its audit row; any problem is listed and fails the command (exit status 1)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from supervision import clock
from supervision.models import IssuedDocument
from supervision.services.audit import audit_record
from supervision.services.issued_documents import issued_document_ensure
from tests.factories import issue_letter

from .conftest import sha, stored_bytes


def verify(command: str = "verify_documents") -> tuple[int, str]:
    """(exit status, output) of the command as the shell would see them."""
    out = StringIO()
    try:
        call_command(command, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def _overwrite(document: IssuedDocument, data: bytes) -> None:
    default_storage.delete(document.file.name)
    default_storage.save(document.file.name, ContentFile(data))


def test_intact_documents_pass_with_a_count(world, kept):
    issued_document_ensure(letter=issue_letter(world, items=1, units=[world.unit_c]))
    status, out = verify()
    assert status == 0, out
    assert "2 documents, 2 intact." in out
    assert verify("check_integrity")[0] == 0


def test_a_tampered_file_fails(world, kept):
    document = IssuedDocument.objects.get()
    good = stored_bytes(document)
    _overwrite(document, good[:-8] + b"%%FORGED")  # same size, other bytes
    status, out = verify()
    assert status == 1
    assert f"[document_hash] document {document.pk} (letter {kept.pk} v1)" in out
    assert "1 documents, 0 intact." in out and "document_hash: 1" in out
    # check_integrity runs the same check.
    status, out = verify("check_integrity")
    assert status == 1 and "[document_hash]" in out


def test_a_file_of_another_size_fails(world, kept):
    document = IssuedDocument.objects.get()
    _overwrite(document, stored_bytes(document) + b"\n")
    status, out = verify()
    assert status == 1 and "[document_size]" in out


def test_a_missing_file_fails(world, kept):
    document = IssuedDocument.objects.get()
    default_storage.delete(document.file.name)
    status, out = verify()
    assert status == 1
    assert f"[document_missing] document {document.pk}" in out and "1 documents, 0 intact." in out


def test_a_file_and_row_replaced_together_disagree_with_the_audit_row(world, kept):
    """Someone with access to the files and the table swaps the document for another and makes
    the row agree: the audit row, written when it was kept and append-only, still tells."""
    document = IssuedDocument.objects.get()
    forged = stored_bytes(document).replace(b"%PDF", b"%PDF", 1) + b"% another document\n"
    moved = IssuedDocument(letter_id=document.letter_id, version=1, sha256=sha(forged))
    name = IssuedDocument._meta.get_field("file").generate_filename(moved, "")
    default_storage.save(name, ContentFile(forged))
    IssuedDocument.objects.filter(pk=document.pk).update(file=name, sha256=sha(forged), size=len(forged))
    status, out = verify()
    assert status == 1
    assert "[document_hash]" not in out and "[document_missing]" not in out
    assert f"[document_audit] document {document.pk} (letter {kept.pk} v1): audit row" in out
    assert "sha256" in out and "size" in out
    # The original file, now named by no row, is listed without failing on its own account.
    assert f"{document.file.name} is stored but no document row names it" in out


def test_a_document_no_audit_row_records_fails(world, kept):
    other = issue_letter(world, items=1, units=[world.unit_c])
    data = b"%PDF-1.7 not through the service"
    row = IssuedDocument(letter=other, version=1, reason="issued", sha256=sha(data), size=len(data))
    row.file.save("x.pdf", ContentFile(data), save=False)
    row.save()
    status, out = verify()
    assert status == 1
    assert f"[document_audit] document {row.pk} (letter {other.pk} v1): no audit row records it" in out
    assert "2 documents, 1 intact." in out


def test_an_audit_row_naming_no_document_fails(world, kept):
    audit_record(action="letter.document_stored", letter=kept, data={"document": 99999, "version": 2})
    status, out = verify()
    assert status == 1 and "records document 99999, which does not exist" in out
    assert "1 documents, 1 intact." in out


def test_issues_not_kept_yet_are_noted_without_failing(world, letter):
    with clock.frozen(letter.issued_at + dt.timedelta(minutes=5)):
        status, out = verify()
    assert status == 0
    assert "1 issued letters and 0 published notices are not kept yet" in out
    assert "0 documents, 0 intact." in out
