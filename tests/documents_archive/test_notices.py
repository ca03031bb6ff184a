"""A published notice's PDF: kept once when it is published, then handed over at once; the
background job, when the worker has not kept it yet, keeps it and serves that same file."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from supervision import clock, services
from supervision.models import AuditEvent, Cycle, IssuedDocument, Job, Notice
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.factories import signed_in
from tests.jobs.helpers import content_of, job_of, run_jobs

from .conftest import sha, stored_bytes


@pytest.fixture
def signed(world, settings) -> Notice:
    """A signed notice of a closed cycle, ready to publish."""
    use_calendar(settings)
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, units=[world.unit_a, world.unit_b])
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    with clock.frozen(at("2024-01-15")):
        notice = services.notice_draft(actor=world.clerk, office=world.office, cycle=Cycle.objects.get(number=1))
        services.notice_sign(actor=world.director, notice=notice.pk)
    return notice


def _publish(world, notice: Notice, capture) -> Notice:
    with capture(execute=True), clock.frozen(at("2024-01-16")):
        services.notice_publish(actor=world.clerk, notice=notice.pk)
    return Notice.objects.get(pk=notice.pk)


def _post(client, user, notice: Notice):
    return signed_in(client, user).post(reverse("notices:notice_pdf", args=[notice.pk]))


def test_publishing_keeps_the_notice_and_its_download_is_that_file(
    client, world, signed, django_capture_on_commit_callbacks, monkeypatch
):
    notice = _publish(world, signed, django_capture_on_commit_callbacks)
    assert not IssuedDocument.objects.exists()  # not in the publication: by the worker
    run_jobs()
    document = IssuedDocument.objects.get(notice=notice)
    data = stored_bytes(document)
    assert (document.version, document.reason, document.sha256) == (1, "published", sha(data))
    assert document.file.name.startswith(f"issued/notices/{notice.pk}/v1-")
    event = AuditEvent.objects.get(action="notice.document_stored")
    assert event.data["notice"] == notice.pk and event.data["sha256"] == document.sha256
    assert event.data["published_at"] == notice.published_at.isoformat()

    monkeypatch.setattr("weasyprint.HTML", None)  # nothing may be drawn from here on
    # The button's POST hands the kept file over at once: no job, and the reading is recorded.
    response = _post(client, world.liaison_b, notice)
    assert response.status_code == 200 and response.content == data
    assert response["Content-Disposition"].startswith("attachment;")
    assert not Job.objects.exists()
    assert notice.receipts.filter(user=world.liaison_b).exists()
    # A plain GET still only offers the button, and records nothing.
    offered = signed_in(client, world.leader_a).get(reverse("notices:notice_pdf", args=[notice.pk]))
    assert offered.status_code == 200 and b"%PDF" not in offered.content
    assert not notice.receipts.filter(user=world.leader_a).exists()
    # Each kept version by its number, to whoever may read the notice.
    version = signed_in(client, world.leader_a).get(reverse("notices:notice_pdf", args=[notice.pk]), {"version": 1})
    assert version.status_code == 200 and version.content == data


def test_the_job_keeps_the_notice_when_the_worker_is_behind(client, world, signed, django_capture_on_commit_callbacks):
    with clock.frozen(at("2024-01-16")):
        services.notice_publish(actor=world.clerk, notice=signed.pk)  # its hand-over lost
    notice = Notice.objects.get(pk=signed.pk)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(_post(client, world.liaison_a, notice))
    run_jobs()
    document = IssuedDocument.objects.get(notice=notice)
    assert content_of(signed_in(client, world.liaison_a), job) == stored_bytes(document)
    # From then on the button hands the kept file over.
    assert _post(client, world.liaison_b, notice).content == stored_bytes(document)
    assert IssuedDocument.objects.count() == 1
    assert AuditEvent.objects.filter(action="notice.document_stored").count() == 1


def test_a_draft_notice_is_never_kept(client, world, signed, django_capture_on_commit_callbacks):
    from supervision.services.issued_documents import issued_document_ensure

    assert issued_document_ensure(notice=signed) is None
    with django_capture_on_commit_callbacks(execute=True):
        job_of(_post(client, world.clerk, signed))  # a preview: drawn by a job, as before
    assert not IssuedDocument.objects.exists()
    page = signed_in(client, world.clerk).get(reverse("cycles:notice", args=[signed.pk])).content.decode()
    assert 'id="issued-documents"' not in page


def test_the_notice_page_lists_its_kept_version_and_outsiders_get_nothing(
    client, world, signed, django_capture_on_commit_callbacks
):
    notice = _publish(world, signed, django_capture_on_commit_callbacks)
    run_jobs()
    document = IssuedDocument.objects.get(notice=notice)
    page = signed_in(client, world.liaison_a).get(reverse("cycles:notice", args=[notice.pk])).content.decode()
    assert 'id="issued-documents"' in page and f'title="{document.sha256}"' in page
    assert f"{reverse('notices:notice_pdf', args=[notice.pk])}?version=1" in page
    url = reverse("notices:notice_pdf", args=[notice.pk])
    outsider = signed_in(client, world.outsider)
    assert outsider.post(url).status_code == 404
    assert outsider.get(url, {"version": 1}).status_code == 404


def test_a_notice_published_again_would_be_a_corrected_version(world, signed, django_capture_on_commit_callbacks):
    """No flow republishes a notice today; one that stamps a new ``published_at`` gets version 2."""
    from supervision.services.issued_documents import issued_document_ensure

    notice = _publish(world, signed, django_capture_on_commit_callbacks)
    first = issued_document_ensure(notice=notice)
    Notice.objects.filter(pk=notice.pk).update(published_at=notice.published_at + dt.timedelta(hours=1))
    second = issued_document_ensure(notice=notice.pk)
    assert (first.version, second.version, second.reason) == (1, 2, "corrected")
    assert IssuedDocument.objects.filter(notice=notice).count() == 2
