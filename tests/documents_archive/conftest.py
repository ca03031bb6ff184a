"""Keeping what was issued: a letter issued (or a notice published) is rendered once, stored with
its SHA-256 and served from then on (supervision/services/issued_documents.py)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage

from supervision.models import AuditEvent, IssuedDocument, Letter
from tests.factories import issue_letter
from tests.jobs.helpers import run_jobs


def stored_bytes(document: IssuedDocument) -> bytes:
    with default_storage.open(document.file.name, "rb") as fh:
        return fh.read()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_events(letter: Letter) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(letter=letter, action="letter.document_stored").order_by("pk"))


@pytest.fixture
def no_render(monkeypatch):
    """Any PDF drawn from here on fails the test: what is served must be the stored file."""

    def refuse(*args, **kwargs):
        raise AssertionError("a PDF was rendered")

    monkeypatch.setattr("weasyprint.HTML", refuse)


@pytest.fixture
def kept(world, django_capture_on_commit_callbacks) -> Letter:
    """A letter issued as the office issues it: its document queued on commit and kept by the
    worker, run here in this process."""
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(world, items=2, units=[world.unit_a, world.unit_b])
    run_jobs()
    return letter
