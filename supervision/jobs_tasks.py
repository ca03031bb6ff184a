"""The task the worker runs for a background job (``manage.py db_worker``, a process of its own).

It only hands the job's id to ``services.jobs.job_execute``, which decides everything: a job
already finished or taken is skipped, a failure is kept on the job and tried again later by
enqueuing this task anew with ``run_after``. The task itself therefore never fails.
"""

from __future__ import annotations

from django_tasks import task

from supervision.services.jobs import job_execute


@task()
def job_run(job_id: int) -> str:
    return job_execute(job_id)
