"""A job whose hand-over to the queue was lost (the process died between the commit and the
callback, or the queue refused it) does not wait for ever: tick queues it again once it is a few
minutes old and the queue holds no task for it. A job whose task is merely waiting (a busy worker,
a retry's pause) is left alone, so the queue does not fill with duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django_tasks_db.models import DBTaskResult

from supervision import clock
from supervision.jobs_tasks import job_run
from supervision.models import Job, JobState
from supervision.services import InvalidInput
from supervision.services import jobs as job_services
from supervision.services.cycles import tick_run
from supervision.services.job_housekeeping import jobs_recover
from supervision.services.jobs import KINDS, JobKind, JobOutput, job_request
from tests.jobs.helpers import run_jobs

KIND = "test_recovery"


@pytest.fixture(autouse=True)
def kind(monkeypatch):
    def run(job, progress):
        return JobOutput(ContentFile(b"made"), "made.txt", "text/plain")

    monkeypatch.setitem(KINDS, KIND, JobKind(KIND, check=lambda actor, params: None, run=run))


def _tasks() -> list[int]:
    """The job ids of the job tasks waiting in the queue."""
    rows = DBTaskResult.objects.filter(task_path=job_run.module_path, status="READY")
    return sorted(r.args_kwargs["args"][0] for r in rows)


def _lost(world, capture, n: int = 0) -> Job:
    """A job written and committed whose on_commit hand-over never ran."""
    with capture(execute=False):
        return job_request(actor=world.liaison_a, kind=KIND, params={"n": n}, title="文件")


def _later(job: Job, minutes: float) -> dt.datetime:
    return job.created_at + dt.timedelta(minutes=minutes)


def test_a_job_whose_hand_over_was_lost_is_queued_again_by_tick(world, django_capture_on_commit_callbacks):
    job = _lost(world, django_capture_on_commit_callbacks)
    assert job.state == JobState.QUEUED and _tasks() == []
    # A moment after the request its callback may still be on its way: nothing yet.
    assert jobs_recover(now=_later(job, 1)) == 0 and _tasks() == []
    with django_capture_on_commit_callbacks(execute=True):
        assert tick_run(now=_later(job, 4)).jobs_recovered == 1
    assert _tasks() == [job.pk]
    # Once queued it is not queued again, however long the worker takes to come to it.
    assert jobs_recover(now=_later(job, 30)) == 0 and _tasks() == [job.pk]
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_it_no_longer_blocks_the_persons_places(world, django_capture_on_commit_callbacks):
    lost = [_lost(world, django_capture_on_commit_callbacks, n) for n in range(job_services.MAX_PENDING)]
    with pytest.raises(InvalidInput, match="already have 5 documents being prepared"):
        _lost(world, django_capture_on_commit_callbacks, 99)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_recover(now=_later(lost[-1], 5)) == job_services.MAX_PENDING
    run_jobs()
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.DONE}
    assert _lost(world, django_capture_on_commit_callbacks, 99).state == JobState.QUEUED


def test_a_job_with_its_task_waiting_or_running_is_left_alone(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        waiting = job_request(actor=world.liaison_a, kind=KIND, params={}, title="文件")
    assert _tasks() == [waiting.pk]
    assert jobs_recover(now=_later(waiting, 60)) == 0 and _tasks() == [waiting.pk]
    # A retry's task waits for its run_after: still in the queue, not lost.
    DBTaskResult.objects.update(run_after=_later(waiting, 70))
    assert jobs_recover(now=_later(waiting, 60)) == 0
    # A task a worker is running now is not lost either; one left RUNNING by a worker that died is.
    task = DBTaskResult.objects.get()
    DBTaskResult.objects.update(status="RUNNING", started_at=_later(waiting, 59))
    assert jobs_recover(now=_later(waiting, 60)) == 0
    DBTaskResult.objects.update(started_at=_later(waiting, 60) - job_services.STALE_AFTER - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_recover(now=_later(waiting, 60)) == 1
    assert _tasks() == [waiting.pk] and DBTaskResult.objects.exclude(pk=task.pk).count() == 1


def test_a_queue_that_refuses_does_not_fail_the_request(world, monkeypatch, django_capture_on_commit_callbacks):
    def refuse(job_id, *, delay=0):
        raise ConnectionError("the queue's database is away")

    enqueue = job_services.job_enqueue
    monkeypatch.setattr(job_services, "job_enqueue", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_request(actor=world.liaison_a, kind=KIND, params={}, title="文件")
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED and _tasks() == []
    monkeypatch.setattr(job_services, "job_enqueue", enqueue)  # the queue is back
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_recover(now=clock.now() + job_services.LOST_AFTER + dt.timedelta(seconds=1)) == 1
    run_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE
