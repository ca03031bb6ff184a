"""`bench/run.py --profile`: where the service paths spend their time, for whoever tunes them.

Prints cProfile's top functions and the SQL each transition sends; writes nothing."""

from __future__ import annotations

import cProfile
import io
import pstats

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import services

from .transitions import SERVICE_CALLS, STEPS, actor_for, assignments_of, service_round
from .world import World, fresh, issued_letter, signed_letter


def _top(profile: cProfile.Profile, title: str, limit: int = 30) -> None:
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(key).print_stats(limit)
        print(f"\n===== {title}: top {limit} by {key} =====")
        print(out.getvalue())


def _show_sql(title: str, queries: list[dict[str, str]]) -> None:
    print(f"\n----- {title}: {len(queries)} statements -----")
    for q in queries:
        sql = " ".join(q["sql"].split())
        print(f"  [{q['time']}s] {sql[:220]}{'…' if len(sql) > 220 else ''}")


def profile(world: World, *, units: int, items: int, loop_units: int) -> None:
    # The year's first issue also creates the number counter: not the typical case, so warm up.
    issued_letter(world, unit_ids=world.unit_ids[:units], items=items)
    letter = signed_letter(world, unit_ids=world.unit_ids[:units], items=items)
    with CaptureQueriesContext(connection) as ctx:
        services.letter_issue(actor=fresh(world.clerk), letter=letter)
    _show_sql("letter_issue", ctx.captured_queries)

    letter = signed_letter(world, unit_ids=world.unit_ids[:units], items=items)
    prof = cProfile.Profile()
    prof.runcall(services.letter_issue, actor=fresh(world.clerk), letter=letter)
    _top(prof, f"letter_issue ({units} units × {items} items)")

    # One assignment's SQL per step, in the typical case (its letter stays open).
    letter = issued_letter(world, unit_ids=world.unit_ids[:2], items=1)
    pk, unit_id = assignments_of(letter)[0]
    for step in STEPS:
        with CaptureQueriesContext(connection) as ctx:
            SERVICE_CALLS[step](fresh(actor_for(world, step, unit_id)), pk)
        _show_sql(step, ctx.captured_queries)

    letter = issued_letter(world, unit_ids=world.unit_ids[:loop_units], items=1)
    prof = cProfile.Profile()
    outcome = prof.runcall(service_round, world, letter)
    print(f"\nTransition loop under the profiler: {6 * loop_units / outcome.seconds:,.0f} transitions/s")
    _top(prof, f"transition loop ({loop_units} assignments × 6)")
