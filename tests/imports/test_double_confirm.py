"""Confirming the same list twice (a double click, two tabs, the worker and a page) imports it
once: the import checks the letter's items again under the letter's lock, and a long list's
import job is not queued twice for the same upload."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from notices import jobs
from notices.job_kinds import uploads
from notices.services import letter_import_items
from supervision import clock, services
from supervision.models import AuditEvent, Item, Job, Letter
from tests.factories import FUTURE
from tests.helpers import browser_for, draft_letter
from tests.imports.flow import YEAR, confirm, post_upload, problems, token_in, token_of, workbook, xlsx
from tests.jobs.helpers import run_jobs

ALREADY = "This list has already been imported into the letter."


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


def test_the_same_list_confirmed_twice_is_imported_once(world, draft):
    first = letter_import_items(actor=world.clerk, letter=draft, workbook_file=xlsx(problems(3)), campaign_year=YEAR)
    assert first.ok and len(first.items) == 3
    audit = AuditEvent.objects.count()

    again = letter_import_items(actor=world.clerk, letter=draft, workbook_file=xlsx(problems(3)), campaign_year=YEAR)

    assert not again.ok and [str(e) for e in again.errors] == [ALREADY]
    assert Item.objects.filter(letter=draft).count() == 3
    assert AuditEvent.objects.count() == audit


def test_a_list_partly_on_the_letter_names_each_row_and_writes_nothing(world, draft):
    services.item_add(
        actor=world.clerk,
        letter=draft,
        description="安置点问题2",
        measures="完善配套设施",
        deadline=FUTURE,
        lead_unit_ids=[world.unit_a.pk],
    )

    result = letter_import_items(actor=world.clerk, letter=draft, workbook_file=xlsx(problems(3)), campaign_year=YEAR)

    assert [str(e) for e in result.errors] == ["Row 3, 问题描述: The letter already has this problem, as item 1."]
    assert Item.objects.filter(letter=draft).count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="races need PostgreSQL row locks; set DATABASE_URL to a PostgreSQL database to run them",
)
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_import_the_list_once(world):
    letter = draft_letter(world, items=[])
    content = workbook(("问题清单", problems(4)))
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def run(i: int) -> None:
        import io

        from django.utils import translation

        try:
            barrier.wait(timeout=30)
            # A thread starts in the site's language; the assertions read the English messages.
            with translation.override("en"):
                outcomes[i] = letter_import_items(
                    actor=world.clerk,
                    letter=Letter(pk=letter.pk),
                    workbook_file=io.BytesIO(content),
                    campaign_year=YEAR,
                )
        except Exception as exc:  # noqa: BLE001 - the test checks every outcome
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung: a lock was never released"

    assert sorted(o.ok for o in outcomes) == [False, True], outcomes
    loser = next(o for o in outcomes if not o.ok)
    assert [str(e) for e in loser.errors] == [ALREADY]
    assert Item.objects.filter(letter=letter).count() == 4
    assert sorted(Item.objects.filter(letter=letter).values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_a_long_list_confirmed_twice_queues_one_import(world, draft, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(uploads, "INLINE_ROWS", 2)
    clerk = browser_for(world.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        url = post_upload(clerk, draft, problems(3))["Location"]
    run_jobs()
    page = clerk.get(url).content.decode()
    token = token_of(page)

    with django_capture_on_commit_callbacks(execute=True):
        first = confirm(clerk, draft, token)
        # The second tab chose another lead: not the same request, still the same list.
        second = confirm(clerk, draft, token_in(url), lead_3=world.unit_a.pk)

    imports = Job.objects.filter(kind=jobs.PROBLEM_LIST_IMPORT)
    assert imports.count() == 1
    job = imports.get()
    assert first["Location"] == second["Location"] == reverse("jobs:detail", args=[job.uuid])
    run_jobs()
    assert Item.objects.filter(letter=draft).count() == 3


def test_an_import_job_that_refused_the_list_allows_another_try(world, draft):
    held = "held/none.xlsx"
    job = Job.objects.create(
        kind=jobs.PROBLEM_LIST_IMPORT,
        params={"held": held},
        created_at=clock.now(),
        requested_by=world.clerk,
        state="done",
        result={"ok": False},
    )
    assert uploads.import_job_of(held) is None
    Job.objects.filter(pk=job.pk).update(result={"ok": True})
    assert uploads.import_job_of(held) == job
    Job.objects.filter(pk=job.pk).update(state="queued", result={})
    assert uploads.import_job_of(held) == job
    assert uploads.import_job_of("held/other.xlsx") is None
