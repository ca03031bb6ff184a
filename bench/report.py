"""BENCHMARKS.md: the latest figures in full, and one summary line per run under History.

The targets and whether a run meets them are in bench/targets.py (``summarise``, ``ranking_ok``,
``letter_ok``, … importable from here as well); the later benchmarks write their own sections.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from django.conf import settings

from .api import ApiBenchResult
from .api import report_section as api_section
from .api import summary_line as api_summary
from .archive import summary_line as archive_summary
from .batch import BatchBenchResult
from .batch import history_fragment as batch_history
from .batch import report_section as batch_section
from .database import Backend
from .documents import DocumentsResult
from .fanout import FanoutResult
from .hierarchy_results import HierarchyResult
from .hierarchy_results import report_section as hierarchy_section
from .hierarchy_results import summary_line as hierarchy_summary
from .imports import summary_line as imports_summary
from .machine import Machine
from .outbox import OutboxBenchResult
from .outbox import report_section as outbox_section
from .outbox import summary_line as outbox_summary
from .ranking import RankingResult
from .ranking import summary as ranking_summary
from .sockets import SocketsResult, history_fragment, report_section
from .targets import (
    FANOUT_MAX_RATIO,
    FANOUT_MAX_SECONDS,
    LETTER_MAX_SECONDS,
    MEMORY_MAX_GROWTH,
    MIN_TRANSITIONS_PER_SECOND,
    NOTICE_MAX_SECONDS,
    RANKING_MAX_RATIO,
    RANKING_MAX_SECONDS,
    TRANSITIONS_MAX_RATIO,
    Summary,
    letter_ok,
    memory_ok,
    notice_ok,
    ranking_ok,
    summarise,
    verdict,
)
from .transitions import STEPS, TransitionResult

HISTORY_HEADING = "## History"
STEP_LABELS = {
    "claim": "claim (签收)",
    "report_progress": "report progress (整改进展)",
    "submit_completion": "submit completion",
    "approve_completion": "leader approves (审签)",
    "verify": "verify (核验)",
    "close": "close (销号)",
}


def read_history(path: Path) -> list[str]:
    """The summary lines of earlier runs, kept verbatim."""
    if not path.exists():
        return []
    lines, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() == HISTORY_HEADING:
            inside = True
        elif inside and line.startswith("## "):
            break
        elif inside and line.startswith("- "):
            lines.append(line)
    return lines


def history_line(
    machine: Machine,
    s: Summary,
    documents: DocumentsResult | None = None,
    ranking: RankingResult | None = None,
    sockets: SocketsResult | None = None,
    batch: BatchBenchResult | None = None,
    outbox: OutboxBenchResult | None = None,
    api: ApiBenchResult | None = None,
    imports: dict | None = None,
    archive: dict | None = None,
    hierarchy: HierarchyResult | None = None,
) -> str:
    line = (
        f"- {machine.date} · {machine.database} · {machine.cpu} ({machine.calibration.split(';')[0]}) · "
        f"fan-out {s.fanout_median:.3f} s median, {s.fanout_ratio:.1f}× baseline "
        f"({'PASS' if s.fanout_ratio_ok and s.fanout_time_ok else 'FAIL'}) · "
        f"transitions {s.tps_median:,.0f}/s median, {s.tps_ratio:.1f}× baseline time "
        f"({'PASS' if s.tps_ok and s.tps_ratio_ok else 'FAIL'})"
    )
    if documents is not None:
        d = documents
        small, large = d.memory[0], d.memory[-1]
        line += (
            f" · letter {d.letter.ours:.3f} s, {d.letter.ratio:.2f}× bare weasyprint "
            f"({'PASS' if letter_ok(d) else 'FAIL'}) · ledger {d.ledger_rows:,} rows: PDF {d.ledger_pdf.ours:.1f} s "
            f"({d.ledger_pdf.ratio:.2f}×), Excel {d.ledger_xlsx.ours:.2f} s · Excel peak "
            f"{_mib(small.peak_bytes)} at {small.rows:,} rows, {_mib(large.peak_bytes)} at {large.rows:,} "
            f"({'PASS' if memory_ok(d) else 'FAIL'})"
        )
        if d.notice is not None:
            line += (
                f" · notice {d.notice.pages} pages {d.notice.ours:.3f} s, {d.notice.ratio:.2f}× bare "
                f"({'PASS' if notice_ok(d) else 'FAIL'})"
            )
    if ranking is not None:
        median, _base, ratio = ranking_summary(ranking)
        line += (
            f" · ranking {ranking.units:,} units / {ranking.assignments:,} assignments {median:.3f} s median, "
            f"{ratio:.2f}× baseline ({'PASS' if ranking_ok(ranking) else 'FAIL'})"
        )
    if sockets is not None:
        line += history_fragment(sockets)
    if batch is not None:
        line += batch_history(batch)
    if outbox is not None:
        line += " · " + outbox_summary(outbox)
    if api is not None:
        line += " · " + api_summary(api)
    if imports is not None:
        line += " · " + imports_summary(imports)
    if archive is not None:
        line += " · " + archive_summary(archive)
    if hierarchy is not None:
        line += " · " + hierarchy_summary(hierarchy)
    return line


def _ranking_section(r: RankingResult, number: int) -> list[str]:
    median, base, ratio = ranking_summary(r)
    return [
        f"## {number}. Ranking a cycle (双周排队)",
        "",
        f"One cycle closed for {r.units:,} units holding {r.assignments:,} assignments ({r.reports:,} progress "
        f"reports, {r.audit_rows:,} audit rows): `services.cycle_close`, as `manage.py tick` runs it at the "
        "cut-off, counts every unit's figures in SQL (three aggregate queries and a semi-join), scores and "
        f"places the units in Python (exact cents), writes the {r.units:,} results with one COPY and steps the "
        f"escalation ladder; {r.ranked:,} units were ranked. The baseline is a single hand-written SQL "
        "aggregate computing the same figures per unit over the same data, fetched; the two are checked to "
        f"count the same. {len(r.service_s)} runs each, alternating, each close rolled back so every run ranks "
        "the same cycle; the data is generated straight into the tables.",
        "",
        "| | Service | Baseline (one SQL aggregate) |",
        "|---|---:|---:|",
        f"| median | {median:.3f} s | {base:.3f} s |",
        f"| min | {min(r.service_s):.3f} s | {min(r.baseline_s):.3f} s |",
        f"| SQL statements (the COPY included) | {r.service_queries} | {r.baseline_queries} |",
        "",
        "| Target | Measured | Verdict |",
        "|---|---:|---|",
        f"| service within {RANKING_MAX_RATIO:g}× of the baseline (median / median) | {ratio:.2f}× | "
        f"{verdict(ratio <= RANKING_MAX_RATIO)} |",
        f"| service under {RANKING_MAX_SECONDS:g} s (median) | {median:.3f} s | "
        f"{verdict(median < RANKING_MAX_SECONDS)} |",
        "",
    ]


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def _kib(size: int) -> str:
    return f"{size / 1024:,.0f} KiB"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _fanout_section(f: FanoutResult, s: Summary) -> list[str]:
    n = f.units * f.items
    return [
        "## 1. Fan-out: issuing one letter",
        "",
        f"One signed letter addressed to {f.units} units with {f.items} items that name no unit, so every "
        f"item goes to every unit: `services.letter_issue` numbers the letter and creates {n:,} assignments, "
        f"{f.audit_rows:,} audit rows (one for the letter, one per assignment) and {f.notifications:,} "
        "notifications (each unit's liaison and leader), in one transaction. The baseline does the same reads "
        "and writes in bare SQL (letter lock, role check, counter upsert, letter UPDATE, one multi-row INSERT "
        "each for the assignments and the audit rows — `INSERT … SELECT FROM UNNEST` on PostgreSQL, as "
        "Django's `bulk_create` does, multi-row VALUES on SQLite — and one INSERT … SELECT for the "
        "notifications). "
        f"{len(f.service_s)} runs each, alternating, a fresh letter every run; after each run the row "
        "counts are checked.",
        "",
        "| | Service | Baseline (bare SQL) |",
        "|---|---:|---:|",
        f"| median | {s.fanout_median:.3f} s | {s.fanout_baseline_median:.3f} s |",
        f"| min | {s.fanout_min:.3f} s | {min(f.baseline_s):.3f} s |",
        f"| SQL statements (BEGIN and COMMIT included) | {f.service_queries} | {f.baseline_queries} |",
        "",
        "| Target | Measured | Verdict |",
        "|---|---:|---|",
        f"| service within {FANOUT_MAX_RATIO:g}× of the baseline (median / median) | {s.fanout_ratio:.2f}× | "
        f"{verdict(s.fanout_ratio_ok)} |",
        f"| service under {FANOUT_MAX_SECONDS:g} s (median) | {s.fanout_median:.3f} s | {verdict(s.fanout_time_ok)} |",
        "",
    ]


def _transition_section(t: TransitionResult, s: Summary) -> list[str]:
    def per_step(rounds: list, step: str) -> float:
        return statistics.median(r.per_step[step] for r in rounds) / t.assignments

    lines = [
        "## 2. Transition loop",
        "",
        f"{t.assignments} assignments, each taken through the six transitions claim → report progress → "
        f"submit completion → leader approves → verify → close ({t.transitions:,} transitions per round, "
        "one transaction each, each actor loaded afresh as a request would). The baseline does the same "
        "row lock, UPDATE and audit / report / sign-off / notification / outbox-event INSERTs in bare SQL, "
        f"one transaction per transition. {len(t.service)} rounds each, alternating; the closing of the letter "
        "with its last assignment is included.",
        "",
        "| | Service | Baseline (bare SQL) |",
        "|---|---:|---:|",
        f"| transitions per second, median round | {s.tps_median:,.0f} | {s.tps_baseline_median:,.0f} |",
        f"| transitions per second, best round | {s.tps_best:,.0f} | "
        f"{max(t.transitions / r.seconds for r in t.baseline):,.0f} |",
        f"| time per transition, median round | {_ms(1 / s.tps_median)} | {_ms(1 / s.tps_baseline_median)} |",
        "",
        "| Target | Measured | Verdict |",
        "|---|---:|---|",
        f"| at least {MIN_TRANSITIONS_PER_SECOND:g} transitions per second (median round) | "
        f"{s.tps_median:,.0f}/s | {verdict(s.tps_ok)} |",
        f"| service within {TRANSITIONS_MAX_RATIO:g}× of the baseline (time per transition, median round) | "
        f"{s.tps_ratio:.2f}× | {verdict(s.tps_ratio_ok)} |",
        "",
        "Per step (median over the rounds; statements counted with `CaptureQueriesContext`, BEGIN and "
        "COMMIT included, in the typical case: not the close that also closes the letter):",
        "",
        "| Step | Service | Baseline | Ratio | Service statements | Baseline statements |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for step in STEPS:
        svc, base = per_step(t.service, step), per_step(t.baseline, step)
        lines.append(
            f"| {STEP_LABELS[step]} | {_ms(svc)} | {_ms(base)} | {svc / base:.1f}× | "
            f"{t.service_queries.get(step, 0)} | {t.baseline_queries.get(step, 0)} |"
        )
    total_q = sum(t.service_queries.values())
    total_b = sum(t.baseline_queries.values())
    lines += [f"| **all six** | | | | **{total_q}** | **{total_b}** |", ""]
    return lines


def _documents_section(d: DocumentsResult) -> list[str]:
    def row(t, what: str) -> str:
        size = _kib(t.size)
        pages = str(t.pages) if t.pages else "—"
        return f"| {what} | {t.ours:.3f} s | {t.bare:.3f} s | {t.ratio:.2f}× | {pages} | {size} |"

    small, large = d.memory[0], d.memory[-1]
    return [
        "## 3. Documents",
        "",
        "Each document rendered our way (read through the ORM, build the context, render the Django "
        "template, weasyprint with the static-only URL fetcher; fonts subset with HarfBuzz and embedded) "
        "next to weasyprint alone turning the identical final HTML into a PDF "
        "(`weasyprint.HTML(string=html).write_pdf()`). The Excel ledger (one query streamed with "
        "`.iterator()`, formatted text, styles, merged cells, print setup, written with openpyxl's "
        "write-only mode) is set against openpyxl's write-only mode appending the same values with no "
        "style or merge. Medians of alternating runs "
        f"({len(d.letter.ours_s)} per letter, {len(d.ledger_xlsx.ours_s)} for the Excel ledger, "
        f"{len(d.ledger_pdf.ours_s)} for the PDF ledger), after an untimed warm-up.",
        "",
        "| Document | Ours | Bare | Ratio | Pages | Size |",
        "|---|---:|---:|---:|---:|---:|",
        row(d.letter, "one-page letter (header, body, signature, 版记; no attachment)"),
        row(d.attachment_letter, f"letter with a {d.letter_items}-item attachment table"),
        row(d.ledger_pdf, f"ledger, {d.ledger_rows:,} rows, PDF (landscape)"),
        row(d.ledger_xlsx, f"ledger, {d.ledger_rows:,} rows, Excel (bare: plain write-only openpyxl)"),
        *(
            [row(d.notice, f"biweekly notice (双周通报), {d.notice_units} units in 4 groups, 6 SVG charts")]
            if d.notice is not None
            else []
        ),
        "",
        "Peak Python memory (tracemalloc, which also slows the run) of the Excel ledger export, 10× the rows:",
        "",
        "| Rows | Peak memory | Time under tracemalloc | File size |",
        "|---:|---:|---:|---:|",
        *[f"| {m.rows:,} | {_mib(m.peak_bytes)} | {m.seconds:.1f} s | {_kib(m.size)} |" for m in d.memory],
        "",
        "| Target | Measured | Verdict |",
        "|---|---:|---|",
        f"| one-page letter at most {LETTER_MAX_SECONDS:g} s (median) | {d.letter.ours:.3f} s | "
        f"{verdict(letter_ok(d))} |",
        *(
            [
                f"| biweekly notice of about 20 pages at most {NOTICE_MAX_SECONDS:g} s (median) | "
                f"{d.notice.ours:.3f} s, {d.notice.pages} pages | {verdict(notice_ok(d))} |"
            ]
            if d.notice is not None
            else []
        ),
        f"| Excel export memory flat: {large.rows:,} rows within {MEMORY_MAX_GROWTH:g}× the peak of "
        f"{small.rows:,} | {large.peak_bytes / small.peak_bytes:.2f}× | {verdict(memory_ok(d))} |",
        "",
        "weasyprint lays tables out at about 10 ms a row, so the PDF ledger is capped for the web "
        f"(`notices.ledger.PDF_MAX_ROWS`, {_pdf_cap()} rows; the Excel export has no cap). The Excel "
        f"peak is one fetched chunk of rows (`notices.ledger.CHUNK`, {_chunk()}); the only thing that "
        "grows with the rows is the list of merged ranges, 16 bytes each. Most of a letter's size is its "
        "fonts: weasyprint subsets them keeping the glyph numbering, so a subset CJK face still carries an "
        "entry for every glyph number below the highest one used (about 90–160 KiB compressed per face).",
        "",
    ]


def _pdf_cap() -> str:
    from notices.ledger import PDF_MAX_ROWS

    return f"{PDF_MAX_ROWS:,}"


def _chunk() -> str:
    from notices.ledger import CHUNK

    return f"{CHUNK:,} rows"


def render(
    machine: Machine,
    backend: Backend,
    fanout: FanoutResult,
    loop: TransitionResult,
    history: list[str],
    documents: DocumentsResult | None = None,
    ranking: RankingResult | None = None,
    sockets: SocketsResult | None = None,
    batch: BatchBenchResult | None = None,
    outbox: OutboxBenchResult | None = None,
    api: ApiBenchResult | None = None,
    imports: dict | None = None,
    archive: dict | None = None,
    hierarchy: HierarchyResult | None = None,
) -> str:
    s = summarise(fanout, loop)
    lines = [
        "# Benchmarks",
        "",
        "What the hot paths of the engine cost, next to the same work done bare: issuing a letter (the "
        "fan-out into assignments) and the assignment transitions against bare SQL, and the documents "
        "(letters and ledgers as PDF and Excel) against weasyprint and openpyxl alone. Run with `make bench` "
        "(`bench/run.py`); it uses the PostgreSQL database in `DATABASE_URL` (default: "
        "`supervision_bench` on the local server, created if missing, emptied at every run) and rewrites "
        "this file, keeping the History section. Debug query logging is off while timing; statement "
        "counts come from a separate, untimed pass.",
        "",
    ]
    if backend.is_fallback:
        lines += [
            "> **These figures are SQLite ones**: PostgreSQL was not reachable when this run was made, so it "
            "ran on a temporary SQLite file. Production runs on PostgreSQL; rerun `make bench` with it.",
            "",
        ]
    lines += [
        "## Machine",
        "",
        f"- Date: {machine.date}",
        f"- CPU: {machine.cpu}",
        f"- Cores: {machine.cores}",
        f"- RAM: {machine.ram}",
        f"- Python: {machine.python}",
        f"- Django: {machine.django}",
        f"- Database: {machine.database}" + (" (fallback)" if backend.is_fallback else ""),
        "- Live pushes: "
        + ("the Redis channel layer" if settings.REDIS_URL else "the in-memory channel layer (Redis not reachable)"),
        f"- Calibration: {machine.calibration}",
        "",
        "Virtual machines vary by ±20 % from one run to the next; the ratios to the baseline, taken in "
        "the same process and interleaved, move less than the absolute figures.",
        "",
    ]
    lines += _fanout_section(fanout, s)
    lines += _transition_section(loop, s)
    if documents is not None:
        lines += _documents_section(documents)
    if ranking is not None:
        lines += _ranking_section(ranking, 4 if documents is not None else 3)
    if sockets is not None:
        lines += report_section(sockets, 3 + (documents is not None) + (ranking is not None))
    if batch is not None:
        lines += batch_section(batch, 3 + (documents is not None) + (ranking is not None) + (sockets is not None))
    number = 2 + sum(x is not None for x in (documents, ranking, sockets, batch))
    if outbox is not None:
        number += 1
        lines += outbox_section(outbox, number)
    if api is not None:
        number += 1
        lines += api_section(api, number)
    if imports is not None or archive is not None:
        number += 1
        lines += _moving_in_section(imports, archive, number)
    if hierarchy is not None:
        number += 1
        lines += hierarchy_section(hierarchy, number)
    lines += [
        HISTORY_HEADING,
        "",
        "One line per run, oldest first.",
        "",
        *history,
        history_line(machine, s, documents, ranking, sockets, batch, outbox, api, imports, archive, hierarchy),
        "",
    ]
    return "\n".join(lines)


def _moving_in_section(imports: dict | None, archive: dict | None, number: int) -> list[str]:
    lines = [f"## {number}. Moving in and keeping what was issued", ""]
    if imports is not None:
        r = imports
        lines += [
            f"**Problem-list import.** A {r['rows']:,}-row ledger in the layout offices keep (seed 000's 附件1: "
            "grouped two-row headings, the problem cell merged down over its measures, several units and "
            f"collective names per cell; {r['problems']:,} problems, {r['leads']:,} lead units once expanded), "
            "read into the preview (every row checked, units resolved, deadlines read) against openpyxl "
            f"alone iterating the same sheet's values; medians of {r['runs']} runs, alternating.",
            "",
            "| Path | Time | Peak memory |",
            "|---|---|---|",
            f"| Preview (.xlsx) | {r['preview_s']:.2f} s | {r['preview_peak_mb']} MB |",
            f"| openpyxl alone | {r['openpyxl_s']:.2f} s | {r['openpyxl_peak_mb']} MB |",
            f"| Preview (.xls) | {r['xls_preview_s']:.2f} s | |",
            f"| xlrd alone | {r['xlrd_s']:.2f} s | |",
            "",
            f"Ratio {r['ratio']:.2f}× (target ≤ {r['target_ratio']:g}×): {verdict(r['pass'])}. "
            f"The .xls ratio ({r['xls_ratio']:.2f}×) is for information: xlrd reads so fast that it measures "
            "the per-row work alone.",
            "",
        ]
    if archive is not None:
        a = archive["letter"]
        lines += [
            f"**Kept documents.** An issued letter ({a['items']} items, {a['size_bytes'] // 1024} KiB) downloaded "
            "as stored when it was issued (the whole request through Django in-process: session, visibility, "
            "read receipt, the kept version found, its SHA-256 checked, the response; and the service alone) "
            f"against rendering it afresh with weasyprint; medians of {a['runs']} runs, alternating. Storing "
            f"it the first time (render and store, on the worker) took {a['first_store_ms']:.0f} ms.",
            "",
            "| Path | Time | Share of a fresh render |",
            "|---|---|---|",
            f"| Download of the kept file | {a['stored_download_ms']:.1f} ms | {a['ratio']:.1%} |",
            f"| Service alone | {a['stored_service_ms']:.1f} ms | {a['service_ratio']:.1%} |",
            f"| Fresh render | {a['fresh_render_ms']:.0f} ms | 100 % |",
            "",
            f"Targets: download ≤ {archive['target_view_ratio']:.0%}, service ≤ "
            f"{archive['target_service_ratio']:.0%}: {verdict(archive['pass'])}.",
            "",
        ]
    return lines
