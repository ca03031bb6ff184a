"""What the figures were taken on."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from dataclasses import dataclass

import django


@dataclass(frozen=True)
class Machine:
    date: str
    cpu: str
    cores: str
    ram: str
    python: str
    django: str
    database: str
    calibration: str


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _cores() -> str:
    total = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = total
    return f"{total} logical" + (f" ({usable} usable by this process)" if usable != total else "")


def _ram() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _python_speed() -> str:
    # A fixed pure-Python workload: lets a reader compare machines across the History lines.
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(range(10_000_000))
        best = min(best, time.perf_counter() - started)
    return f"sum(range(10⁷)) {best * 1000:.0f} ms"


def _database_speed() -> str:
    """The floor under every transition: a round trip, and a one-row write with its commit."""
    from django.db import connection, transaction

    from supervision.models import Unit

    trips, commits = [], []
    office = Unit.objects.filter(kind="office").values_list("pk", flat=True).first()
    with connection.cursor() as cur:
        for _ in range(50):
            started = time.perf_counter()
            cur.execute("SELECT 1")
            cur.fetchone()
            trips.append(time.perf_counter() - started)
            started = time.perf_counter()
            with transaction.atomic():
                cur.execute(f"UPDATE {Unit._meta.db_table} SET sort_order = sort_order WHERE id = %s", [office])
            commits.append(time.perf_counter() - started)
    return (
        f"SELECT 1 round trip {statistics.median(trips) * 1000:.2f} ms, "
        f"one-row UPDATE + COMMIT {statistics.median(commits) * 1000:.2f} ms (medians of 50)"
    )


def describe(database: str) -> Machine:
    return Machine(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cpu=_cpu_model(),
        cores=_cores(),
        ram=_ram(),
        python=platform.python_version(),
        django=django.get_version(),
        database=database,
        calibration=f"{_python_speed()}; {_database_speed()}",
    )
