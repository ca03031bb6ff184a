"""Stored files that no row refers to (an upload whose transaction rolled back, a removed letter
attachment) are deleted once a day old, and never a file that a row still uses."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from io import StringIO

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections, transaction

from supervision import clock, services
from supervision.models import AuditEvent, Evidence
from supervision.services.storage import content_store
from tests.cycles import cutoff, tick, use_calendar


def _pdf(body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("现场照片.pdf", b"%PDF-1.4 " + body, "application/pdf")


def _report(world, assignment, body: bytes) -> Evidence:
    """The evidence row for ``body`` (a report in the same cycle amends the earlier one, so the
    report may carry the files of earlier uploads too)."""
    report = services.assignment_report_progress(
        actor=world.liaison_a, assignment=assignment, text="已完成排查", files=[_pdf(body)]
    )
    return report.evidence.get(sha256=hashlib.sha256(b"%PDF-1.4 " + body).hexdigest())


class _Refused(Exception):
    pass


def _orphan(world, assignment, body: bytes) -> str:
    """Store a file through a report whose transaction then rolls back: the file stays, no row."""
    with pytest.raises(_Refused), transaction.atomic():
        name = _report(world, assignment, body).file.name
        raise _Refused
    assert not Evidence.objects.filter(file=name).exists() and default_storage.exists(name)
    return name


def _age(name: str, days: float) -> None:
    then = (clock.now() - dt.timedelta(days=days)).timestamp()
    os.utime(default_storage.path(name), (then, then))


@pytest.fixture
def claimed(world, assignment_a):
    services.assignment_claim(actor=world.liaison_a, assignment=assignment_a)
    return assignment_a


def test_an_old_orphan_is_deleted_and_a_used_file_kept(world, claimed):
    kept = _report(world, claimed, b"kept").file.name
    orphan = _orphan(world, claimed, b"orphan")
    for name in (kept, orphan):
        _age(name, 2)
    result = services.stored_files_sweep()
    assert (result.checked, result.deleted) == (2, 1)
    assert default_storage.exists(kept) and not default_storage.exists(orphan)
    assert AuditEvent.objects.get(action="files.swept").data["deleted"] == 1


def test_a_recent_orphan_is_left_alone(world, claimed):
    # Its upload may still be in a transaction that has not committed yet.
    orphan = _orphan(world, claimed, b"fresh")
    assert services.stored_files_sweep().deleted == 0
    assert default_storage.exists(orphan)
    assert not AuditEvent.objects.filter(action="files.swept").exists()


def test_uploading_the_same_content_again_protects_the_stored_copy(world, claimed):
    orphan = _orphan(world, claimed, b"same")
    _age(orphan, 2)
    with transaction.atomic():
        # The same file again: the stored copy is reused and made young, so a sweep running
        # before this row commits cannot delete it.
        again = _report(world, claimed, b"same")
        assert again.file.name == orphan
        assert services.stored_files_sweep().deleted == 0
    assert default_storage.exists(orphan)


def test_a_removed_letter_attachment_is_swept(world):
    letter = services.letter_create(actor=world.clerk, office=world.office, kind="supervision", title="关于整改的函")
    [attachment] = services.letter_attach(
        actor=world.clerk, letter=letter, files=[SimpleUploadedFile("附件.pdf", b"%PDF-1.4 a", "application/pdf")]
    )
    name = attachment.file.name
    services.letter_detach(actor=world.clerk, attachment=attachment)
    _age(name, 3)
    assert services.stored_files_sweep().deleted == 1
    assert not default_storage.exists(name)


def test_tick_sweeps_when_it_closes_a_cycle(world, claimed, settings):
    use_calendar(settings)
    orphan = _orphan(world, claimed, b"tick")
    tick(cutoff(0) - dt.timedelta(days=3))  # opens the cycle; nothing closed, nothing swept
    _age(orphan, 2)
    assert default_storage.exists(orphan)
    result = tick(cutoff(0) + dt.timedelta(minutes=1))
    assert result.closed and result.files_swept == 1
    assert not default_storage.exists(orphan)


def test_the_command_says_what_it_did(world, claimed):
    _age(_orphan(world, claimed, b"cmd"), 2)
    out = StringIO()
    call_command("sweep_files", stdout=out)
    assert "deleted 1" in out.getvalue()


def test_the_command_names_unfinished_writes(world):
    name = "evidence/ab/.ab" + "0" * 62 + ".0a1b2c3d4e5f.part"
    path = default_storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"%PDF-1.4 cut sh")
    _age(name, 1)
    out = StringIO()
    call_command("sweep_files", stdout=out)
    assert "1 were unfinished writes and 0 damaged copies" in out.getvalue()
    assert not default_storage.exists(name)


def test_a_write_finishing_while_the_sweep_runs_does_not_stop_it(world, settings):
    body = b"%PDF-1.4 just written"
    sha = hashlib.sha256(body).hexdigest()
    final = f"evidence/{sha[:2]}/{sha}"
    temp = f"evidence/{sha[:2]}/.{sha}.0a1b2c3d4e5f.part"
    path = default_storage.path(temp)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(body)

    class Racing(FileSystemStorage):
        def get_modified_time(self, name):
            if name == temp:
                # The upload renames its finished file into place right after the listing.
                os.replace(self.path(temp), self.path(final))
            return super().get_modified_time(name)

    result = services.stored_files_sweep(storage=Racing(location=settings.MEDIA_ROOT))
    assert result.deleted == 0
    with default_storage.open(final, "rb") as fh:
        assert fh.read() == body


def _upload_again(name: str, body: bytes) -> None:
    """An upload reusing the stored copy of ``body`` (it freshens and checks it; its row is not
    written yet)."""
    data = b"%PDF-1.4 " + body
    content_store(
        storage=default_storage,
        name=name,
        upload=SimpleUploadedFile("again.pdf", data),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def test_an_upload_reusing_a_file_after_the_sweep_read_its_age_keeps_it(world, claimed, settings):
    orphan = _orphan(world, claimed, b"reused")
    _age(orphan, 2)

    class Racing(FileSystemStorage):
        reads = 0

        def get_modified_time(self, name):
            seen = super().get_modified_time(name)
            if name == orphan and not Racing.reads:
                # Right after the sweep read the file's age, an upload of the same content
                # reuses it; its row commits later.
                _upload_again(orphan, b"reused")
            Racing.reads += 1
            return seen

    result = services.stored_files_sweep(storage=Racing(location=settings.MEDIA_ROOT))
    assert result.deleted == 0
    assert default_storage.exists(orphan)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
def test_the_sweep_skips_a_file_an_upload_in_a_running_transaction_holds(world, claimed):
    orphan = _orphan(world, claimed, b"held")
    _age(orphan, 2)
    holding, done = threading.Event(), threading.Event()

    def upload() -> None:
        try:
            with transaction.atomic():
                _upload_again(orphan, b"held")
                # Aged again: the sweep must not rely on the freshening it may have missed.
                _age(orphan, 2)
                holding.set()
                done.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=upload)
    thread.start()
    try:
        assert holding.wait(10)
        assert services.stored_files_sweep().deleted == 0
        assert default_storage.exists(orphan)
    finally:
        done.set()
        thread.join(10)
    # Once that upload has ended without a row, the old file goes.
    assert services.stored_files_sweep().deleted == 1
