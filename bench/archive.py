"""Benchmark: a kept document's download against rendering the same document afresh.

An issued letter's PDF is rendered once, when it is issued (by the worker), and stored with its
SHA-256 (supervision/services/issued_documents.py); every download serves that file. This times
what a reader's download now costs against what it cost before, when each download rendered the
letter:

- stored: ``GET /documents/letters/<pk>/pdf/`` through Django in-process (the test client: no
  network, no server), as an addressed unit's liaison signed in: the session, the visibility
  check, the read receipt, finding the kept version (two indexed queries), reading the file and
  checking its SHA-256, the response. Also the service alone (``issued_document_current`` and
  ``issued_document_read``), without the request around it.
- fresh: ``notices.letters.letter_pdf`` on the same letter: the ORM reads, the template and
  weasyprint, without any request around it (so the ratio flatters the fresh render).

Both after untimed warm-ups (fonts are loaded once per process), alternating which goes first,
medians of ``runs``. The targets: the kept file served by the service costs at most 5 % of a
fresh render, and the whole download request (session, checks and all) at most 10 %.
With ``--notice``, the same for a published 20-page notice (the button's POST against
``notices.notice.notice_pdf``), built as bench/documents.py builds it.

Alone: ``python -m bench.archive [--units 5] [--items 5] [--runs 20] [--notice]`` (prints the
figures and the result dict, writes nothing). From a harness: ``run(world, ...)`` returns the dict.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

# The targets, as shares of a fresh render's time: the service serving the kept file, and the
# whole download request around it (seven queries, the middleware, the response).
TARGET_SERVICE_RATIO = 0.05
TARGET_VIEW_RATIO = 0.10


def _time(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _alternate(pairs: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Each callable ``runs`` times, the order rotated every run; seconds per callable."""
    names = list(pairs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for n in range(runs):
        order = names[n % len(names) :] + names[: n % len(names)]
        for name in order:
            times[name].append(_time(pairs[name]))
    return times


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _letter_figures(world: Any, *, units: int, items: int, runs: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from bench.documents import _letter
    from notices.letters import letter_pdf
    from supervision.models import Letter
    from supervision.services.issued_documents import (
        issued_document_current,
        issued_document_ensure,
        issued_document_read,
    )

    unit_ids = world.unit_ids[:units]
    letter = _letter(world, unit_ids=unit_ids, items=items, title="关于加快推进问题整改的督办函（存档基准）")
    store_s = _time(lambda: issued_document_ensure(letter=letter))  # the worker's one render and store
    document = issued_document_current(letter=letter)
    reader = Client()
    reader.force_login(world.liaison[unit_ids[0]])
    url = reverse("notices:letter_pdf", args=[letter.pk])

    def stored_view() -> None:
        response = reader.get(url)
        assert response.status_code == 200 and len(response.content) == document.size

    def stored_service() -> None:
        kept = issued_document_current(letter=letter.pk)
        assert issued_document_read(kept) is not None

    def fresh() -> None:
        letter_pdf(Letter.objects.get(pk=letter.pk))

    for warm in (stored_view, stored_service, fresh):
        warm()
    times = _alternate({"stored_view": stored_view, "stored_service": stored_service, "fresh": fresh}, runs)
    view, service, render = (statistics.median(times[k]) for k in ("stored_view", "stored_service", "fresh"))
    return {
        "items": items,
        "size_bytes": document.size,
        "runs": runs,
        "first_store_ms": _ms(store_s),
        "stored_download_ms": _ms(view),
        "stored_service_ms": _ms(service),
        "fresh_render_ms": _ms(render),
        "ratio": round(view / render, 4),
        "service_ratio": round(service / render, 4),
    }


def _notice_figures(world: Any, *, runs: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from bench.documents import _notice
    from notices.notice import notice_pdf
    from supervision.models import Notice
    from supervision.services.issued_documents import issued_document_ensure

    notice, notice_units = _notice(world)
    store_s = _time(lambda: issued_document_ensure(notice=notice))
    document = issued_document_ensure(notice=notice)
    reader = Client()
    reader.force_login(world.clerk)
    url = reverse("notices:notice_pdf", args=[notice.pk])

    def stored_view() -> None:
        response = reader.post(url)
        assert response.status_code == 200 and len(response.content) == document.size

    def fresh() -> None:
        notice_pdf(Notice.objects.get(pk=notice.pk))

    stored_view()
    times = _alternate({"stored_view": stored_view, "fresh": fresh}, runs)
    view, render = statistics.median(times["stored_view"]), statistics.median(times["fresh"])
    return {
        "units": notice_units,
        "size_bytes": document.size,
        "runs": runs,
        "first_store_ms": _ms(store_s),
        "stored_download_ms": _ms(view),
        "fresh_render_ms": _ms(render),
        "ratio": round(view / render, 4),
    }


def run(world: Any, *, units: int = 5, items: int = 5, runs: int = 20, notice_runs: int = 0) -> dict[str, Any]:
    """The figures as a dict: ``letter`` (and ``notice`` when ``notice_runs``), the targets and
    whether they are met."""
    result: dict[str, Any] = {"target_service_ratio": TARGET_SERVICE_RATIO, "target_view_ratio": TARGET_VIEW_RATIO}
    print(f"  Letter with {items} items to {units} units, {runs} runs per path…")
    result["letter"] = _letter_figures(world, units=units, items=items, runs=runs)
    if notice_runs:
        print(f"  Published notice, {notice_runs} runs per path…")
        result["notice"] = _notice_figures(world, runs=notice_runs)
    letter = result["letter"]
    result["pass"] = (
        letter["service_ratio"] <= TARGET_SERVICE_RATIO
        and letter["ratio"] <= TARGET_VIEW_RATIO
        and ("notice" not in result or result["notice"]["ratio"] <= TARGET_VIEW_RATIO)
    )
    return result


def summary_line(result: dict[str, Any]) -> str:
    letter = result["letter"]
    line = (
        f"Kept letter download {letter['stored_download_ms']} ms vs fresh render {letter['fresh_render_ms']} ms "
        f"({letter['ratio']:.1%}; service alone {letter['stored_service_ms']} ms, {letter['service_ratio']:.1%})"
    )
    if "notice" in result:
        notice = result["notice"]
        line += (
            f"; kept notice {notice['stored_download_ms']} ms vs {notice['fresh_render_ms']} ms ({notice['ratio']:.1%})"
        )
    verdict = "PASS" if result["pass"] else "FAIL"
    return f"{line} — targets: service ≤ {TARGET_SERVICE_RATIO:.0%}, download ≤ {TARGET_VIEW_RATIO:.0%}: {verdict}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=5, help="units the letter is addressed to")
    p.add_argument("--items", type=int, default=5, help="items of the letter")
    p.add_argument("--runs", type=int, default=20, help="timed downloads and renders per path")
    p.add_argument("--notice", action="store_true", help="also a published 20-page notice")
    p.add_argument("--notice-runs", type=int, default=3, help="timed runs per path for the notice")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    from bench.run import setup_django

    backend = setup_django()
    from django.conf import settings

    from bench import database, world

    # The kept files go to a folder of their own, removed afterwards, not the project's var/media.
    media = tempfile.mkdtemp(prefix="bench-archive-")
    settings.MEDIA_ROOT = media
    try:
        print("Migrating and emptying the bench database…")
        database.migrate_and_reset()
        w = world.build(max(args.units, 5))
        result = run(
            w, units=args.units, items=args.items, runs=args.runs, notice_runs=args.notice_runs if args.notice else 0
        )
        print(result)
        print(summary_line(result))
        return 0
    finally:
        database.cleanup(backend)
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
