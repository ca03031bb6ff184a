"""Backups carry the documents kept as issued: the archive holds every ``issued/`` file with its
checksum, a backup whose kept document has gone missing is refused, and a restore brings the
exact bytes back (``verify_documents`` passes after it)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from supervision.backup import BackupError, backup_create, restore_verify
from supervision.services.issued_documents import issued_document_ensure
from tests.conftest import issue_letter

from .conftest import sha

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_restore_brings_back_the_kept_documents_byte_for_byte(world, tmp_path):
    document = issued_document_ensure(letter=issue_letter(world, items=1, units=[world.unit_a]))
    archive = tmp_path / "backup.tar"
    manifest = backup_create(dest=archive)
    assert manifest["files"][document.file.name] == {"size": document.size, "sha256": document.sha256}
    kept = Path(settings.MEDIA_ROOT) / document.file.name
    kept.write_bytes(b"damaged after the backup")
    assert any(document.file.name in m for m in restore_verify(manifest, Path(settings.MEDIA_ROOT)))

    call_command("restore", str(archive), force=True, verbosity=0)
    assert sha(kept.read_bytes()) == document.sha256
    out = StringIO()
    call_command("verify_documents", stdout=out)
    assert "1 documents, 1 intact." in out.getvalue()


def test_a_backup_missing_a_kept_document_is_refused(world, tmp_path):
    document = issued_document_ensure(letter=issue_letter(world, items=1, units=[world.unit_a]))
    (Path(settings.MEDIA_ROOT) / document.file.name).unlink()
    with pytest.raises(BackupError, match="vanished"):
        backup_create(dest=tmp_path / "backup")
    assert not (tmp_path / "backup").exists()
