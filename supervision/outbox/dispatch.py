"""The worker's loop: expand new events, then send what is due, in batches, until nothing is left.

Sending a batch:

1. **Take** up to SEND_BATCH due deliveries (PENDING or HELD whose moment came, or SENDING whose
   lease ran out: the worker sending it died) and mark them SENDING with a lease, in one short
   transaction. PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so two workers take different
   rows; SQLite: one conditional UPDATE per row (``WHERE`` it is still due), so a row taken by
   another process in between is not taken again. The lease's end doubles as this worker's
   mark: only rows still carrying it are recorded at the end.
2. **Send** them, outside any transaction (a slow channel holds no lock): each is prepared in the
   worker's thread, then up to SEND_THREADS are transmitted at once (senders/__init__.py).
   Right before each send the worker makes sure it still holds the delivery (``_claim``): enough
   of its lease is left for the send to end within it, the row still carries the lease (one
   primary-key read), and its channel is still on. A send's length is bounded (``send_span``: a
   POST is cut off at its deadline however slowly its answer trickles in, senders/base.py; an
   e-mail is limited per exchange with the mail server), so a worker never sends a message after
   its lease ran out, when a second worker may already have taken the row and sent it too. What
   the lease no longer covers goes back, due at once, for the next batch; what another worker
   took over is left to it.
3. **Record** every outcome in one transaction: a DeliveryAttempt per try (status code, an error
   with no secret in it), SENT with its time, or back to PENDING with a backoff of
   OUTBOX_BACKOFF_SECONDS × 2ⁿ (at most an hour), or FAILED after OUTBOX_MAX_ATTEMPTS tries,
   or at once when the error is permanent (the request itself is wrong: senders/base.py
   Outcome.permanent), which also shows on the channel (last_error).

A delivery for a channel that is turned off is not sent (the page promises "nothing is sent to
it until it is turned on"): whatever was queued before, held for quiet hours, waiting for a
retry, is ended as FAILED when its moment comes, with no attempt and an error that says why
(channel_off_error), which the monitor and the channel's page show. It is not kept waiting for the
channel to come back: a channel is turned off because its group or its receiver is gone or wrong,
and turning it on weeks later should not pour weeks-old messages into a group; the office can
still send any of them again from the monitor once the channel is on. Waiting rows would also
stay due for ever, and every batch would step over them. The test message is the exception: the
test button sends to a channel on purpose, on or off (services.channel_test_message).

A worker killed between 2 and 3 leaves SENDING rows whose lease runs out; the next worker sends
them again. So each message goes out once, or at most once more after a crash mid-send, with the
same delivery id (webhook header, e-mail Message-ID) for a receiver to drop the repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Channel, ChannelKind, Delivery, DeliveryAttempt, DeliveryStatus, OutboxEvent

from .expand import ROBOTS, events_expand
from .senders import SENDERS, Outcome, Transmit, redact
from .senders.base import http_span
from .write import CHANNEL_TEST

logger = logging.getLogger("supervision.outbox")

SEND_BATCH = 20
# Transmissions of a batch at once (OUTBOX_SEND_THREADS overrides it).
SEND_THREADS = 8
# A group robot takes about 20 messages a minute; more are answered with a rate-limit error.
ROBOT_PER_MINUTE = 20
MAX_BACKOFF = 3600
# Seconds between looks while a job lingers.
LINGER_POLL = 0.1
# An SMTP conversation is about ten exchanges (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT,
# DATA, the message, QUIT), each waiting at most EMAIL_TIMEOUT; the mail library sets no limit on
# the whole conversation.
EMAIL_EXCHANGES = 10


def _email_timeout() -> float:
    return float(getattr(settings, "EMAIL_TIMEOUT", 0) or settings.OUTBOX_TIMEOUT)


def send_span(kind: str) -> float:
    """The longest one send of this kind takes."""
    if kind == ChannelKind.EMAIL:
        return EMAIL_EXCHANGES * _email_timeout()
    return http_span()


def lease_seconds() -> float:
    """How long a taken batch is this worker's: the batch's sends timing out one after another
    (at least the longest single send), and a margin. OUTBOX_LEASE_SECONDS sets it (tests), but
    never so short that the longest send would not fit in it: a batch that can send nothing would
    be taken again and again."""
    longest = max(send_span(ChannelKind.EMAIL), send_span(ChannelKind.WEBHOOK))
    fixed = getattr(settings, "OUTBOX_LEASE_SECONDS", None)
    if fixed:
        return max(float(fixed), 1.25 * longest)
    slowest = max(float(settings.OUTBOX_TIMEOUT), _email_timeout())
    return max(slowest * SEND_BATCH, longest) + 60


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


def channel_off(delivery: Delivery) -> bool:
    """Whether a delivery's channel is turned off (an e-mail has none; a test message goes anyway)."""
    channel = delivery.channel
    return channel is not None and not channel.enabled and delivery.event.name != CHANNEL_TEST


