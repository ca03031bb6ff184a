"""Benchmark: the outbox's worker delivering 10,000 messages, with one and with two workers.

What runs, as deployed: ``manage.py db_worker`` processes (DEBUG off, one Python process each) on
the bench database take the dispatch job (supervision/outbox/tasks.py); a batch that comes back
full queues another job, so a second worker joins in. Each message is an outbox event for the
office's webhook, expanded by the worker into its delivery, then signed and POSTed to the local
receiver (supervision/outbox/receiver.py, a thread of this process, on 127.0.0.1), which checks
every signature and counts arrivals by delivery id. The clock starts when the job is queued (the
workers are already up and polling) and stops when the receiver holds every delivery id. Then
the database must say SENT for each, once, and the receiver must have no id twice.

Run alone: ``python -m bench.outbox [--messages 10000] [--workers 1 2]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-" + "s3cr3t" * 6
# How long a run may take before it is called stuck (10,000 messages take well under a minute).
TIMEOUT = 600
# Events written per INSERT while seeding (untimed).
SEED_BATCH = 1000


@dataclass
class WorkerRun:
    workers: int
    messages: int
    seconds: float
    arrived: int  # distinct delivery ids the receiver answered as arrived
    doubled: int  # delivery ids that arrived more than once
    lost: int  # deliveries not SENT in the database at the end
    attempts: int  # DeliveryAttempt rows written
    unverified: int  # requests whose signature did not check out

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return self.arrived == self.messages and not self.doubled and not self.lost and not self.unverified


@dataclass
class OutboxBenchResult:
    messages: int
    database: str
    runs: list[WorkerRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)


def _worker_env() -> dict[str, str]:
    from django.conf import settings
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        login = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
        env["DATABASE_URL"] = f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    # The SQLite fallback shares the file through VAR_DIR, already in the environment.
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
        }
    )
    return env


def _reset() -> None:
    """Empty the outbox and the job queue (each run starts alike)."""
    from django_tasks_db.models import DBTaskResult

    from supervision.models import Delivery, DeliveryAttempt, OutboxEvent

    DeliveryAttempt.objects.all().delete()
    Delivery.objects.all().delete()
    OutboxEvent.objects.all().delete()
    DBTaskResult.objects.all().delete()


def _channel(url: str) -> None:
    """The office's webhook, pointing at the receiver (no quiet hours: the run's hour does not matter)."""
    from django.utils import timezone

    from supervision.crypto import encrypt
    from supervision.models import Channel, ChannelKind, User

    Channel.objects.all().delete()
    user, _ = User.objects.get_or_create(username="bench-outbox", defaults={"full_name": "基准测试"})
    Channel.objects.create(
        kind=ChannelKind.WEBHOOK,
        unit=None,
        name="基准测试接收端",
        url=f"{url}/webhook",
        secret_encrypted=encrypt(SECRET),
        quiet_hours=False,
        created_by=user,
        created_at=timezone.now(),
    )


def _seed(messages: int) -> None:
    """The events, as transitions write them (one each), in a few large INSERTs."""
    from supervision.models import OutboxEvent
    from supervision.outbox.write import outbox_event_build

    for start in range(0, messages, SEED_BATCH):
        OutboxEvent.objects.bulk_create(
            [
                outbox_event_build(verb="assignment_claimed", text=f"基准测试消息 {n + 1}", payload={"n": n})
                for n in range(start, min(start + SEED_BATCH, messages))
            ]
        )


def _start_workers(n: int) -> list[subprocess.Popen]:
    env = _worker_env()
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    procs = []
    for _ in range(n):
        log = tempfile.TemporaryFile()  # noqa: SIM115 - kept with the process, read if it dies
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        proc.log = log  # type: ignore[attr-defined]
        procs.append(proc)
    return procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _died(procs: list[subprocess.Popen]) -> str:
    for p in procs:
        if p.poll() is not None:
            p.log.seek(0)  # type: ignore[attr-defined]
            return p.log.read().decode(errors="replace")[-3000:]  # type: ignore[attr-defined]
    return ""


def run_once(*, messages: int, workers: int) -> WorkerRun:
    from supervision.models import Delivery, DeliveryAttempt, DeliveryStatus
    from supervision.outbox.receiver import Receiver
    from supervision.outbox.tasks import dispatch_enqueue

    with Receiver(secret_for=lambda kind, ident: SECRET) as receiver:
        _reset()
        _channel(receiver.url)
        _seed(messages)
        procs = _start_workers(workers)
        try:
            time.sleep(3)  # Django's start-up in each worker, before the clock
            if problem := _died(procs):
                raise RuntimeError(f"a worker did not start:\n{problem}")
            started = time.perf_counter()
            dispatch_enqueue()
            deadline = time.monotonic() + TIMEOUT
            while receiver.distinct_deliveries() < messages and time.monotonic() < deadline:
                if problem := _died(procs):
                    raise RuntimeError(f"a worker died:\n{problem}")
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            time.sleep(1)  # let the workers record the last batch
        finally:
            _stop(procs)
        counts: Counter[str] = receiver.delivery_counts()
        unverified = sum(1 for m in receiver.messages if m.verified is not True)
    return WorkerRun(
        workers=workers,
        messages=messages,
        seconds=seconds,
        arrived=len(counts),
        doubled=sum(1 for n in counts.values() if n > 1),
        lost=messages - Delivery.objects.filter(status=DeliveryStatus.SENT).count(),
        attempts=DeliveryAttempt.objects.count(),
        unverified=unverified,
    )


def run(*, messages: int = 10_000, workers: tuple[int, ...] = (1, 2)) -> OutboxBenchResult:
    """One timed run per worker count (each on a fresh outbox), then the outbox is emptied."""
    from bench.database import server_version

    result = OutboxBenchResult(messages=messages, database=server_version())
    try:
        for n in workers:
            r = run_once(messages=messages, workers=n)
            print(
                f"  {n} worker{'s' if n > 1 else ''}: {r.rate:,.0f} messages/s ({r.seconds:.1f} s), "
                f"{r.arrived:,} arrived, {r.doubled} doubled, {r.lost} not sent",
                flush=True,
            )
            result.runs.append(r)
    finally:
        _reset()
    return result


def report_section(r: OutboxBenchResult, number: int | None = None) -> list[str]:
    """The BENCHMARKS.md section."""
    head = f"## {number}. " if number is not None else "## "
    lines = [
        f"{head}Outbox: {r.messages:,} messages to a webhook by the worker",
        "",
        f"{r.messages:,} outbox events, each carried by the office's webhook, are delivered by `manage.py "
        "db_worker` processes (DEBUG off) on the bench database: the worker expands each event into its "
        "delivery, takes due deliveries in batches of 20 under a lease (`SELECT … FOR UPDATE SKIP LOCKED`), "
        "signs and POSTs each (`urllib`), and records every outcome with its attempt row. A full batch "
        "queues one more dispatch job, so a second worker joins in. The receiver is "
        "`supervision/outbox/receiver.py` in the benchmark's process on 127.0.0.1: it checks each signature and "
        "counts arrivals by delivery id. The clock runs from queuing the job (workers already started) "
        "to the last id's arrival; all processes share the machine's cores.",
        "",
        "| Workers | Time | Messages/s | Arrived | Doubled | Not sent | Attempts | Bad signatures |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for x in r.runs:
        lines.append(
            f"| {x.workers} | {x.seconds:.1f} s | {x.rate:,.0f} | {x.arrived:,} | {x.doubled} | {x.lost} | "
            f"{x.attempts:,} | {x.unverified} |"
        )
    lines += [
        "",
        f"Every message arrived exactly once: {'**PASS**' if r.ok else '**FAIL**'}.",
        "",
    ]
    return lines


def summary_line(r: OutboxBenchResult) -> str:
    rates = ", ".join(f"{x.workers} worker{'s' if x.workers > 1 else ''} {x.rate:,.0f}/s" for x in r.runs)
    lost = sum(x.lost for x in r.runs)
    doubled = sum(x.doubled for x in r.runs)
    return (
        f"Outbox: {r.messages:,} webhook messages, {rates}; {lost} lost, {doubled} doubled — "
        f"{'PASS' if r.ok else 'FAIL'}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=10_000, help="messages delivered per run")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts, one run each")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    from bench.run import setup_django

    backend = setup_django()
    from bench import database

    try:
        database.migrate_and_reset()
        print(f"Outbox: {args.messages:,} messages, {', '.join(map(str, args.workers))} workers…")
        result = run(messages=args.messages, workers=tuple(args.workers))
        print("\n".join(report_section(result)))
        print(summary_line(result))
        return 0 if result.ok else 1
    finally:
        database.cleanup(backend)


if __name__ == "__main__":
    sys.exit(main())
