"""Benchmark: the pages and services of a province-scale deployment (``manage.py load_scale``).

The data set is generated into a PostgreSQL database of the bench's own (created, and dropped at
the end): first a small one, whose page statement counts are kept, then the large one (default
1,000,000 assignments: a province office, 11 city offices, about 5,000 units over four levels,
sub-tasks handed down to counties and townships, reports and audit history). On the large one:

- pages through Django in-process (the test client, signed in with a password: a real session),
  DEBUG off, after warm-ups, p50 and p95 of ``requests`` requests each — a county liaison's queue,
  its handed-down sub-tasks and overview, the city office's task list with each filter (state,
  light, unit, level), the county's task broken down to 50 townships, a township liaison's
  queue. Target: p95 ≤ 100 ms each, and as many statements as on the small data set;
- ranking (the engine's ``ranking_snapshot``: count, score, place and store, rolled back) of one
  city — its office's ranking of its direct units and each county's of its townships, some 450
  units — and of the province office's ranking of its cities. Target ≤ 2 s each;
- ``services.assignment_break_down`` of one claimed county task into 50 townships (rolled back).
  Target ≤ 0.5 s;
- the database's size and largest tables, and the plan (EXPLAIN ANALYZE, BUFFERS) of each page's
  slowest statement.

Alone: ``python -m bench.hierarchy [--assignments 1000000] [--small 20000] [--requests 30]``
(prints the section, writes nothing). In bench/run.py: ``run()``, ``report_section()``,
``summary_line()``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from bench.hierarchy_results import (
    HierarchyResult,
    PageResult,
    report_section,
    summary_line,
)

PASSWORD = "bench-hierarchy-1"
DATABASE = "supervision_bench_hierarchy"
# The sample accounts load_scale prints (demo/scale/tree.py), by what the bench signs in as.
COUNTY, TOWNSHIP, CITY_CLERK = "taiyuan_k01_liaison", "taiyuan_k01_t01_liaison", "taiyuan_clerk"


# --- the database of its own --------------------------------------------------------------------------


def _admin(sql: str) -> None:
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    params = {"host": s["HOST"] or None, "port": s["PORT"] or None, "user": s["USER"] or None}
    params = {k: v for k, v in params.items() if v}
    with psycopg.connect(dbname="postgres", password=s["PASSWORD"] or None, autocommit=True, **params) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def own_database(name: str = DATABASE) -> Iterator[None]:
    """Point Django at a fresh database ``name`` (migrated), dropped again on the way out."""
    from django.core.management import call_command
    from django.db import connection, connections

    def let_go() -> None:
        # With psycopg's pool (the default on PostgreSQL) a closed connection goes back to the
        # pool, still on the old database: the pool itself must go for the new name to count.
        connections.close_all()
        if hasattr(connection, "close_pool"):
            connection.close_pool()

    before = connection.settings_dict["NAME"]
    let_go()
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    connection.settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        let_go()
        connection.settings_dict["NAME"] = before
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _generate(assignments: int) -> tuple[Any, float]:
    from demo.scale.load import load

    started = time.perf_counter()
    result = load(cities=11, units=5000, assignments=assignments, seed=1, password=PASSWORD)
    return result, time.perf_counter() - started


# --- the pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    user: str
    url: str


def pages(parent_id: int, county_id: int) -> list[Page]:
    lst = "/tasks/?filtered=1&"
    return [
        Page("county_queue", "county liaison: claimed by me", COUNTY, "/tasks/?queue=mine"),
        Page("county_handed_down", "county liaison: sub-tasks handed down", COUNTY, "/tasks/?queue=handed_down"),
        Page("county_overview", "county liaison: overview", COUNTY, "/unit/"),
        Page("office_state", "city office list: state in progress", CITY_CLERK, lst + "state=in_progress"),
        Page("office_light", "city office list: red light", CITY_CLERK, lst + "light=red"),
        Page("office_unit", "city office list: one county", CITY_CLERK, lst + f"unit={county_id}"),
        Page("office_level", "city office list: sub-tasks only", CITY_CLERK, lst + "level=sub"),
        Page("parent_page", "task page: a task broken down to 50 townships", COUNTY, f"/tasks/{parent_id}/"),
        Page("township_queue", "township liaison: claimed by me", TOWNSHIP, "/tasks/?queue=mine"),
    ]


def _clients(usernames: set[str]) -> dict[str, Any]:
    from django.test import Client

    found = {}
    for username in usernames:
        client = Client()
        if not client.login(username=username, password=PASSWORD):
            raise RuntimeError(f"{username} could not sign in")
        found[username] = client
    return found


def _request(client: Any, url: str) -> Callable[[], None]:
    def get() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return get


def _captured(do: Callable[[], None]) -> list[tuple[float, str, Any]]:
    """(seconds, sql, params) of every statement one call runs."""
    from django.db import connection

    records: list[tuple[float, str, Any]] = []

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            records.append((time.perf_counter() - started, sql, params))

    with connection.execute_wrapper(wrapper):
        do()
    return records


def _plan(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _page_statements(data: Any) -> dict[str, int]:
    parent, county = _anchors(data)
    clients = _clients({p.user for p in pages(parent, county)})
    found = {}
    for page in pages(parent, county):
        get = _request(clients[page.user], page.url)
        get()
        found[page.key] = len(_captured(get))
    return found


def _anchors(data: Any = None) -> tuple[int, int]:
    """The task broken down to 50 townships, and its county."""
    from django.db.models import Count

    from supervision.models import Assignment, Membership

    county = Membership.objects.get(user__username=COUNTY, role="liaison").unit_id
    widest = (
        Assignment.objects.filter(parent__unit_id=county, parent__parent__isnull=True)
        .values("parent_id")
        .annotate(n=Count("id"))
        .order_by("-n", "parent_id")
        .first()
    )
    return widest["parent_id"], county


def _sample_passwords() -> None:
    """On a data set loaded before (``--existing``): the sample accounts get the bench's password."""
    from supervision.models import User

    for user in User.objects.filter(username__in=[COUNTY, TOWNSHIP, CITY_CLERK, "province_clerk"]):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def _measure_pages(data: Any, requests: int, warmups: int = 3) -> list[PageResult]:
    parent, county = _anchors(data)
    clients = _clients({p.user for p in pages(parent, county)})
    results = []
    for page in pages(parent, county):
        get = _request(clients[page.user], page.url)
        for _n in range(warmups):
            get()
        r = PageResult(page.key, page.label)
        records = _captured(get)
        r.statements = len(records)
        selects = [rec for rec in records if rec[1].lstrip().upper().startswith("SELECT")]
        if selects:
            seconds, sql, params = max(selects, key=lambda rec: rec[0])
            r.slowest_ms, r.slowest_sql, r.plan = seconds * 1000, sql, _plan(sql, params)
        for _n in range(requests):
            started = time.perf_counter()
            get()
            r.seconds.append(time.perf_counter() - started)
        print(f"  {page.label}: p95 {r.p95 * 1000:.1f} ms, {r.statements} statements")
        results.append(r)
    return results