def channel_off_error() -> str:
    # In the worker's language, like the senders' errors: stored, then read on the monitor.
    return _(
        "The channel is turned off: this message was not sent. "
        "Turn the channel on, then send it again if it is still needed."
    )


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


def _prepare(delivery: Delivery) -> Transmit:
    """A delivery's transmission, prepared in the worker's thread (database reads, translation)."""
    prepare = SENDERS.get(delivery.kind)
    if prepare is None:
        return lambda: Outcome(False, error=f"no sender for {delivery.kind}")
    try:
        return prepare(delivery)
    except Exception as exc:  # a sender bug must not stop the batch; it is recorded and retried
        logger.exception("outbox: preparing delivery %s failed unexpectedly", delivery.uuid)
        error = redact(f"{type(exc).__name__}: {exc}")
        return lambda: Outcome(False, error=error)


def _transmit(transmit: Transmit) -> tuple[Outcome, float, float]:
    """Run one transmission: (outcome, start, end) on the monotonic clock."""
    start = time.monotonic()
    try:
        outcome = transmit()
    except Exception as exc:  # as above: recorded, retried, and the other sends go on
        logger.exception("outbox: a transmission failed unexpectedly")
        outcome = Outcome(False, error=redact(f"{type(exc).__name__}: {exc}"))
    return outcome, start, time.monotonic()


def send_threads() -> int:
    return max(1, int(getattr(settings, "OUTBOX_SEND_THREADS", SEND_THREADS)))


@dataclass(frozen=True)
class Lease:
    """What a worker holds of a batch: the rows' ``leased_until`` (its mark on them) and when
    the lease ends on this process's monotonic clock (the domain clock is frozen in tests)."""

    until: dt.datetime
    ends: float


@dataclass
class Skipped:
    """Deliveries of a batch not sent, by why."""

    late: list[Delivery] = field(default_factory=list)  # too little of the lease left: put back
    lost: list[Delivery] = field(default_factory=list)  # no longer this worker's: left alone
    off: list[Delivery] = field(default_factory=list)  # the channel was turned off meanwhile


def _claim(d: Delivery, lease: Lease, skipped: Skipped) -> bool:
    """Right before a send: whether this worker may still send ``d`` (else it is noted in
    ``skipped``). The time check costs nothing; the row is then read by its primary key."""
    if time.monotonic() + send_span(d.kind) > lease.ends:
        skipped.late.append(d)
        return False
    row = (
        Delivery.objects.filter(pk=d.pk, status=DeliveryStatus.SENDING, leased_until=lease.until)
        .values_list("pk", "channel__enabled")
        .first()
    )
    if row is None:
        logger.info("outbox: delivery %s was taken over by another worker before it was sent", d.uuid)
        skipped.lost.append(d)
        return False
    if row[1] is False and d.event.name != CHANNEL_TEST:
        skipped.off.append(d)
        return False
    return True


def _send_all(batch: list[Delivery], lease: Lease) -> tuple[list[Sent], Skipped]:
    """Prepare each delivery here, then transmit them from up to ``send_threads()`` threads, each
    claimed (``_claim``) in this thread when a sending thread is free for it, so right before it
    goes. Times are taken from the domain clock once and the monotonic clock per send, so
    attempts carry the frozen clock's times in tests and real durations everywhere."""
    prepared = [_prepare(d) for d in batch]
    base, origin = clock.now(), time.monotonic()
    threads = min(send_threads(), len(prepared))
    skipped = Skipped()
    done: list[tuple[Delivery, tuple[Outcome, float, float]]] = []
    if threads <= 1:
        done = [(d, _transmit(t)) for d, t in zip(batch, prepared, strict=True) if _claim(d, lease, skipped)]
    else:
        free = threading.Semaphore(threads)
        running: list[tuple[Delivery, Future[tuple[Outcome, float, float]]]] = []
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="outbox-send") as pool:
            for d, transmit in zip(batch, prepared, strict=True):
                free.acquire()  # a thread is free for this send
                if not _claim(d, lease, skipped):
                    free.release()
                    continue
                future = pool.submit(_transmit, transmit)
                future.add_done_callback(lambda _f: free.release())
                running.append((d, future))
        done = [(d, future.result()) for d, future in running]
    sent = [
        Sent(d, outcome, base + dt.timedelta(seconds=start - origin), int((end - start) * 1000))
        for d, (outcome, start, end) in done
    ]
    return sent, skipped


