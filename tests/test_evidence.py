"""Evidence files on progress reports: checked before anything is written, stored once per content."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision import services
from supervision.models import Evidence
from supervision.services import InvalidInput
from tests.helpers import drive, snapshot


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
