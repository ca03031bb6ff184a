"""Evidence files on progress reports: checked before anything is written, stored once per content."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from supervision import services
from supervision.models import Evidence
from supervision.services import InvalidInput
from supervision.services.evidence import upload_rule
from tests.helpers import draft_letter, drive, snapshot


def _pdf(name: str = "现场照片说明.pdf", body: bytes = b"%PDF-1.4 evidence") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, "application/pdf")


def _report(world, a, files):
    return services.assignment_report_progress(actor=world.liaison_a, assignment=a, text="已完成排查", files=files)


def test_files_are_stored_with_checksum_size_and_type(world, settings):
    a = drive(world, "in_progress").assignment
    report = _report(world, a, [_pdf(), SimpleUploadedFile("验收表.xlsx", b"PK\x03\x04 sheet", "text/plain")])
    stored = {e.original_name: e for e in report.evidence.all()}
    assert set(stored) == {"现场照片说明.pdf", "验收表.xlsx"}
    pdf = stored["现场照片说明.pdf"]
    assert (pdf.size, pdf.sha256) == (17, hashlib.sha256(b"%PDF-1.4 evidence").hexdigest())
    # The type comes from the name, not from what the browser claimed.
    assert stored["验收表.xlsx"].content_type.endswith("spreadsheetml.sheet")
    # Nothing of the user's file name reaches the file system.
    assert pdf.file.name == f"evidence/{pdf.sha256[:2]}/{pdf.sha256}"
    with pdf.file.open("rb") as fh:
        assert fh.read() == b"%PDF-1.4 evidence"


def test_the_same_content_is_stored_once(world):
    a = drive(world, "in_progress").assignment
    _report(world, a, [_pdf("第一次.pdf")])
    _report(world, a, [_pdf("第二次.pdf")])
    first, second = Evidence.objects.order_by("pk")
    assert first.file.name == second.file.name
    folder = first.file.storage.path(first.file.name).rsplit("/", 1)[0]
    assert len(first.file.storage.listdir(folder)[1]) == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("空文件.pdf", b"", "application/pdf"), "is empty"),
        (SimpleUploadedFile("脚本.exe", b"MZ...", "application/pdf"), "not an accepted file type"),
        (SimpleUploadedFile("无扩展名", b"%PDF-1.4", "application/pdf"), "not an accepted file type"),
        (SimpleUploadedFile("大文件.pdf", b"x" * 2048, "application/pdf"), "larger than"),
    ],
)
def test_a_bad_file_refuses_the_whole_report(world, settings, upload, message):
    settings.EVIDENCE_MAX_BYTES = 1024
    a = drive(world, "in_progress").assignment
    before = snapshot()
    with pytest.raises(InvalidInput, match=message):
        _report(world, a, [_pdf(), upload])
    # Neither the report nor the good file was kept.
    assert snapshot() == before


def test_too_many_files_are_refused(world):
    a = drive(world, "in_progress").assignment
    before = snapshot()
    with pytest.raises(InvalidInput, match="At most 20 files"):
        _report(world, a, [_pdf(f"{n}.pdf", f"%PDF {n}".encode()) for n in range(21)])
    assert snapshot() == before


def test_files_over_the_total_for_one_submission_are_refused_whole(world, settings):
    # Scaled down from 20 MB each and 50 MB in all: each file passes on its own, together they
    # are more than one request may carry, and the report is refused with its text unsaved.
    settings.EVIDENCE_MAX_BYTES, settings.EVIDENCE_MAX_TOTAL_BYTES = 1024, 2048
    a = drive(world, "in_progress").assignment
    before = snapshot()
    files = [_pdf(f"{n}.pdf", b"%PDF" + bytes([n]) * 796) for n in range(3)]
    with pytest.raises(InvalidInput, match=r"The files come to 2\.3.KB in all; at most 2\.0.KB can be sent at once"):
        _report(world, a, files)
    assert snapshot() == before
    # Two of them fit, and are kept.
    _report(world, a, files[:2])
    assert Evidence.objects.count() == 2


def test_a_letters_attachments_are_held_to_the_same_total(world, settings):
    settings.EVIDENCE_MAX_BYTES, settings.EVIDENCE_MAX_TOTAL_BYTES = 1024, 2048
    letter = draft_letter(world)
    before = snapshot()
    files = [SimpleUploadedFile(f"{n}.pdf", b"%PDF" + bytes([n]) * 796, "application/pdf") for n in range(3)]
    with pytest.raises(InvalidInput, match="in all"):
        services.letter_attach(actor=world.clerk, letter=letter, files=files)
    assert snapshot() == before


def test_the_rule_in_words_names_the_numbers_the_checks_use(settings):
    settings.EVIDENCE_MAX_BYTES, settings.EVIDENCE_MAX_TOTAL_BYTES = 20 * 1024 * 1024, 50 * 1024 * 1024
    with translation.override("en"):
        assert upload_rule(20) == "At most 20 files, 20.0\xa0MB each, 50.0\xa0MB in all."