@dataclass
class DispatchResult:
    expanded: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # robots over their rate, put back for a minute; sends the lease no longer covered

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _record(
    sent: list[Sent],
    waiting: list[Delivery],
    off: list[Delivery],
    late: list[Delivery],
    lease: dt.datetime,
    result: DispatchResult,
) -> None:
    """Write a batch's outcomes in one transaction, in few statements: the deliveries that went
    out in one UPDATE, those put back for a minute in another, those of a channel turned off in a
    third, those the lease no longer covered back at once in a fourth, each failure on its own
    (rare).
    (``bulk_update`` would write them in one statement, but building its CASE expressions cost
    more than a hundred milliseconds a batch.)"""
    now = clock.now()
    max_attempts = int(settings.OUTBOX_MAX_ATTEMPTS)
    with transaction.atomic():
        ids = [s.delivery.pk for s in sent] + [d.pk for d in waiting + off + late]
        # Only rows still carrying this worker's lease: if it ran out and another worker took a
        # row over, that worker records it.
        mine = set(
            Delivery.objects.select_for_update()
            .filter(pk__in=ids, status=DeliveryStatus.SENDING, leased_until=lease)
            .values_list("pk", flat=True)
        )
        attempts: list[DeliveryAttempt] = []
        delivered: list[int] = []
        ok_channels: set[int] = set()
        broken: dict[int, str] = {}
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
            if outcome.ok:
                delivered.append(d.pk)
                if d.channel_id:
                    ok_channels.add(d.channel_id)
                continue
            tries = d.attempts + 1
            error = outcome.error[:300]
            if tries >= max_attempts or outcome.permanent:
                status, due = DeliveryStatus.FAILED, d.due_at
                result.failed += 1
                if d.channel_id:
                    broken[d.channel_id] = error
                logger.warning("outbox: delivery %s failed for good: %s", d.uuid, error)
            else:
                wait = max(backoff(tries), dt.timedelta(seconds=outcome.retry_after or 0))
                status, due = DeliveryStatus.PENDING, now + wait
                result.retrying += 1
                logger.info("outbox: delivery %s try %d failed: %s", d.uuid, tries, error)
            Delivery.objects.filter(pk=d.pk).update(
                status=status, attempts=tries, due_at=due, leased_until=None, last_error=error
            )
        if delivered:
            Delivery.objects.filter(pk__in=delivered).update(
                status=DeliveryStatus.SENT, attempts=F("attempts") + 1, sent_at=now, leased_until=None, last_error=""
            )
            result.sent += len(delivered)
        back = [d.pk for d in waiting if d.pk in mine]
        if back:
            Delivery.objects.filter(pk__in=back).update(
                status=DeliveryStatus.PENDING, due_at=now + dt.timedelta(minutes=1), leased_until=None
            )
            result.deferred += len(back)
        again = [d.pk for d in late if d.pk in mine]
        if again:
            # Not tried: due at once, for the next batch and its fresh lease.
            Delivery.objects.filter(pk__in=again).update(status=DeliveryStatus.PENDING, due_at=now, leased_until=None)
            result.deferred += len(again)
        ended = [d.pk for d in off if d.pk in mine]
        if ended:
            # Not an attempt (nothing was tried): the count of tries stays as it was.
            Delivery.objects.filter(pk__in=ended).update(
                status=DeliveryStatus.FAILED, leased_until=None, last_error=channel_off_error()[:300]
            )
            result.failed += len(ended)
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
    started = time.monotonic()
    ids, until = deliveries_take(now=now, limit=limit)
    if not ids:
        return 0
    lease = Lease(until, started + lease_seconds())
    if len(ids) == limit and on_full is not None:
        on_full()  # more is waiting: let an idle worker help
    batch = list(
        Delivery.objects.filter(pk__in=ids)
        .select_related("event__assignment__unit", "event__assignment__item", "event__assignment__letter")
        .select_related("event__letter", "channel", "user")
        .order_by("due_at", "id")
    )
    off = [d for d in batch if channel_off(d)]
    if off:
        batch = [d for d in batch if not channel_off(d)]
    go, waiting = _robot_room(batch, now)
    sent, skipped = _send_all(go, lease)
    _record(sent, waiting, off + skipped.off, skipped.late, until, result if result is not None else DispatchResult())
    return len(ids)


def dispatch_run(
    *, on_full: Callable[[], None] | None = None, linger: float = 0.0, max_batches: int = 100_000
) -> DispatchResult:
    """Expand and send until nothing is due now, then keep looking for ``linger`` seconds (the
    job does, see tasks.py; a direct call does not). ``on_full`` is called when a batch came back
    full (the job queues one more dispatch, so a second worker joins in)."""
    result = DispatchResult()
    idle_since: float | None = None
    for _batch in range(max_batches):
        expanded = events_expand(now=clock.now())
        result.expanded += expanded
        taken = deliveries_send(now=clock.now(), result=result, on_full=on_full)
        if expanded or taken:
            idle_since = None
            continue
        idle_since = idle_since if idle_since is not None else time.monotonic()
        if time.monotonic() - idle_since >= linger:
            break  # the last look came after the whole linger
        time.sleep(LINGER_POLL)
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
