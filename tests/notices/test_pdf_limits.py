"""A large ledger PDF keeps a process busy (the task worker's, past a few pages): an observer
cannot start a large one, and nobody can start large ones back to back. Each refusal is a page
that says what to do instead (narrow the filters, or take the Excel file, which has no limit),
and it comes before any job is queued."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from notices import jobs
from supervision.models import Job, Membership, Role
from tests.conftest import issue_letter
from tests.helpers import browser_for


@pytest.fixture(autouse=True)
def small_limits(settings):
    # The real limits (500 rows) scaled down: a letter of two items to units A and B is 4 rows.
    settings.LEDGER_PDF_OBSERVER_ROWS = 3
    settings.LEDGER_PDF_LARGE_ROWS = 3
    settings.LEDGER_PDF_LARGE_RATE = "2/10m"
    cache.clear()  # the rate is counted in the cache
    yield
    cache.clear()


@pytest.fixture
def four_rows(world):
    return issue_letter(world, items=2, units=[world.unit_a, world.unit_b])


def _pdf(client, **params):
    return client.get(reverse("notices:ledger_pdf"), params)


def test_an_observer_gets_a_large_ledger_as_excel_not_as_pdf(world, four_rows):
    client = browser_for(world.observer)
    refused = _pdf(client)
    assert refused.status_code == 403
    body = refused.content.decode()
    assert "This ledger has 4 rows; as an observer you can have at most 3 as a PDF." in body
    assert "download it as Excel" in body
    assert client.get(reverse("notices:ledger_xlsx")).status_code == 200
    # Narrowed to one unit (2 rows), the PDF is drawn.
    small = _pdf(client, unit=world.unit_a.pk)
    assert small.status_code == 200 and small.content.startswith(b"%PDF")


def test_an_observer_who_also_works_in_the_office_is_not_held_to_the_observer_limit(world, four_rows):
    Membership.objects.create(user=world.observer, unit=world.office, role=Role.INSPECTOR)
    assert _pdf(browser_for(world.observer)).status_code == 200


def test_large_pdfs_are_limited_per_person_small_ones_are_not(world, four_rows):
    clerk = browser_for(world.clerk)
    assert [_pdf(clerk).status_code for _ in range(2)] == [200, 200]
    third = _pdf(clerk)
    assert third.status_code == 429
    assert "Try again in a few minutes, narrow the filters, or download it as Excel." in third.content.decode()
    # A small ledger is never counted or refused; another person has an allowance of their own.
    assert _pdf(clerk, unit=world.unit_a.pk).status_code == 200
    assert _pdf(browser_for(world.director)).status_code == 200


def test_the_rate_limit_check_runs_and_passes_in_the_embedded_mode(settings):
    # django-ratelimit's check (it refuses a cache that is not shared) runs: the app is installed.
    # It refuses a local-memory cache, which is silenced for the embedded mode only (one server
    # process), so `manage.py check` stays clean there.
    assert "django_ratelimit" in settings.INSTALLED_APPS
    call_command("check", "--fail-level", "WARNING")


def test_the_limits_hold_for_ledgers_drawn_by_the_worker(world, four_rows, monkeypatch):
    monkeypatch.setattr(jobs, "LEDGER_PDF_INLINE_ROWS", 1)
    clerk = browser_for(world.clerk)

    def ask(client):  # the download button: a POST
        return client.post(reverse("notices:ledger_pdf"))

    # The page a GET shows (its button queues the job) uses none of the allowance.
    assert [_pdf(clerk).status_code for _ in range(3)] == [200, 200, 200]
    assert [ask(clerk).status_code for _ in range(2)] == [302, 302]
    assert ask(clerk).status_code == 429
    assert ask(browser_for(world.observer)).status_code == 403
    # An observer is told at once, before pressing anything.
    assert _pdf(browser_for(world.observer)).status_code == 403
    # Asking twice while the first is prepared is that same job; the refusals queued nothing.
    assert Job.objects.count() == 1
