"""Benchmark: the API's task list (GET /api/assignments/) against the office's task list page
(GET /tasks/) on 200,000 tasks, the same query asked of both.

The data is the ranking benchmark's (bench/ranking.py ``build``): 5,000 units in four peer groups
and 200,000 tasks of one office in every state, generated straight into the tables. The caller
is that office's clerk, who sees every task: on the page through a signed-in session, on the API
through a personal token (read scope). Each scenario is one filter of the task list asked of
both, with the same page size (50): the first page of the open tasks, a page deep in them
(reached by following the cursors, as a client would), the red tasks of one peer group, and a
free-text search. Requests go through Django in-process (the test client: no network, no
server), DEBUG off, after untimed warm-ups, alternating which path goes first; p50 and p95 of
each path, and the statements each request ran.

The page does more than the list: its tabs count every queue (one aggregate over the tasks) and
it renders the shell around the rows. The API answers the rows as JSON. The target is that the
API's p95 is no worse than the page's for every scenario.

Alone: ``python -m bench.api [--units 5000] [--assignments 200000] [--requests 30]`` (prints the
figures, writes nothing). In bench/run.py: ``run()``, ``report_section()`` and ``summary_line()``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

# Page size of both lists: the page's PAGE_SIZE, the API's default.
PAGE = 50
# How deep the "deep page" scenario goes, following the cursors.
DEEP_PAGE = 20
# The target: the API's p95 at most this many times the page's.
MAX_RATIO = 1.0


@dataclass
class Scenario:
    key: str
    label: str
    web_query: dict[str, str]  # the task list page's query string
    api_query: dict[str, str]  # the same filter as the API takes it


SCENARIOS = (
    Scenario("open", "open tasks, first page", {"filtered": "1", "open": "on"}, {"open": "true"}),
    Scenario("deep", f"open tasks, page {DEEP_PAGE}", {"filtered": "1", "open": "on"}, {"open": "true"}),
    Scenario(
        "red",
        "red light, townships",
        {"filtered": "1", "light": "red", "peer_group": "township"},
        {"light": "red", "peer_group": "township"},
    ),
    Scenario("search", "text search “问题”", {"filtered": "1", "q": "问题"}, {"q": "问题"}),
)


@dataclass
class Timing:
    web_s: list[float] = field(default_factory=list)
    api_s: list[float] = field(default_factory=list)
    web_queries: int = 0
    api_queries: int = 0
    rows: int = 0

    @staticmethod
    def _p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]

    @property
    def web_p50(self) -> float:
        return statistics.median(self.web_s)

    @property
    def api_p50(self) -> float:
        return statistics.median(self.api_s)

    @property
    def web_p95(self) -> float:
        return self._p(self.web_s, 95)

    @property
    def api_p95(self) -> float:
        return self._p(self.api_s, 95)

    @property
    def ratio(self) -> float:
        return self.api_p95 / self.web_p95


@dataclass
class ApiBenchResult:
    units: int
    assignments: int
    requests: int
    timings: dict[str, Timing]


def ok(t: Timing) -> bool:
    return t.ratio <= MAX_RATIO


def all_ok(r: ApiBenchResult) -> bool:
    return all(ok(t) for t in r.timings.values())


# --- the two paths ----------------------------------------------------------------------------------


def _clients() -> tuple[Any, Any, dict[str, str]]:
    """The office clerk of the generated data: a signed-in browser and a token's headers."""
    from django.test import Client

    from supervision.models import TokenScope, User
    from supervision.services.api_tokens import token_create

    clerk = User.objects.get(username="rank_clerk")
    browser = Client()
    browser.force_login(clerk)
    _token, raw = token_create(actor=clerk, name="bench", scope=TokenScope.READ)
    return browser, Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _cursors(browser: Any, api: Any, headers: dict[str, str], s: Scenario) -> tuple[str, str]:
    """The cursors of page DEEP_PAGE of both lists, found by following their next links (untimed)."""
    web_after, api_cursor = "", ""
    for _n in range(DEEP_PAGE - 1):
        page = browser.get("/tasks/", {**s.web_query, **({"after": web_after} if web_after else {})})
        web_after = _next_after(page.content.decode())
        query = {**s.api_query, **({"cursor": api_cursor} if api_cursor else {})}
        body = api.get("/api/assignments/", query, **headers)
        api_cursor = parse_qs(urlsplit(body.json()["next"] or "").query).get("cursor", [""])[0]
    return web_after, api_cursor


# A row of the page links its task; the "next page" link carries the page's cursor.
TASK_LINK = re.compile(r'href="/tasks/(\d+)/"')
NEXT_LINK = re.compile(r'href="\?([^"]*\bafter=[^"]*)"')


def _next_after(html: str) -> str:
    """The cursor of the page's "next page" link (the last link carrying one)."""
    found = NEXT_LINK.findall(html)
    return parse_qs(found[-1].replace("&amp;", "&")).get("after", [""])[0] if found else ""


