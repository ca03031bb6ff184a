"""The worker's loop: expand new events, then send what is due, in batches, until nothing is left.

Sending a batch:

1. **Take** up to SEND_BATCH due deliveries (PENDING or HELD whose moment came, or SENDING whose
   lease ran out: the worker sending it died) and mark them SENDING with a lease, in one short
   transaction. PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so two workers take different
   rows; SQLite: one conditional UPDATE per row (``WHERE`` it is still due), so a row taken by
   another process in between is not taken again. The lease's end doubles as this worker's
   mark: only rows still carrying it are recorded at the end.
2. **Send** each, outside any transaction (a slow channel holds no lock).
3. **Record** every outcome in one transaction: a DeliveryAttempt per try (status code, an error
   with no secret in it), SENT with its time, or back to PENDING with a backoff of
   OUTBOX_BACKOFF_SECONDS × 2ⁿ (at most an hour), or FAILED after OUTBOX_MAX_ATTEMPTS tries,
   which also shows on the channel (last_error).

A worker killed between 2 and 3 leaves SENDING rows whose lease runs out; the next worker sends
them again. So each message goes out once, or at most once more after a crash mid-send, with the
same delivery id (webhook header, e-mail Message-ID) for a receiver to drop the repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q

from supervision import clock
from supervision.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus, OutboxEvent

from .expand import ROBOTS, events_expand
from .senders import SENDERS, Outcome, redact

logger = logging.getLogger("supervision.outbox")

SEND_BATCH = 20
# A group robot takes about 20 messages a minute; more are answered with a rate-limit error.
ROBOT_PER_MINUTE = 20
MAX_BACKOFF = 3600


def lease_seconds() -> float:
    """How long a taken batch is this worker's: every send of the batch timing out, and a margin.
    OUTBOX_LEASE_SECONDS overrides it (tests)."""
    fixed = getattr(settings, "OUTBOX_LEASE_SECONDS", None)
    if fixed:
        return float(fixed)
    slowest = max(float(settings.OUTBOX_TIMEOUT), float(getattr(settings, "EMAIL_TIMEOUT", 0) or 0))
    return slowest * SEND_BATCH + 60


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min … at most an hour."""
    base = int(settings.OUTBOX_BACKOFF_SECONDS)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF))


def due_filter(now: dt.datetime) -> Q:
    return Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.HELD], due_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, leased_until__lt=now
    )


def deliveries_take(*, now: dt.datetime, limit: int = SEND_BATCH) -> tuple[list[int], dt.datetime]:
    """Take up to ``limit`` due deliveries for this worker: (their ids, the lease's end)."""
    lease = now + dt.timedelta(seconds=lease_seconds())
    due = due_filter(now)
    with transaction.atomic():
        candidates = Delivery.objects.filter(due).order_by("due_at", "id").values_list("pk", flat=True)
        if connection.vendor == "postgresql":
            ids = list(candidates.select_for_update(skip_locked=True)[:limit])
            if ids:
                Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.SENDING, leased_until=lease)
            return ids, lease
        ids = [
            pk
            for pk in list(candidates[:limit])
            if Delivery.objects.filter(due, pk=pk).update(status=DeliveryStatus.SENDING, leased_until=lease)
        ]
    return ids, lease


def _robot_room(batch: list[Delivery], now: dt.datetime) -> tuple[list[Delivery], list[Delivery]]:
    """Split a batch into what the robots can take this minute and what waits for the next."""
    robots = {d.channel_id for d in batch if d.kind in ROBOTS}
    if not robots:
        return batch, []
    recent = dict(
        Delivery.objects.filter(
            channel_id__in=robots, status=DeliveryStatus.SENT, sent_at__gt=now - dt.timedelta(minutes=1)
        )
        .values("channel_id")
        .annotate(n=Count("id"))
        .values_list("channel_id", "n")
    )
    go, wait = [], []
    for d in batch:
        if d.kind in ROBOTS:
            recent[d.channel_id] = recent.get(d.channel_id, 0) + 1
            if recent[d.channel_id] > ROBOT_PER_MINUTE:
                wait.append(d)
                continue
        go.append(d)
    return go, wait


@dataclass
class Sent:
    delivery: Delivery
    outcome: Outcome
    started_at: dt.datetime
    duration_ms: int


def _send(delivery: Delivery) -> Sent:
    started_at, t0 = clock.now(), time.monotonic()
    sender = SENDERS.get(delivery.kind)
    try:
        outcome = sender(delivery) if sender is not None else Outcome(False, error=f"no sender for {delivery.kind}")
    except Exception as exc:  # a sender bug must not stop the batch; it is recorded and retried
        logger.exception("outbox: sending delivery %s failed unexpectedly", delivery.uuid)
        outcome = Outcome(False, error=redact(f"{type(exc).__name__}: {exc}"))
    return Sent(delivery, outcome, started_at, int((time.monotonic() - t0) * 1000))


