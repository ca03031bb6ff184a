"""A full disk or a short file left by an earlier failed write never makes a row serve wrong bytes:
files are written whole or not at all, a stored copy is reused only when it matches, and the
sweep clears what failed writes leave behind."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision import services
from supervision.models import Evidence, LetterAttachment
from supervision.services.errors import StorageFailed
from supervision.services.storage import content_store
from tests import storage_faults
from tests.helpers import drive, snapshot
from tests.storage_faults import integrity_holds

disk = storage_faults.disk  # the fixture

# Several of the upload's 64 KiB chunks, so that a fault can cut the write in the middle.
BODY = b"%PDF-1.4 " + os.urandom(200_000)
SHA = hashlib.sha256(BODY).hexdigest()
EVIDENCE_PATH = f"evidence/{SHA[:2]}/{SHA}"


def _pdf(body: bytes = BODY) -> SimpleUploadedFile:
    return SimpleUploadedFile("现场照片.pdf", body, "application/pdf")


def _report(world, a, body: bytes = BODY):
    return services.assignment_report_progress(
        actor=world.liaison_a, assignment=a, text="已完成排查", files=[_pdf(body)]
    )


def _download(client, user, evidence: Evidence) -> bytes:
    client.force_login(user)
    response = client.get(reverse("tasks:evidence", args=[evidence.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("at", ["write", "fsync"])
def test_a_full_disk_mid_write_stores_nothing_and_the_same_file_later_is_whole(world, client, disk, caplog, at):
    a = drive(world, "in_progress").assignment
    before = snapshot()
    disk.full_after(70_000, at=at)
    with caplog.at_level(logging.ERROR), pytest.raises(StorageFailed, match="could not be stored"):
        _report(world, a)
    # Nothing at the checksum name, no temporary file, no row, no audit entry.
    assert disk.files() == []
    assert snapshot() == before
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    # The administrator learns where: the folder of the file that could not be written.
    assert error.exc_info and os.path.dirname(default_storage.path(EVIDENCE_PATH)) in error.getMessage()

    disk.fixed()
    evidence = _report(world, a).evidence.get()
    assert evidence.file.name == EVIDENCE_PATH
    assert disk.files() == [EVIDENCE_PATH]
    assert _download(client, world.liaison_a, evidence) == BODY
    integrity_holds()


def test_a_short_file_left_at_the_checksum_name_is_replaced_by_the_next_upload(world, client, caplog):
    # What a failed write of an older version left: the right name, the first 4 KiB of the bytes.
    default_storage.save(EVIDENCE_PATH, SimpleUploadedFile("x", BODY[:4096]))
    assert default_storage.size(EVIDENCE_PATH) == 4096
    a = drive(world, "in_progress").assignment
    with caplog.at_level(logging.WARNING):
        evidence = _report(world, a).evidence.get()
    assert (evidence.file.name, evidence.size) == (EVIDENCE_PATH, len(BODY))
    assert _download(client, world.liaison_a, evidence) == BODY
    assert any("does not match its checksum" in r.getMessage() for r in caplog.records)
    integrity_holds()


def test_a_letter_attachment_gets_the_same_protection(world, disk):
    letter = services.letter_create(actor=world.clerk, office=world.office, kind="supervision", title="关于整改的函")
    before = snapshot()
    disk.full_after(10_000)
    with pytest.raises(StorageFailed):
        services.letter_attach(actor=world.clerk, letter=letter, files=[_pdf()])
    assert disk.files() == [] and snapshot() == before
    disk.fixed()
    [attachment] = services.letter_attach(actor=world.clerk, letter=letter, files=[_pdf()])
    with attachment.file.open("rb") as fh:
        assert fh.read() == BODY
    assert LetterAttachment.objects.get().size == len(BODY)
    integrity_holds()


# --- the sweep ------------------------------------------------------------------------------------


def _put(name: str, body: bytes, *, age: dt.timedelta) -> str:
    path = default_storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(body)
    then = (dt.datetime.now() - age).timestamp()
    os.utime(path, (then, then))
    return name


def test_the_sweep_removes_abandoned_partial_writes_but_not_one_in_flight(world):
    folder = f"evidence/{SHA[:2]}"
    abandoned = _put(f"{folder}/.{SHA}.0a1b2c3d4e5f.part", BODY[:1000], age=dt.timedelta(hours=2))
    in_flight = _put(f"{folder}/.{SHA}.f5e4d3c2b1a0.part", BODY[:1000], age=dt.timedelta(minutes=1))
    result = services.stored_files_sweep()
    assert (result.deleted, result.partial) == (1, 1)
    assert not default_storage.exists(abandoned)
    assert default_storage.exists(in_flight)


def test_the_sweep_removes_a_damaged_unused_copy_at_once_and_never_a_used_file(world, caplog):
    a = drive(world, "in_progress").assignment
    used = _report(world, a, b"%PDF-1.4 used").evidence.get().file.name
    # Damaged, and no row refers to it: an older version's short write. Young, yet it goes.
    damaged = _put(EVIDENCE_PATH, BODY[:4096], age=dt.timedelta(minutes=5))
    # Whole, and no row yet: an upload whose transaction may still be running. It stays.
    good_body = b"%PDF-1.4 pending"
    good_sha = hashlib.sha256(good_body).hexdigest()
    pending = _put(f"evidence/{good_sha[:2]}/{good_sha}", good_body, age=dt.timedelta(minutes=5))
    with caplog.at_level(logging.WARNING):
        result = services.stored_files_sweep()
    assert (result.deleted, result.mismatched) == (1, 1)
    assert not default_storage.exists(damaged)
    assert default_storage.exists(pending) and default_storage.exists(used)
    assert any("do not match" in r.getMessage() for r in caplog.records)


def test_a_storage_without_local_paths_also_replaces_a_short_copy():
    storage = InMemoryStorage()
    storage.save(EVIDENCE_PATH, ContentFile(BODY[:4096]))
    content_store(storage=storage, name=EVIDENCE_PATH, upload=ContentFile(BODY), sha256=SHA, size=len(BODY))
    with storage.open(EVIDENCE_PATH, "rb") as fh:
        assert fh.read() == BODY
    assert storage.listdir(f"evidence/{SHA[:2]}")[1] == [SHA]