def _requests(browser: Any, api: Any, headers: dict[str, str], s: Scenario) -> tuple[Callable, Callable]:
    web_query, api_query = dict(s.web_query), dict(s.api_query)
    if s.key == "deep":
        web_after, api_cursor = _cursors(browser, api, headers, s)
        web_query["after"], api_query["cursor"] = web_after, api_cursor

    def web() -> int:
        r = browser.get("/tasks/", web_query)
        assert r.status_code == 200, r.status_code
        return len(set(TASK_LINK.findall(r.content.decode())))

    def api_call() -> int:
        r = api.get("/api/assignments/", api_query, **headers)
        assert r.status_code == 200, r.content[:200]
        return len(r.json()["results"])

    return web, api_call


def _timed(do: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    rows = do()
    return time.perf_counter() - started, rows


def _statements(do: Callable[[], int]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        do()
    return len(ctx.captured_queries)


def run(*, units: int = 5000, assignments: int = 200_000, requests: int = 30, warmups: int = 3) -> ApiBenchResult:
    """Generate the data (the database must be empty), then time every scenario on both paths."""
    from rest_framework.settings import api_settings

    from bench import ranking
    from bench.database import analyze

    print(f"  generating {units:,} units and {assignments:,} tasks (the ranking benchmark's data)…")
    started = time.perf_counter()
    data = ranking.build(units=units, assignments=assignments)
    analyze()
    print(f"  generated in {time.perf_counter() - started:.0f} s")
    # The list is measured, not the rate limit: the bench asks more often than a person would.
    api_settings.DEFAULT_THROTTLE_RATES["token"] = "1000000/min"
    browser, api, headers = _clients()
    result = ApiBenchResult(units=units, assignments=data.counts["assignments"], requests=requests, timings={})
    for s in SCENARIOS:
        web, api_call = _requests(browser, api, headers, s)
        t = Timing()
        for _n in range(warmups):
            web(), api_call()
        t.web_queries, t.api_queries = _statements(web), _statements(api_call)
        for n in range(requests):
            order = [("web", web), ("api", api_call)]
            for name, do in order if n % 2 == 0 else reversed(order):
                seconds, rows = _timed(do)
                (t.web_s if name == "web" else t.api_s).append(seconds)
                t.rows = rows
        result.timings[s.key] = t
        print(
            f"  {s.label}: page p95 {t.web_p95 * 1000:.1f} ms, API p95 {t.api_p95 * 1000:.1f} ms "
            f"({t.ratio:.2f}×), {t.rows} rows"
        )
    return result


# --- the report ---------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report_section(r: ApiBenchResult, number: int | None = None) -> list[str]:
    heading = f"## {number}. " if number is not None else "## "
    lines = [
        f"{heading}The API's task list (GET /api/assignments/)",
        "",
        f"The API's task list against the office's task list page on {r.assignments:,} tasks of "
        f"{r.units:,} units (the ranking benchmark's data), the same filter asked of both by the office's clerk, "
        f"who sees every task: the page through a signed-in session, the API with a read token. {PAGE} rows a "
        "page on both; the deep page is reached by following each list's own cursors. In-process requests "
        f"(Django's test client), DEBUG off, {r.requests} timed requests per path and scenario after warm-ups, "
        "alternating which path goes first. The page also counts every queue for its tabs and renders the "
        "shell; the API answers the rows as JSON.",
        "",
        "| Scenario | Rows | Page p50 | Page p95 | API p50 | API p95 | API / page (p95) | Statements, page | "
        "Statements, API |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in SCENARIOS:
        t = r.timings[s.key]
        lines.append(
            f"| {s.label} | {t.rows} | {_ms(t.web_p50)} | {_ms(t.web_p95)} | {_ms(t.api_p50)} | {_ms(t.api_p95)} | "
            f"{t.ratio:.2f}× | {t.web_queries} | {t.api_queries} |"
        )
    lines += ["", "| Target | Measured (worst scenario) | Verdict |", "|---|---:|---|"]
    worst = max(r.timings.values(), key=lambda t: t.ratio)
    lines.append(
        f"| API p95 at most {MAX_RATIO:g}× the page's, every scenario | {worst.ratio:.2f}× | "
        f"{'**PASS**' if all_ok(r) else '**FAIL**'} |"
    )
    lines.append("")
    return lines


def summary_line(r: ApiBenchResult) -> str:
    parts = "; ".join(f"{key} {_ms(t.api_p95)} vs {_ms(t.web_p95)} ({t.ratio:.2f}×)" for key, t in r.timings.items())
    return f"API task list p95 vs the page, {r.assignments:,} tasks: {parts} — {'PASS' if all_ok(r) else 'FAIL'}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=5000)
    p.add_argument("--assignments", type=int, default=200_000)
    p.add_argument("--requests", type=int, default=30, help="timed requests per path and scenario")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    from bench.run import setup_django

    backend = setup_django()
    from bench import database

    try:
        print("Migrating and emptying the bench database…")
        database.migrate_and_reset()
        r = run(units=args.units, assignments=args.assignments, requests=args.requests)
        print("\n".join(report_section(r)))
        print(summary_line(r))
        return 0
    finally:
        database.cleanup(backend)


if __name__ == "__main__":
    sys.exit(main())
