"""One way to name and hash a stored file, used by uploads, the integrity check and backups."""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile

from supervision import services
from supervision.models import Evidence, LetterAttachment
from supervision.services.storage import FOLDERS, content_name, copy_with_digest, file_digest
from tests.helpers import draft_letter, drive


def test_digests_and_copies_agree_with_sha256(tmp_path):
    body = bytes(range(256)) * 5000  # more than one read block
    src = tmp_path / "a.bin"
    src.write_bytes(body)
    expected = (len(body), hashlib.sha256(body).hexdigest())
    assert file_digest(src) == expected
    assert copy_with_digest(src, tmp_path / "b.bin") == expected
    assert (tmp_path / "b.bin").read_bytes() == body


def test_stored_rows_sit_where_content_name_and_the_folders_say(world):
    a = drive(world, "in_progress").assignment
    services.assignment_report_progress(
        actor=world.liaison_a, assignment=a, text="已完成", files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 a")]
    )
    letter = draft_letter(world)
    services.letter_attach(actor=world.clerk, letter=letter, files=[SimpleUploadedFile("b.pdf", b"%PDF-1.4 b")])
    for row in (Evidence.objects.get(), LetterAttachment.objects.get()):
        assert row.file.name == content_name(type(row), row.sha256)
        assert FOLDERS[row.file.name.split("/", 1)[0]] is type(row)
        assert row.file.name.endswith(f"/{row.sha256[:2]}/{row.sha256}")
