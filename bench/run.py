"""`make bench`: time the letter fan-out and the assignment transitions, through the services and
in bare SQL, and write BENCHMARKS.md at the repository root.

Usage: python bench/run.py [--runs 5] [--rounds 3] [--output BENCHMARKS.md] [--profile]
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
    p.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="report to (re)write")
    p.add_argument("--profile", action="store_true", help="print profiles of the service paths; write nothing")
    return p.parse_args(argv)


def setup_django() -> Backend:
    # Run as a script, Python puts bench/ on the path; the project and this package need the root.
    sys.path.insert(0, str(ROOT))
    from bench import database

    backend = database.choose()
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
    import django
    from django.conf import settings

    django.setup()
    # Production runs with DEBUG off; with it on, every statement would also be logged in memory.
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return backend


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    backend = setup_django()

    from bench import database, fanout, machine, report, transitions, world

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

        print(f"Fan-out: {args.units} units × {args.items} items, {args.runs} runs per path…")
        f = fanout.run(w, units=args.units, items=args.items, runs=args.runs)
        database.analyze()
        n = args.loop_units * args.loop_items
        print(f"Transition loop: {n} assignments × 6 transitions, {args.rounds} rounds per path…")
        t = transitions.run(w, units=args.loop_units, items=args.loop_items, rounds=args.rounds)

        text = report.render(info, backend, f, t, report.read_history(args.output))
        args.output.write_text(text, encoding="utf-8")
        s = report.summarise(f, t)
        print(
            f"\nFan-out: service {s.fanout_median:.3f} s median ({s.fanout_min:.3f} s min), baseline "
            f"{s.fanout_baseline_median:.3f} s, ratio {s.fanout_ratio:.2f}× — "
            f"{'PASS' if s.fanout_ratio_ok and s.fanout_time_ok else 'FAIL'}"
        )
        print(
            f"Transitions: service {s.tps_median:,.0f}/s median ({s.tps_best:,.0f}/s best), baseline "
            f"{s.tps_baseline_median:,.0f}/s, ratio {s.tps_ratio:.2f}× — {'PASS' if s.tps_ok else 'FAIL'}"
        )
        print(f"Wrote {args.output.name} in {time.perf_counter() - started:.0f} s ({info.database}).")
        return 0
    finally:
        database.cleanup(backend)


if __name__ == "__main__":
    sys.exit(main())