# --- ranking and breaking down ------------------------------------------------------------------------


def _rollback(do: Callable[[], int]) -> tuple[float, int]:
    """Seconds and result of ``do`` in a transaction rolled back afterwards."""
    from django.db import transaction

    with transaction.atomic():
        started = time.perf_counter()
        n = do()
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, n


def _rank(office_username: str, *, with_sub_units: bool) -> Callable[[], int]:
    """What closing the office's open cycle ranks: its own ranking and, for a city, each county's
    ranking of its townships. Returns the units ranked."""
    from django.utils import timezone

    from supervision.models import Cycle, Membership, Unit
    from supervision.services.ranking import ranking_snapshot
    from supervision.services.rule_sets import ruleset_current

    office_id = Membership.objects.filter(user__username=office_username).values_list("unit_id", flat=True)[0]
    counties = list(Unit.objects.filter(parent_id=office_id, kind="county").values_list("pk", flat=True))

    def do() -> int:
        cycle = Cycle.objects.get(office_id=office_id, state="open")
        rule_set, now = ruleset_current(office_id), timezone.now()
        n = len(ranking_snapshot(cycle=cycle, rule_set=rule_set, now=now))
        if with_sub_units:
            for county in counties:
                n += len(ranking_snapshot(cycle=cycle, rule_set=rule_set, now=now, ranker_id=county))
        return n

    return do