@dataclass
class DispatchResult:
    expanded: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # robots over their rate, put back for a minute

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _record(sent: list[Sent], waiting: list[Delivery], lease: dt.datetime, result: DispatchResult) -> None:
    now = clock.now()
    max_attempts = int(settings.OUTBOX_MAX_ATTEMPTS)
    with transaction.atomic():
        ids = [s.delivery.pk for s in sent] + [d.pk for d in waiting]
        # Only rows still carrying this worker's lease: if it ran out and another worker took a
        # row over, that worker records it.
        mine = set(
            Delivery.objects.select_for_update()
            .filter(pk__in=ids, status=DeliveryStatus.SENDING, leased_until=lease)
            .values_list("pk", flat=True)
        )
        changed: list[Delivery] = []
        attempts: list[DeliveryAttempt] = []
        ok_channels: set[int] = set()
        broken: dict[int, str] = {}
        for d in waiting:
            if d.pk in mine:
                d.status, d.due_at, d.leased_until = DeliveryStatus.PENDING, now + dt.timedelta(minutes=1), None
                changed.append(d)
                result.deferred += 1
        for s in sent:
            d, outcome = s.delivery, s.outcome
            if d.pk not in mine:
                continue
            attempts.append(
                DeliveryAttempt(
                    delivery=d,
                    started_at=s.started_at,
                    duration_ms=s.duration_ms,
                    ok=outcome.ok,
                    status_code=outcome.status_code,
                    error=outcome.error[:300],
                )
            )
            d.attempts += 1
            d.leased_until = None
            if outcome.ok:
                d.status, d.sent_at, d.last_error = DeliveryStatus.SENT, s.started_at, ""
                result.sent += 1
                if d.channel_id:
                    ok_channels.add(d.channel_id)
            elif d.attempts >= max_attempts:
                d.status, d.last_error = DeliveryStatus.FAILED, outcome.error[:300]
                result.failed += 1
                if d.channel_id:
                    broken[d.channel_id] = outcome.error[:300]
                logger.warning("outbox: delivery %s failed for good: %s", d.uuid, outcome.error)
            else:
                wait = max(backoff(d.attempts), dt.timedelta(seconds=outcome.retry_after or 0))
                d.status, d.due_at, d.last_error = DeliveryStatus.PENDING, now + wait, outcome.error[:300]
                result.retrying += 1
                logger.info("outbox: delivery %s try %d failed: %s", d.uuid, d.attempts, outcome.error)
            changed.append(d)
        fields = ["status", "attempts", "due_at", "leased_until", "last_error", "sent_at"]
        Delivery.objects.bulk_update(changed, fields, batch_size=100)
        DeliveryAttempt.objects.bulk_create(attempts)
        if ok_channels:
            # A channel that delivers is healthy again: its last error no longer describes it.
            Channel.objects.filter(pk__in=ok_channels).update(last_ok_at=now, last_error="")
        for channel_id, error in broken.items():
            Channel.objects.filter(pk=channel_id).update(last_error=error)


def deliveries_send(
    *,
    now: dt.datetime,
    result: DispatchResult | None = None,
    limit: int = SEND_BATCH,
    on_full: Callable[[], None] | None = None,
) -> int:
    """Take, send and record one batch, counting into ``result``. Returns how many were taken
    (0: nothing due)."""
    ids, lease = deliveries_take(now=now, limit=limit)
    if not ids:
        return 0
    if len(ids) == limit and on_full is not None:
        on_full()  # more is waiting: let an idle worker help
    batch = list(
        Delivery.objects.filter(pk__in=ids)
        .select_related("event__assignment__unit", "event__assignment__item", "event__assignment__letter")
        .select_related("event__letter", "channel", "user")
        .order_by("due_at", "id")
    )
    go, waiting = _robot_room(batch, now)
    sent = [_send(d) for d in go]
    _record(sent, waiting, lease, result if result is not None else DispatchResult())
    return len(ids)


def dispatch_run(*, on_full: Callable[[], None] | None = None, max_batches: int = 100_000) -> DispatchResult:
    """Expand and send until nothing is due now. ``on_full`` is called when a batch came back
    full (the job queues one more dispatch, so a second worker joins in)."""
    result = DispatchResult()
    for _ in range(max_batches):
        expanded = events_expand(now=clock.now())
        result.expanded += expanded
        taken = deliveries_send(now=clock.now(), result=result, on_full=on_full)
        if not expanded and not taken:
            break
    return result


def next_due() -> dt.datetime | None:
    """When the next PENDING or HELD delivery is due (retries, quiet hours), if any."""
    return (
        Delivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.HELD])
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def work_waiting(now: dt.datetime) -> bool:
    """Whether a dispatch has something to do now: an unexpanded event, a due delivery, or one
    whose sender's lease ran out. Two indexed existence checks."""
    return (
        OutboxEvent.objects.filter(expanded_at__isnull=True).exists()
        or Delivery.objects.filter(due_filter(now)).exists()
    )
