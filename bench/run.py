"""`make bench`: time the letter fan-out and the assignment transitions, through the services and
in bare SQL, the documents against weasyprint and openpyxl alone, and ranking a cycle against one
SQL aggregate; write BENCHMARKS.md at the repository root.

Usage: python bench/run.py [--runs 5] [--rounds 3] [--output BENCHMARKS.md] [--profile] [--no-documents]
                           [--rank-units 5000] [--rank-assignments 200000] [--no-ranking]
                           [--sockets 1000] [--socket-servers 2] [--socket-rounds 5] [--no-sockets]
                           [--batch-size 500] [--batch-rounds 3] [--no-batch] [--only-batch]
                           [--hierarchy-assignments 1000000] [--hierarchy-small 20000] [--no-hierarchy]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.database import Backend

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=100, help="units the fan-out letter is addressed to")
    p.add_argument("--items", type=int, default=10, help="items of the fan-out letter")
    p.add_argument("--runs", type=int, default=5, help="timed fan-outs per path")
    p.add_argument("--loop-units", type=int, default=100, help="units of each transition-loop letter")
    p.add_argument("--loop-items", type=int, default=2, help="items of each transition-loop letter")
    p.add_argument("--rounds", type=int, default=3, help="timed transition loops per path")
    p.add_argument("--letter-runs", type=int, default=10, help="timed renders per letter and path")
    p.add_argument("--ledger-rows", type=int, default=5000, help="rows of the timed ledger")
    p.add_argument("--ledger-runs", type=int, default=3, help="timed Excel ledgers per path")
    p.add_argument("--pdf-runs", type=int, default=1, help="timed PDF ledgers per path (~10 ms a row each)")
    p.add_argument("--memory-rows", type=int, default=200_000, help="rows of the largest Excel export")
    p.add_argument("--no-documents", action="store_true", help="skip the documents benchmark")
    p.add_argument("--rank-units", type=int, default=5000, help="units of the ranked cycle")
    p.add_argument("--rank-assignments", type=int, default=200_000, help="assignments of the ranked cycle")
    p.add_argument("--rank-runs", type=int, default=5, help="timed rankings per path")
    p.add_argument("--no-ranking", action="store_true", help="skip the ranking benchmark")
    p.add_argument("--sockets", type=int, default=1000, help="open websockets a published notice is pushed to")
    p.add_argument("--socket-servers", type=int, default=2, help="daphne processes serving the sockets")
    p.add_argument("--socket-rounds", type=int, default=5, help="timed notices published to the sockets")
    p.add_argument("--no-sockets", action="store_true", help="skip the live-push benchmark (needs Redis)")
    p.add_argument("--batch-size", type=int, default=500, help="tasks of each batch claim and write-off")
    p.add_argument("--batch-rounds", type=int, default=3, help="timed rounds of the batch actions")
    p.add_argument("--no-batch", action="store_true", help="skip the batch-actions benchmark")
    p.add_argument("--outbox-messages", type=int, default=10_000, help="messages the outbox workers deliver")
    p.add_argument("--no-outbox", action="store_true", help="skip the outbox benchmark (1 and 2 workers)")
    p.add_argument("--api-requests", type=int, default=30, help="timed requests per path of the API benchmark")
    p.add_argument("--no-api", action="store_true", help="skip the API task-list benchmark (200,000 tasks)")
    p.add_argument("--import-rows", type=int, default=5000, help="measure rows of the imported ledger")
    p.add_argument("--import-runs", type=int, default=5, help="timed import previews and bare reads")
    p.add_argument("--no-imports", action="store_true", help="skip the problem-list import benchmark")
    p.add_argument("--archive-runs", type=int, default=20, help="timed kept downloads and fresh renders")
    p.add_argument("--no-archive", action="store_true", help="skip the kept-document download benchmark")
    p.add_argument("--hierarchy-assignments", type=int, default=1_000_000, help="assignments of the province data set")
    p.add_argument("--hierarchy-small", type=int, default=20_000, help="assignments of its small twin (statements)")
    p.add_argument("--hierarchy-requests", type=int, default=30, help="timed requests per page at province scale")
    p.add_argument("--no-hierarchy", action="store_true", help="skip the province-scale benchmark (load_scale)")
    p.add_argument(
        "--only-batch", action="store_true", help="time only the batch actions and print the figures; write nothing"
    )
    p.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="report to (re)write")
    p.add_argument("--profile", action="store_true", help="print profiles of the service paths; write nothing")
    return p.parse_args(argv)


def setup_django() -> Backend:
    # Run as a script, Python puts bench/ on the path; the project and this package need the root.
    sys.path.insert(0, str(ROOT))
    from bench import database

    backend = database.choose()
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
    # The settings default to production, which needs a real SECRET_KEY and host list; the bench
    # loads them in development mode and switches DEBUG off below, where it matters.
    os.environ.setdefault("DEBUG", "1")
    import django
    from django.conf import settings

    django.setup()
    # Production runs with DEBUG off; with it on, every statement would also be logged in memory.
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return backend


def _in_media(fn):
    """Run ``fn`` with the stored files in a folder of its own, removed afterwards."""
    import shutil
    import tempfile

    from django.conf import settings

    media, before = tempfile.mkdtemp(prefix="bench-media-"), settings.MEDIA_ROOT
    settings.MEDIA_ROOT = media
    try:
        return fn()
    finally:
        settings.MEDIA_ROOT = before
        shutil.rmtree(media, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    backend = setup_django()

    from bench import (
        api,
        archive,
        batch,
        database,
        documents,
        fanout,
        hierarchy,
        imports,
        machine,
        outbox,
        ranking,
        report,
        sockets,
        transitions,
        world,
    )

    try:
        print("Migrating and emptying the bench database…")
        database.migrate_and_reset()
        units = max(args.units, args.loop_units, 5)
        w = world.build(units)
        database.analyze()
        info = machine.describe(database.server_version())
        print(f"{info.database} · {info.cpu} · {info.cores} · {info.calibration}")
        if args.profile:
            from bench import profiling

            profiling.profile(w, units=args.units, items=args.items, loop_units=min(args.loop_units, 50))
            return 0
        if args.only_batch:
            print(f"Batch actions: {args.batch_size} tasks, {args.batch_rounds} rounds per path…")
            b = batch.run(w, size=args.batch_size, rounds=args.batch_rounds)
            print("\n".join(batch.report_section(b, 1)))
            print(batch.summary_line(b))
            return 0

        print(f"Fan-out: {args.units} units × {args.items} items, {args.runs} runs per path…")
        f = fanout.run(w, units=args.units, items=args.items, runs=args.runs)
        database.analyze()
        n = args.loop_units * args.loop_items
        print(f"Transition loop: {n} assignments × 6 transitions, {args.rounds} rounds per path…")
        t = transitions.run(w, units=args.loop_units, items=args.loop_items, rounds=args.rounds)
        d = None
        if not args.no_documents:
            print(
                f"Documents: letters, a {args.ledger_rows:,}-row ledger, Excel memory up to {args.memory_rows:,} rows…"
            )
            d = documents.run(
                w,
                letter_runs=args.letter_runs,
                ledger_rows=args.ledger_rows,
                ledger_runs=args.ledger_runs,
                pdf_runs=args.pdf_runs,
                memory_rows=args.memory_rows,
            )

        kept = None
        if not args.no_archive:
            print(f"Kept documents: an issued letter's download against a fresh render, {args.archive_runs} runs…")
            kept = _in_media(lambda: archive.run(w, runs=args.archive_runs))
        im = None
        if not args.no_imports:
            print(f"Import preview: a {args.import_rows:,}-row ledger against openpyxl alone…")
            im = imports.run(rows=args.import_rows, runs=args.import_runs)

        b = None
        if not args.no_batch:
            print(f"Batch actions: a claim and a write-off of {args.batch_size} tasks, {args.batch_rounds} rounds…")
            b = batch.run(w, size=args.batch_size, rounds=args.batch_rounds)

        r = None
        if not args.no_ranking:
            print(
                f"Ranking a cycle: {args.rank_units:,} units, {args.rank_assignments:,} assignments, "
                f"{args.rank_runs} runs per path (on a fresh data set: the database is emptied first)…"
            )
            database.migrate_and_reset()
            r = ranking.run(units=args.rank_units, assignments=args.rank_assignments, runs=args.rank_runs)

        so = None
        if not args.no_sockets:
            print(
                f"Live pushes: a notice to {args.sockets:,} websockets on {args.socket_servers} daphne processes, "
                f"{args.socket_rounds} rounds (on a fresh data set: the database is emptied first)…"
            )
            database.migrate_and_reset()
            so = sockets.run(sockets=args.sockets, servers=args.socket_servers, rounds=args.socket_rounds)

        ob = None
        if not args.no_outbox:
            print(
                f"Outbox: {args.outbox_messages:,} messages to a local receiver, with 1 and 2 db_worker processes "
                "(on a fresh data set: the database is emptied first)…"
            )
            database.migrate_and_reset()
            ob = outbox.run(messages=args.outbox_messages)

        ap = None
        if not args.no_api:
            print(
                f"API: the task list at {args.rank_assignments:,} tasks against the page, {args.api_requests} "
                "requests per path (on a fresh data set: the database is emptied first)…"
            )
            database.migrate_and_reset()
            ap = api.run(units=args.rank_units, assignments=args.rank_assignments, requests=args.api_requests)

        hi = None
        if not args.no_hierarchy and backend.is_fallback:
            print("Province scale: skipped (PostgreSQL only).")
        elif not args.no_hierarchy:
            print(
                f"Province scale: load_scale with {args.hierarchy_assignments:,} assignments (and "
                f"{args.hierarchy_small:,} for the statement counts) in a database of its own, pages, rankings and "
                "a break-down…"
            )
            hi = _in_media(
                lambda: hierarchy.run(
                    assignments=args.hierarchy_assignments,
                    small=args.hierarchy_small,
                    requests=args.hierarchy_requests,
                )
            )

        text = report.render(
            info,
            backend,
            f,
            t,
            report.read_history(args.output),
            d,
            r,
            sockets=so,
            batch=b,
            outbox=ob,
            api=ap,
            imports=im,
            archive=kept,
            hierarchy=hi,
        )
        args.output.write_text(text, encoding="utf-8")
        s = report.summarise(f, t)
        print(
            f"\nFan-out: service {s.fanout_median:.3f} s median ({s.fanout_min:.3f} s min), baseline "
            f"{s.fanout_baseline_median:.3f} s, ratio {s.fanout_ratio:.2f}× — "
            f"{'PASS' if s.fanout_ratio_ok and s.fanout_time_ok else 'FAIL'}"
        )
        print(
            f"Transitions: service {s.tps_median:,.0f}/s median ({s.tps_best:,.0f}/s best), baseline "
            f"{s.tps_baseline_median:,.0f}/s, ratio {s.tps_ratio:.2f}× — "
            f"{'PASS' if s.tps_ok and s.tps_ratio_ok else 'FAIL'}"
        )
        if d is not None:
            print(
                f"Documents: letter {d.letter.ours:.3f} s ({d.letter.ratio:.2f}× bare) — "
                f"{'PASS' if report.letter_ok(d) else 'FAIL'}; ledger {d.ledger_rows:,} rows PDF "
                f"{d.ledger_pdf.ours:.1f} s, Excel {d.ledger_xlsx.ours:.2f} s; Excel peak "
                f"{d.memory[-1].peak_bytes / 2**20:.1f} MiB at {d.memory[-1].rows:,} rows — "
                f"{'PASS' if report.memory_ok(d) else 'FAIL'}"
            )
        if r is not None:
            median, base, ratio = ranking.summary(r)
            print(
                f"Ranking: service {median:.3f} s median, baseline {base:.3f} s, ratio {ratio:.2f}× — "
                f"{'PASS' if report.ranking_ok(r) else 'FAIL'}"
            )
        if so is not None:
            p50, p95, last, worst = sockets.summary(so)
            print(
                f"Live pushes: {so.sockets:,} sockets, p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, last socket "
                f"{last * 1000:.0f} ms median round ({worst * 1000:.0f} ms worst), {so.missing} missed"
            )
        if b is not None:
            print(batch.summary_line(b))
        if ob is not None:
            print(outbox.summary_line(ob))
        if ap is not None:
            print(api.summary_line(ap))
        if im is not None:
            print(imports.summary_line(im))
        if kept is not None:
            print(archive.summary_line(kept))
        if hi is not None:
            print(hierarchy.summary_line(hi))
        print(f"Wrote {args.output.name} in {time.perf_counter() - started:.0f} s ({info.database}).")
        return 0
    finally:
        database.cleanup(backend)


if __name__ == "__main__":
    sys.exit(main())
