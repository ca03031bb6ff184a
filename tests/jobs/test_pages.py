"""The job pages: who may see a job and fetch its file, the poll's JSON and its cost, "My
downloads", and addresses that name no job."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from supervision import clock
from supervision.models import Job, JobState
from supervision.services import jobs as job_services
from supervision.services.jobs import KINDS, JobKind, JobOutput, job_request
from tests.helpers import browser_for
from tests.jobs.helpers import content_of, run_jobs

TEST_KIND = "test_page_document"


@pytest.fixture
def kind(monkeypatch):
    def run(job, progress):
        progress(3, 4)
        return JobOutput(ContentFile(b"%PDF-1.7 secret"), "台账.pdf", "application/pdf")

    monkeypatch.setitem(KINDS, TEST_KIND, JobKind(TEST_KIND, check=lambda actor, params: None, run=run))
    monkeypatch.setattr(job_services, "PROGRESS_INTERVAL", 0)


@pytest.fixture
def done(world, kind, django_capture_on_commit_callbacks) -> Job:
    """Unit A's liaison's finished job."""
    with django_capture_on_commit_callbacks(execute=True):
        job = job_request(actor=world.liaison_a, kind=TEST_KIND, params={}, title="甲县台账")
    run_jobs()
    job.refresh_from_db()
    return job


def _urls(job_id) -> list[str]:
    return [
        reverse("jobs:detail", args=[job_id]),
        reverse("jobs:status", args=[job_id]),
        reverse("jobs:file", args=[job_id]),
    ]


@pytest.mark.parametrize("who", ["liaison_b", "leader_a", "outsider"])
def test_nobody_else_sees_or_fetches_a_job(world, done, who):
    # Another unit, a colleague of the same unit, someone without a role: as if it did not exist.
    client = browser_for(getattr(world, who))
    for url in _urls(done.uuid):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("jobs:retry", args=[done.uuid])).status_code == 404
    assert "甲县台账" not in client.get(reverse("jobs:list")).content.decode()


@pytest.mark.parametrize("who", ["liaison_a", "clerk", "observer"])
def test_the_requester_and_the_office_see_and_fetch_it(world, done, who):
    client = browser_for(getattr(world, who))
    for url in _urls(done.uuid):
        assert client.get(url).status_code == 200, url
    assert content_of(client, done) == b"%PDF-1.7 secret"


def test_a_login_is_needed(client, done):
    for url in [*_urls(done.uuid), reverse("jobs:list")]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


def test_addresses_that_name_no_job_are_not_found(world, done):
    client = browser_for(world.clerk)
    for bad in ("not-a-uuid", "123", "0" * 40, f"{done.uuid}x", "%00"):
        for suffix in ("", "status.json", "file", "retry/"):
            response = client.get(f"/jobs/{bad}/{suffix}")
            assert response.status_code == 404, (bad, suffix)
    for url in _urls(uuid.uuid4()):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("jobs:status", args=[uuid.uuid4()])).json() == {"state": "unknown"}


def test_the_poll_says_how_far_it_has_got_in_a_bounded_number_of_queries(
    world, kind, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_request(actor=world.liaison_a, kind=TEST_KIND, params={}, title="甲县台账")
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, rows_done=150, rows_total=600)
    mine, office = browser_for(world.liaison_a), browser_for(world.clerk)
    mine.get(reverse("jobs:list"))  # the session is read once before counting
    url = reverse("jobs:status", args=[job.uuid])
    # The session, the user, the job (and, for someone else's, their roles).
    with django_assert_max_num_queries(4):
        status = mine.get(url).json()
    assert status == {
        "state": "running",
        "state_label": "Running",
        "rows_done": 150,
        "rows_total": 600,
        "percent": 25,
        "phase": "",
        "finished": False,
        "text": "150 of 600 done (25%)",
    }
    office.get(reverse("jobs:list"))
    # Someone else's job: also the requester's units and the office above them (a few reads of
    # the tree, whatever its size), so that another city's staff cannot follow it.
    with django_assert_max_num_queries(9):
        assert office.get(url).json()["percent"] == 25
    Job.objects.filter(pk=job.pk).update(state=JobState.QUEUED)
    run_jobs()
    finished = mine.get(url).json()
    assert finished["finished"] is True and finished["state"] == "done" and finished["percent"] == 100


def test_my_downloads_lists_one_s_own_jobs_of_the_last_day(world, done, kind, django_assert_max_num_queries):
    old = Job.objects.create(
        kind=TEST_KIND,
        title="上周的台账",
        requested_by=world.liaison_a,
        state=JobState.EXPIRED,
        created_at=clock.now() - dt.timedelta(days=2),
    )
    others = Job.objects.create(kind=TEST_KIND, title="乙县台账", requested_by=world.liaison_b, created_at=clock.now())
    for n in range(10):
        Job.objects.create(kind=TEST_KIND, title=f"台账{n}", requested_by=world.liaison_a, created_at=clock.now())
    client = browser_for(world.liaison_a)
    client.get(reverse("jobs:detail", args=[done.uuid]))
    with django_assert_max_num_queries(6):
        page = client.get(reverse("jobs:list")).content.decode()
    assert "甲县台账" in page and "台账9" in page
    assert reverse("jobs:file", args=[done.uuid]) in page
    assert old.title not in page and others.title not in page


def test_a_job_page_in_chinese(world, done):
    page = browser_for(world.liaison_a, "zh-hans").get(reverse("jobs:detail", args=[done.uuid]))
    assert page.status_code == 200 and "甲县台账" in page.content.decode()
