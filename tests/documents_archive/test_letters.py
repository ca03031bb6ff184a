"""An issued letter's PDF: kept once by the worker, with its SHA-256 in the audit trail, and
served from storage from then on; drafts and signed letters are rendered afresh as before."""

from __future__ import annotations

import datetime as dt
import errno

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from notices import wording
from supervision import clock, services
from supervision.jobs_tasks import issued_document_task
from supervision.models import Assignment, AuditEvent, IssuedDocument, Letter
from supervision.services import issued_documents
from supervision.services.issued_documents import issued_document_ensure
from tests.factories import draft_letter, issue_letter, signed_in, write_off
from tests.jobs.helpers import run_jobs
from tests.notices import pdfs

from .conftest import sha, stored_bytes, stored_events


def _download(client, user, letter: Letter, **query) -> bytes:
    response = signed_in(client, user).get(reverse("notices:letter_pdf", args=[letter.pk]), query)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    return response.content


def _stamp(pdf: bytes) -> set[str]:
    """The characters of the large slanted words across the pages (草稿, 未印发, 已撤回)."""
    return set("".join(line.text for line in pdfs.lines(pdf) if line.size > 50))


# --- kept by the worker ----------------------------------------------------------------------------


def test_issuing_queues_the_document_and_the_worker_keeps_it_with_its_hash_audited(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(world, items=2, units=[world.unit_a, world.unit_b])
    # Nothing is rendered in the issue: one task waits for the worker.
    assert not IssuedDocument.objects.exists()
    assert DBTaskResult.objects.filter(task_path=issued_document_task.module_path, status="READY").count() == 1
    run_jobs()
    document = IssuedDocument.objects.get()
    data = stored_bytes(document)
    assert data.startswith(b"%PDF")
    assert (document.letter_id, document.version, document.reason) == (letter.pk, 1, "issued")
    assert (document.sha256, document.size) == (sha(data), len(data))
    assert document.created_by_id == world.clerk.pk  # who issued it
    # Private storage, named by owner, version and checksum.
    assert document.file.name == f"issued/letters/{letter.pk}/v1-{document.sha256[:16]}.pdf"
    (event,) = stored_events(letter)
    assert event.data["sha256"] == document.sha256
    assert (event.data["version"], event.data["size"], event.data["document"]) == (1, len(data), document.pk)
    assert event.actor_id is None and event.actor_unit_id == world.office.pk


def test_the_download_is_the_stored_file_and_nothing_is_rendered(client, world, kept, no_render):
    document = IssuedDocument.objects.get(letter=kept)
    for user in (world.liaison_a, world.leader_b, world.clerk, world.director):
        assert _download(client, user, kept) == stored_bytes(document)
    # Downloading it is opening it, as before.
    assert kept.receipts.filter(user=world.liaison_a).exists()


def test_the_letter_is_kept_as_issued_without_any_stamp(world, kept):
    assert _stamp(stored_bytes(IssuedDocument.objects.get(letter=kept))) == set()


def test_the_first_download_keeps_it_when_the_worker_is_behind(client, world, letter, monkeypatch):
    assert not IssuedDocument.objects.exists()  # the enqueue ran on no commit: the worker never heard of it
    first = _download(client, world.liaison_a, letter)
    document = IssuedDocument.objects.get(letter=letter)
    assert first == stored_bytes(document)
    assert len(stored_events(letter)) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("a PDF was rendered")

    monkeypatch.setattr("weasyprint.HTML", refuse)
    assert _download(client, world.liaison_b, letter) == first
    # The worker's task, arriving late, finds it kept.
    assert issued_document_task.call(letter_id=letter.pk) == "already stored"
    assert IssuedDocument.objects.count() == 1 and len(stored_events(letter)) == 1


def test_ensure_is_idempotent(world, letter, monkeypatch):
    first = issued_document_ensure(letter=letter)

    def refuse(*args, **kwargs):
        raise AssertionError("a PDF was rendered")

    monkeypatch.setattr("weasyprint.HTML", refuse)
    again = issued_document_ensure(letter=letter.pk)
    assert again.pk == first.pk
    assert IssuedDocument.objects.count() == 1 and len(stored_events(letter)) == 1


def test_drafts_and_signed_letters_are_rendered_afresh_and_never_kept(client, world):
    draft = draft_letter(world)
    assert issued_document_ensure(letter=draft) is None
    assert _stamp(_download(client, world.clerk, draft)) == set(wording.DRAFT)
    services.letter_sign(actor=world.director, letter=draft)
    assert issued_document_ensure(letter=draft) is None
    assert _stamp(_download(client, world.clerk, draft)) == set(wording.NOT_PUBLISHED)
    assert not IssuedDocument.objects.exists()
    assert issued_document_task.call(letter_id=draft.pk) == "not issued"


def test_a_storage_that_fails_still_gives_the_letter_and_records_nothing(client, world, letter, monkeypatch):
    def full(**kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(issued_documents, "content_store", full)
    pdf = _download(client, world.liaison_a, letter)
    assert pdf.startswith(b"%PDF") and _stamp(pdf) == set()
    assert not IssuedDocument.objects.exists() and not stored_events(letter)


def test_a_damaged_stored_file_is_not_served(client, world, kept, caplog):
    document = IssuedDocument.objects.get(letter=kept)
    path = document.file.path
    with open(path, "r+b") as fh:
        fh.seek(100)
        fh.write(b"tampered")
    pdf = _download(client, world.liaison_a, kept)
    # A fresh render instead (the same letter, not the altered bytes), and the error is logged.
    assert pdf.startswith(b"%PDF") and b"tampered" not in pdf
    assert "does not match its SHA-256" in caplog.text
    # The version asked by number has nothing else to offer: a clear page, not the altered file.
    response = signed_in(client, world.liaison_a).get(reverse("notices:letter_pdf", args=[kept.pk]), {"version": 1})
    assert response.status_code == 503
    assert "cannot be read" in response.content.decode()


# --- who may download ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "liaison_c"])
def test_only_those_who_see_the_letter_get_its_stored_document(client, world, kept, who):
    url = reverse("notices:letter_pdf", args=[kept.pk])
    c = signed_in(client, getattr(world, who))
    assert c.get(url).status_code == 404
    assert c.get(url, {"version": 1}).status_code == 404


def test_an_unknown_version_is_not_found(client, world, kept):
    c = signed_in(client, world.liaison_a)
    url = reverse("notices:letter_pdf", args=[kept.pk])
    for version in ("2", "0", "-1", "x", ""):
        assert c.get(url, {"version": version}).status_code == 404, version
    assert client.logout() is None
    assert client.get(url, {"version": 1}).status_code == 302  # a login first


# --- later life: withdrawn, closed ------------------------------------------------------------------------


def test_a_withdrawn_letter_keeps_its_document_as_issued(client, world, kept):
    document = IssuedDocument.objects.get(letter=kept)
    services.letter_withdraw(actor=world.clerk, letter=kept, reason="误发")
    # The current download says it was withdrawn; the kept version 1 is what went out.
    assert _stamp(_download(client, world.clerk, kept)) == set(wording.WITHDRAWN)
    assert _download(client, world.clerk, kept, version=1) == stored_bytes(document)
    assert issued_document_ensure(letter=kept).pk == document.pk
    assert IssuedDocument.objects.count() == 1


def test_a_letter_withdrawn_before_the_worker_came_is_kept_as_issued(world, letter):
    services.letter_withdraw(actor=world.clerk, letter=letter, reason="误发")
    document = issued_document_ensure(letter=letter)
    assert document.version == 1 and _stamp(stored_bytes(document)) == set()


def test_closing_a_letter_does_not_change_its_document(client, world, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(world, items=1, units=[world.unit_a])
    run_jobs()
    document = IssuedDocument.objects.get(letter=letter)
    write_off(world, Assignment.objects.get(letter=letter), world.liaison_a, world.leader_a)
    letter = Letter.objects.get(pk=letter.pk)
    assert letter.state == "closed"
    monkeypatch.setattr("weasyprint.HTML", None)  # nothing may be drawn from here on
    assert _download(client, world.liaison_a, letter) == stored_bytes(document)
    assert IssuedDocument.objects.count() == 1


# --- versions ------------------------------------------------------------------------------------------------


def test_an_issue_with_another_timestamp_is_kept_as_a_new_version_and_the_old_one_stays(client, world, kept):
    """No flow issues a letter twice today; when one does, it stamps a new ``issued_at``, and the
    next ensure keeps that issue as version 2."""
    v1 = IssuedDocument.objects.get(letter=kept)
    Letter.objects.filter(pk=kept.pk).update(issued_at=kept.issued_at + dt.timedelta(days=1))
    v2 = issued_document_ensure(letter=kept.pk)
    assert (v2.version, v2.reason) == (2, "reissued")
    assert issued_document_ensure(letter=Letter.objects.get(pk=kept.pk)).pk == v2.pk  # idempotent for that issue too
    assert [e.data["version"] for e in stored_events(kept)] == [1, 2]
    assert stored_events(kept)[1].data["issued_at"] == (kept.issued_at + dt.timedelta(days=1)).isoformat()
    assert _download(client, world.liaison_a, kept) == stored_bytes(v2)
    older = signed_in(client, world.liaison_a).get(reverse("notices:letter_pdf", args=[kept.pk]), {"version": 1})
    assert older.content == stored_bytes(v1)
    name = older["Content-Disposition"]
    assert name.startswith("inline;") and "-v" not in name  # v1 under the letter's own name
    newer = signed_in(client, world.liaison_a).get(reverse("notices:letter_pdf", args=[kept.pk]), {"version": 2})
    assert "-v2.pdf" in newer["Content-Disposition"]


# --- the letter page -----------------------------------------------------------------------------------------


def test_the_letter_page_lists_the_kept_versions(client, world, kept):
    document = IssuedDocument.objects.get(letter=kept)
    page = signed_in(client, world.liaison_a).get(reverse("letters:detail", args=[kept.pk])).content.decode()
    assert 'id="issued-documents"' in page
    assert f'title="{document.sha256}"' in page and f'value="{document.sha256}"' in page
    assert f"{document.sha256[:12]}…" in page
    assert f"{reverse('notices:letter_pdf', args=[kept.pk])}?version=1" in page
    assert 'data-version="1"' in page


def test_a_draft_s_page_has_no_kept_versions(client, world):
    draft = draft_letter(world)
    page = signed_in(client, world.clerk).get(reverse("letters:detail", args=[draft.pk])).content.decode()
    assert 'id="issued-documents"' not in page


# --- tick: a lost hand-over ----------------------------------------------------------------------------------


def _tasks() -> list[dict]:
    rows = DBTaskResult.objects.filter(task_path=issued_document_task.module_path, status="READY")
    return [row.args_kwargs["kwargs"] for row in rows.order_by("enqueued_at")]


def test_tick_queues_an_issue_whose_document_was_never_kept(world, letter):
    # Issued, but its hand-over was lost (no commit ran the callback here).
    assert issued_documents.issued_documents_requeue(now=letter.issued_at + dt.timedelta(seconds=30)) == 0
    assert _tasks() == []
    assert issued_documents.issued_documents_requeue(now=letter.issued_at + dt.timedelta(minutes=2)) == 1
    assert _tasks() == [{"letter_id": letter.pk, "notice_id": None}]
    run_jobs()
    assert IssuedDocument.objects.filter(letter=letter).count() == 1
    assert issued_documents.issued_documents_requeue(now=letter.issued_at + dt.timedelta(minutes=3)) == 0


def test_tick_leaves_the_queue_alone_while_the_worker_is_behind(world, letter):
    other = issue_letter(world, items=1, units=[world.unit_a])
    issued_documents.issued_document_enqueue(letter_id=other.pk)
    DBTaskResult.objects.update(enqueued_at=clock.now() - dt.timedelta(minutes=5))
    later = letter.issued_at + dt.timedelta(minutes=10)
    assert issued_documents.issued_documents_requeue(now=later) == 0
    run_jobs()
    assert issued_documents.issued_documents_requeue(now=later) == 1  # the one never queued


def test_the_tick_command_says_what_it_queued(world, letter):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with clock.frozen(letter.issued_at + dt.timedelta(minutes=2)):
        call_command("tick", stdout=out)
    assert "1 issued documents queued to be kept" in out.getvalue()
    assert _tasks() == [{"letter_id": letter.pk, "notice_id": None}]


def test_the_issue_audit_trail_is_unchanged(world, kept):
    """Keeping the document adds its own row; the issue's rows are as they were."""
    actions = list(AuditEvent.objects.filter(letter=kept).values_list("action", flat=True).order_by("pk"))
    assert actions.count("letter.issued") == 1 and actions[-1] == "letter.document_stored"


def test_a_stored_download_costs_a_handful_of_queries(client, world, kept, django_assert_max_num_queries):
    c = signed_in(client, world.liaison_a)
    url = reverse("notices:letter_pdf", args=[kept.pk])
    assert c.get(url).status_code == 200  # the first opening writes its read receipt
    # Session, user, roles, the letter, the receipt, and the kept version with its audit row.
    with django_assert_max_num_queries(7):
        assert c.get(url).status_code == 200
