"""Several ensures of one letter at once on PostgreSQL (the worker's task, first downloads, a
tick's re-queue): one document is stored, with one audit row, and every caller gets it."""

from __future__ import annotations

import pytest
from django.db import connection

from supervision.models import AuditEvent, IssuedDocument
from supervision.services.issued_documents import issued_document_ensure
from tests.conftest import issue_letter
from tests.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

CALLERS = 6


def test_concurrent_ensures_store_one_document(world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    outcomes = race([lambda: issued_document_ensure(letter=letter.pk).pk for _ in range(CALLERS)])
    assert all(kind == "ok" for kind, _v in outcomes), outcomes
    document = IssuedDocument.objects.get()
    assert {v for _kind, v in outcomes} == {document.pk}
    assert AuditEvent.objects.filter(action="letter.document_stored").count() == 1
