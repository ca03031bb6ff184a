"""When the file store refuses a write (read-only, full, failing), the person sees what failed and
that nothing was saved, never the generic error page; the administrator finds the cause, with
its path, in the error log. A stored copy that cannot be read or is damaged is never served."""

from __future__ import annotations

import errno
import logging

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision import services
from supervision.models import Evidence
from tests import storage_faults
from tests.helpers import drive, page_messages, signed_in, snapshot

disk = storage_faults.disk  # the fixture

NOT_STORED = "could not be stored, so nothing was saved"


def _pdf(body: bytes = b"%PDF-1.4 site photo") -> SimpleUploadedFile:
    return SimpleUploadedFile("现场照片.pdf", body, "application/pdf")


def _task_post(client, world, action):
    a = drive(world, "in_progress").assignment
    c = signed_in(client, world.liaison_a)
    return lambda: c.post(
        reverse("tasks:act", args=[a.pk, action]), {"text": "已完成整改", "files": [_pdf()]}, follow=True
    )


def _attach_post(client, world):
    letter = services.letter_create(actor=world.clerk, office=world.office, kind="supervision", title="关于整改的函")
    c = signed_in(client, world.clerk)
    return lambda: c.post(reverse("letters:act", args=[letter.pk, "attach"]), {"files": [_pdf()]}, follow=True)


@pytest.mark.parametrize("what", ["report_progress", "submit_completion", "attach"])
def test_a_read_only_store_is_explained_and_nothing_is_saved(client, world, disk, caplog, what):
    post = _attach_post(client, world) if what == "attach" else _task_post(client, world, what)
    before = snapshot()
    disk.read_only()
    with caplog.at_level(logging.ERROR):
        response = post()
    assert response.status_code == 200
    assert NOT_STORED in page_messages(response)
    assert snapshot() == before
    assert disk.files() == []
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    # The administrator's record names the folder that refused and carries the traceback.
    assert str(disk.root) in record.getMessage() and record.exc_info


def test_the_same_post_works_once_the_store_is_writable_again(client, world, disk):
    post = _task_post(client, world, "report_progress")
    disk.read_only()
    assert NOT_STORED in page_messages(post())
    disk.fixed()
    response = post()
    assert NOT_STORED not in page_messages(response)
    assert Evidence.objects.count() == 1
    storage_faults.integrity_holds()


@pytest.fixture
def stored(client, world):
    post = _task_post(client, world, "report_progress")
    post()
    evidence = Evidence.objects.get()
    return evidence, reverse("tasks:evidence", args=[evidence.pk])


def test_an_unreadable_stored_file_is_refused_with_a_message(client, world, stored, monkeypatch, caplog):
    _evidence, url = stored

    def refuse(self, name, mode="rb"):
        raise PermissionError(errno.EACCES, "Permission denied", self.path(name))

    monkeypatch.setattr(FileSystemStorage, "_open", refuse)
    with caplog.at_level(logging.ERROR):
        response = client.get(url)
    assert response.status_code == 503
    assert "cannot be downloaded at the moment" in response.content.decode()
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


def test_a_damaged_stored_file_is_never_served_as_the_evidence(client, world, stored, caplog):
    evidence, url = stored
    # Cut short behind the application's back (a disk fault, a bad restore).
    with open(evidence.file.path, "r+b") as fh:
        fh.truncate(4)
    with caplog.at_level(logging.ERROR):
        response = client.get(url)
    assert response.status_code == 503
    assert b"%PDF" not in response.content
    assert any("damaged" in r.getMessage() for r in caplog.records)
