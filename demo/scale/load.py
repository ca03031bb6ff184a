"""Generating the whole province-scale data set, and what it holds afterwards."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from supervision import clock, integrity
from supervision.models import (
    Assignment,
    AssignmentAncestor,
    AuditEvent,
    Cycle,
    Evidence,
    Item,
    Letter,
    LetterNumberCounter,
    Membership,
    ProgressReport,
    SignOff,
    Unit,
    UnitResult,
    User,
)

from . import cycles, tree
from .evidence import Files
from .letters import Letters
from .rows import Rows
from .sink import Sink, next_id, reset_sequences
from .tasks import Work
from .timeline import Calendar, Planner

# How far back the campaign starts: old letters are mostly written off, recent ones just claimed.
CAMPAIGN_DAYS = 120
COUNTED = (
    Unit,
    User,
    Membership,
    Letter,
    Item,
    Assignment,
    AssignmentAncestor,
    ProgressReport,
    Evidence,
    SignOff,
    AuditEvent,
    Cycle,
    UnitResult,
)


class NotEmpty(Exception):
    """The database already holds units or letters."""


@dataclass
class Result:
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    sub_tasks: int = 0
    letters: int = 0
    database_bytes: int | None = None
    samples: dict[str, object] = field(default_factory=dict)
    sample_parent: int | None = None
    phases: dict[str, float] = field(default_factory=dict)


def is_empty() -> bool:
    return not (Unit.objects.exists() or Letter.objects.exists() or Assignment.objects.exists())


def load(
    *,
    cities: int,
    units: int,
    assignments: int,
    seed: int,
    password: str,
    log: Callable[[str], None] = lambda _m: None,
) -> Result:
    if not is_empty():
        raise NotEmpty
    started = time.perf_counter()
    result = Result()
    now = clock.now().replace(microsecond=0)
    rng = random.Random(seed)

    log(_("Units and people (%(cities)d cities, about %(units)s units)…") % {"cities": cities, "units": f"{units:,}"})
    t = tree.build(cities=cities, units=units, seed=seed, password=password)
    result.samples, result.phases["units and people"] = t.samples, time.perf_counter() - started

    mark = time.perf_counter()
    log(_("Letters and %(n)s assignments with their history…") % {"n": f"{assignments:,}"})
    sink = Sink()
    letters = Letters(sink, first_letter=next_id(Letter), first_item=next_id(Item), rng=rng)
    start = now - dt.timedelta(days=CAMPAIGN_DAYS)
    rows = Rows(
        sink,
        first_report=next_id(ProgressReport),
        now=now,
        last_closed=cycles.last_closed_span(now),
        files=Files(seed),
        rng=rng,
    )
    letters.audit = rows.audit
    # A sub-task's first row: the hand-down, when the audit checks know it as the issue of a sub-task.
    first = "assignment.handed_down" if "assignment.handed_down" in integrity.NO_VERSION_BUMP else "assignment.issued"
    calendar = Calendar(start - dt.timedelta(days=30), now + dt.timedelta(days=400))
    planner = Planner(now=now, calendar=calendar, rng=rng, first_action=first)
    work = Work(
        t, letters, rows, planner, target=assignments, start=start, end=now - dt.timedelta(days=1), rng=rng,
        flush=sink.flush,
    )  # fmt: skip
    work.run(first_id=next_id(Assignment), pending=lambda: sink.pending, log=log)
    sink.close()
    sink.check_keys()
    LetterNumberCounter.objects.bulk_create(
        [LetterNumberCounter(prefix_id=p, year=y, last_number=n) for p, y, n in letters.counter_rows()]
    )
    reset_sequences([Letter, Item, Assignment, ProgressReport])
    result.phases["letters and assignments"] = time.perf_counter() - mark

    mark = time.perf_counter()
    log(_("Statistics…"))
    analyze()
    result.phases["analyze"] = time.perf_counter() - mark
    mark = time.perf_counter()
    log(_("Closing and ranking the past cycles…"))
    cycles.run(now)
    result.phases["cycles"] = time.perf_counter() - mark

    result.states = dict(sorted(rows.states.items()))
    result.sub_tasks = work.progress.sub_tasks
    result.letters = work.progress.letters
    result.sample_parent = work.sample_parent
    result.seconds = time.perf_counter() - started
    result.counts = {m._meta.db_table: m.objects.count() for m in COUNTED}
    result.database_bytes = database_size()
    return result


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def database_size() -> int | None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    name = settings.DATABASES["default"]["NAME"]
    return os.path.getsize(name) if isinstance(name, str | os.PathLike) and os.path.exists(name) else None
