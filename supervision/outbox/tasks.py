"""The worker's job (django-tasks; ``manage.py db_worker`` runs it).

``outbox_dispatch`` expands and sends until nothing is due. It is queued after each transaction
that wrote events (write.dispatch_soon), by tick when work is waiting (a lost enqueue, a retry
or a held message come due), and by itself when a batch came back full, so that a second worker
joins in. Queuing is skipped while a dispatch job is already waiting to start: that job will
see everything committed before it starts, so one waiting job is enough.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

from supervision import clock

from .dispatch import dispatch_run, next_due

# A retry or a held message due within this long gets a job scheduled for it; later ones are
# found by tick, which runs every minute.
FOLLOW_UP = dt.timedelta(minutes=10)
# Once a dispatch job finds nothing to do it keeps looking this long (seconds) before it ends.
# A process that saw a job waiting less than DEBOUNCE ago does not ask again after its next
# commit: that job started after the sighting, so it is still looking when the commit lands.
# Under load this saves the question after nearly every transition; DEBOUNCE < LINGER keeps it safe.
LINGER = 1.0
DEBOUNCE = 0.25

_seen_waiting = -DEBOUNCE  # time.monotonic() of this process's last sighting of a waiting job


@task()
def outbox_dispatch() -> dict[str, Any]:
    result = dispatch_run(on_full=dispatch_enqueue, linger=LINGER)
    upcoming = next_due()
    if upcoming is not None and upcoming - clock.now() < FOLLOW_UP:
        dispatch_enqueue(run_after=upcoming)
    return result.as_dict()


def _waiting(run_after: dt.datetime | None) -> bool:
    """Whether a dispatch job is queued that will start by ``run_after`` (now, when None): one
    indexed EXISTS on the queue's READY rows, asked at most once per DEBOUNCE by a process."""
    if not isinstance(outbox_dispatch.get_backend(), DatabaseBackend):
        return False  # another backend (the immediate one in some tests) runs it at once anyway
    # The queue's model, imported here: this module is imported before the app registry is ready.
    from django_tasks_db.models import DBTaskResult, get_date_max

    moment = run_after or timezone.now()
    return (
        DBTaskResult.objects.filter(status="READY", task_path=outbox_dispatch.module_path)
        # The queue stores "no run_after" as the greatest date: such a job runs when a worker is free.
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=moment))
        .exists()
    )


def dispatch_after_commit() -> None:
    """After a transaction that wrote events: make sure a dispatch job will start, asking the
    queue at most once per DEBOUNCE in this process."""
    global _seen_waiting
    if not isinstance(outbox_dispatch.get_backend(), DatabaseBackend):
        outbox_dispatch.enqueue()  # another backend runs it at once, or never (tests)
        return
    asked = time.monotonic()
    if asked - _seen_waiting < DEBOUNCE:
        return
    dispatch_enqueue()
    # Queued or found waiting: either way a job started no earlier than ``asked`` will run.
    _seen_waiting = asked


def dispatch_enqueue(*, run_after: dt.datetime | None = None) -> bool:
    """Queue a dispatch job unless one already waits. Returns whether one was queued."""
    if _waiting(run_after):
        return False
    if run_after is None:
        outbox_dispatch.enqueue()
    else:
        outbox_dispatch.using(run_after=run_after).enqueue()
    return True
