"""Only a POST with its CSRF token asks for a background job. A GET of a heavy download (a link
followed, an image on another site) queues nothing: it shows a page whose button posts the same
address. Small documents still come straight back from a GET."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from notices import jobs
from supervision import clock, services
from supervision.models import Assignment, Cycle, Job, JobState, Notice, ReadReceipt
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.factories import issue_letter
from tests.helpers import browser_for, signed_in
from tests.jobs.helpers import job_of


@pytest.fixture(autouse=True)
def small_limits(monkeypatch):
    # The world's few rows count as large documents.
    monkeypatch.setattr(jobs, "LEDGER_PDF_INLINE_ROWS", 1)
    monkeypatch.setattr(jobs, "LEDGER_XLSX_INLINE_ROWS", 1)
    monkeypatch.setattr(jobs, "PROGRESS_SHEET_INLINE_ROWS", 1)


@pytest.fixture
def four_rows(world):
    letter = issue_letter(world, items=2, units=[world.unit_a, world.unit_b])
    for a in Assignment.objects.filter(unit=world.unit_a):
        services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    return letter


@pytest.fixture
def notice(world, settings) -> Notice:
    """A draft notice of a closed cycle: the office may have it drawn."""
    use_calendar(settings)
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, deadline=dt.date(2024, 1, 10))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    with clock.frozen(at("2024-01-15")):
        return services.notice_draft(actor=world.clerk, office=world.office, cycle=Cycle.objects.get(number=1))


def _form(page: str) -> tuple[str, str]:
    """The address the page's "Prepare the document" form posts to, and its CSRF token."""
    forms = re.findall(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', page, flags=re.S)
    [(action, body)] = [(action, body) for action, body in forms if "Prepare the document" in body]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None
    return unescape(action), token.group(1)


def _csrf_client(user) -> Client:
    """A browser whose POSTs are checked for the CSRF token, as the real middleware does."""
    client = Client(enforce_csrf_checks=True)
    return signed_in(client, user)


@pytest.mark.parametrize(
    ("who", "url", "query", "kind"),
    [
        ("clerk", "notices:ledger_pdf", {"state": "issued"}, jobs.LEDGER_PDF),
        ("clerk", "notices:ledger_xlsx", {"unit": "甲县"}, jobs.LEDGER_XLSX),
        ("liaison_a", "notices:progress_xlsx", {}, jobs.PROGRESS_SHEET),
    ],
)
def test_a_get_queues_nothing_and_offers_the_button(
    world, four_rows, who, url, query, kind, django_capture_on_commit_callbacks
):
    client = _csrf_client(getattr(world, who))
    page = client.get(reverse(url), query)
    assert page.status_code == 200 and not Job.objects.exists()
    action, token = _form(page.content.decode())
    # The button posts the same address, the filters with it.
    assert action == page.wsgi_request.get_full_path()
    # Without the token (a form on another site) the POST is refused and nothing is queued.
    assert client.post(action).status_code == 403 and not Job.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(client.post(action, {"csrfmiddlewaretoken": token}))
    assert job.kind == kind and job.requested_by == getattr(world, who) and job.state == JobState.QUEUED
    if url.startswith("notices:ledger"):
        assert {k: v for k, v in job.params.items() if k != "language"} == {k: [v] for k, v in query.items()}


def test_the_notice_pdf_is_asked_for_by_its_button(world, notice, django_capture_on_commit_callbacks):
    clerk = _csrf_client(world.clerk)
    page = clerk.get(reverse("cycles:notice", args=[notice.pk])).content.decode()
    url = reverse("notices:notice_pdf", args=[notice.pk])
    # The notice page's button is a form posting there, with its token.
    assert re.search(rf'<form method="post" action="{url}"[^>]*><input type="hidden" name="csrfmiddlewaretoken"', page)
    offered = clerk.get(url)
    assert offered.status_code == 200 and not Job.objects.exists()
    action, token = _form(offered.content.decode())
    assert action == url
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(clerk.post(url, {"csrfmiddlewaretoken": token}))
    assert job.kind == jobs.NOTICE_PDF and job.params["notice"] == notice.pk


def test_the_progress_page_offers_its_sheet_by_a_button(world, four_rows):
    page = browser_for(world.liaison_a).get(reverse("notices:progress_page")).content.decode()
    url = reverse("notices:progress_xlsx")
    assert re.search(rf'<form method="post" action="{url}"[^>]*><input type="hidden" name="csrfmiddlewaretoken"', page)


def test_the_ledger_pages_form_posts_its_filters(world, four_rows, django_capture_on_commit_callbacks):
    clerk = browser_for(world.clerk)
    page = clerk.get(reverse("notices:ledger_page")).content.decode()
    assert re.search(r'<form class="[^"]*sv-ledger" method="post"', page) and "csrfmiddlewaretoken" in page
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(clerk.post(reverse("notices:ledger_pdf"), {"unit": str(world.unit_b.pk), "letter": ""}))
    assert job.params["unit"] == [str(world.unit_b.pk)] and job.params["letter"] == [""]


def test_an_image_on_another_site_queues_nothing(world, four_rows):
    # <img src=".../ledger.pdf">: the browser sends the person's cookies with a plain GET.
    clerk = browser_for(world.clerk)
    for url in (reverse("notices:ledger_pdf"), reverse("notices:ledger_xlsx")):
        for _ in range(3):
            assert clerk.get(url).status_code == 200
    assert not Job.objects.exists() and not ReadReceipt.objects.exists()
