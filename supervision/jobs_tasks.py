"""The tasks the worker runs (``manage.py db_worker``, a process of its own).

``job_run`` only hands a background job's id to ``services.jobs.job_execute``, which decides
everything: a job already finished or taken is skipped, a failure is kept on the job and tried
again later by enqueuing this task anew with ``run_after``. The task itself therefore never fails.

``issued_document_task`` stores the PDF of a letter just issued or a notice just published
(``services.issued_documents``): queued once the issue has committed, idempotent (a document
already stored is left alone), and queued again by ``tick`` should the hand-over be lost or the
run fail.
"""

from __future__ import annotations

from django_tasks import task

from supervision.services.issued_documents import issued_document_store
from supervision.services.jobs import job_execute


@task()
def job_run(job_id: int) -> str:
    return job_execute(job_id)


@task()
def issued_document_task(letter_id: int | None = None, notice_id: int | None = None) -> str:
    """What became of it, for the task's log: "stored v<n>", "already stored", "not issued"."""
    if letter_id is not None:
        ensured = issued_document_store(letter=letter_id)
    else:
        ensured = issued_document_store(notice=notice_id)
    if ensured.document is None:
        return "not issued"
    return f"stored v{ensured.document.version}" if ensured.stored else "already stored"
