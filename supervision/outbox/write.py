"""Writing outbox events, in the transaction of the change that caused them.

A transition's notification call (services/notify.py, services/bulk_sql.py) writes exactly one
``OutboxEvent``: one INSERT, no read. Everything the worker needs later (which channels, which
e-mail addresses, the message text) is found when it expands the event, outside the transition.

After the transaction commits, one dispatch job is queued for the worker (``dispatch_soon``): at
most one per transaction however many events it wrote, and none when a dispatch job is already
waiting to start (it will see these rows too; tasks.py also says when the question is skipped).
If that enqueue is lost (the process dies right after the commit), tick finds the unexpanded
event within a minute and queues the job itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from supervision import clock, events
from supervision.models import OutboxEvent

# Events that are not in the integration catalog (supervision/events.py): a channel's test
# message, and a person's daily digest. The API's event feed leaves them out.
CHANNEL_TEST = "channel.test"
DIGEST = "digest"
INTERNAL_EVENTS = frozenset({CHANNEL_TEST, DIGEST})

# The office's reminders go out in quiet hours too: they are why the office pressed the button.
URGENT_VERBS = frozenset({"assignment_reminded"})


def outbox_event_build(
    *,
    verb: str,
    text: str,
    letter_id: int | None = None,
    assignment_id: int | None = None,
    notice_id: int | None = None,
    unit_ids: Iterable[int] = (),
    recipient_ids: Iterable[int] = (),
    payload: dict[str, Any] | None = None,
    created_at: dt.datetime | None = None,
) -> OutboxEvent:
    """An unsaved event for an inbox verb (its name from the catalog)."""
    return OutboxEvent(
        name=events.for_verb(verb).name,
        verb=verb,
        text=str(text)[:300],
        letter_id=letter_id,
        assignment_id=assignment_id,
        notice_id=notice_id,
        unit_ids=sorted(set(unit_ids)),
        recipient_ids=sorted(set(recipient_ids)),
        urgent=verb in URGENT_VERBS,
        payload=payload or {},
        created_at=created_at or clock.now(),
    )


def outbox_events_save(rows: Sequence[OutboxEvent]) -> None:
    """Write built events (one INSERT for all) and have the worker dispatch them after commit."""
    if not rows:
        return
    OutboxEvent.objects.bulk_create(rows, batch_size=500)
    dispatch_soon()


def outbox_event_add(**fields: Any) -> OutboxEvent:
    """Build and write one event (see ``outbox_event_build`` for the fields). The event is
    returned without its id (it is not read back)."""
    event = outbox_event_build(**fields)
    outbox_events_save([event])
    return event


def dispatch_soon() -> None:
    """Queue one dispatch job when the current transaction commits (at once outside one).

    A transaction that wrote several events registers the callback several times; the callbacks
    after the first find the question just asked (tasks.dispatch_after_commit's debounce) and do
    nothing."""
    # robust: a failed enqueue must not turn a committed change into an error page; tick's sweep
    # queues the job a minute later.
    transaction.on_commit(_dispatch_enqueue, robust=True)


def _dispatch_enqueue() -> None:
    from .tasks import dispatch_after_commit

    dispatch_after_commit()