def _break_down() -> Callable[[], int]:
    """Break a claimed task of the big county (no sub-tasks yet, due ahead) into its first 50 townships."""
    import datetime as dt

    from supervision import clock, services
    from supervision.models import Assignment, Membership, Unit, User

    liaison = User.objects.get(username=COUNTY)
    county = Membership.objects.get(user=liaison, role="liaison").unit_id
    task = (
        Assignment.objects.filter(
            unit_id=county,
            parent__isnull=True,
            claimed_by=liaison,
            state__in=["accepted", "in_progress"],
            children__isnull=True,
            deadline__gte=clock.today() + dt.timedelta(days=2),
        )
        .order_by("pk")
        .first()
    )
    if task is None:
        raise RuntimeError("no claimed task of the county without sub-tasks and due ahead: data set too small")
    townships = list(Unit.objects.filter(parent_id=county, is_active=True).order_by("sort_order", "pk")[:50])
    parts = [
        services.SubTaskPart(unit_id=t.pk, deadline=task.deadline, measures=f"负责{t.short_name}辖区内的整改任务")
        for t in townships
    ]

    def do() -> int:
        return len(
            services.assignment_break_down(actor=User.objects.get(pk=liaison.pk), assignment=task.pk, parts=parts)
        )

    return do


def _sizes() -> tuple[int, list[tuple[str, int]]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        total = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 8"
        )
        return total, [(name, int(size)) for name, size in cursor.fetchall()]


# --- the run ------------------------------------------------------------------------------------------


def run(
    *,
    assignments: int = 1_000_000,
    small: int = 20_000,
    requests: int = 30,
    runs: int = 5,
    own: bool = True,
    existing: bool = False,
) -> HierarchyResult:
    """Generate and measure. ``own``: in a database of the bench's own (else in the current one,
    which must be empty: the test of this module). ``existing``: measure the current database as
    ``load_scale`` left it, generating nothing (the sample accounts get the bench's password)."""
    from django.conf import settings

    settings.DEBUG = False
    if existing:
        return _run(assignments=0, small=0, requests=requests, runs=runs)
    with own_database() if own else contextlib.nullcontext():
        return _run(assignments=assignments, small=small, requests=requests, runs=runs)


def _run(*, assignments: int, small: int, requests: int, runs: int) -> HierarchyResult:
    from bench.database import migrate_and_reset
    from demo.scale.load import COUNTED

    small_statements: dict[str, int] = {}
    if small:
        print(f"  generating a small data set ({small:,} assignments) for the statement counts…")
        data, _s = _generate(small)
        small_statements = _page_statements(data)
        migrate_and_reset()
    if assignments:
        print(f"  generating {assignments:,} assignments (load_scale)…")
        data, load_seconds = _generate(assignments)
        print(f"  generated in {load_seconds:.0f} s")
    else:
        _sample_passwords()
        data = SimpleNamespace(counts={m._meta.db_table: m.objects.count() for m in COUNTED})
        load_seconds = 0.0
    results = _measure_pages(data, requests)
    for r in results:
        r.small_statements = small_statements.get(r.key)
    ranking = {}
    for label, user, subs in (
        ("a city (office and its counties)", CITY_CLERK, True),
        ("the province's cities", "province_clerk", False),
    ):
        do = _rank(user, with_sub_units=subs)
        _rollback(do)  # warm-up
        timed = [_rollback(do) for _n in range(runs)]
        ranking[label] = (timed[0][1], [s for s, _n in timed])
        print(f"  ranking {label}: {timed[0][1]} units, median {statistics.median(ranking[label][1]):.3f} s")
    do = _break_down()
    _rollback(do)
    break_down = [_rollback(do)[0] for _n in range(runs)]
    print(f"  break-down into 50: median {statistics.median(break_down):.3f} s")
    total, tables = _sizes()
    return HierarchyResult(
        assignments=data.counts["supervision_assignment"],
        units=data.counts["supervision_unit"],
        load_seconds=load_seconds,
        counts=data.counts,
        pages=results,
        ranking=ranking,
        break_down=break_down,
        database_bytes=total,
        tables=tables,
        small_assignments=small,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--assignments", type=int, default=1_000_000, help="assignments of the large data set")
    p.add_argument("--small", type=int, default=20_000, help="assignments of the small data set (0: none)")
    p.add_argument("--requests", type=int, default=30, help="timed requests per page")
    p.add_argument(
        "--existing",
        action="store_true",
        help="measure the database in DATABASE_URL as load_scale left it (generates nothing; sets the sample "
        "accounts' password)",
    )
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    from bench.run import _in_media, setup_django

    backend = setup_django()
    if backend.is_fallback:
        print("PostgreSQL is needed for this benchmark.")
        return 1
    r = _in_media(
        lambda: run(assignments=args.assignments, small=args.small, requests=args.requests, existing=args.existing)
    )
    print("\n".join(report_section(r)))
    print(summary_line(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
