"""Benchmark 3: documents, each next to the same work done bare.

PDFs: our full render (read the letter or the ledger through the ORM, build the context,
render the template, weasyprint with the static-only fetcher) against weasyprint alone
turning the identical final HTML into a PDF (``weasyprint.HTML(string=html).write_pdf()``):
the ratio is everything we add around weasyprint. Excel: our export (one query streamed with
``.iterator()``, text formatting, styles, merged cells, print setup) against openpyxl's
write-only mode appending the same values with no style or merge.

Memory: the peak Python allocation (tracemalloc) of an Excel ledger export of 20,000 and of
200,000 rows. The export streams, so the peak should not grow with the rows: that is the point.

The biweekly notice (双周通报): a cycle's snapshot for enough units in four peer groups that the
notice runs to about 20 pages (ranking tables, overdue table, six SVG charts), rendered our way
(``notice_pdf``: snapshot queries, charts, template, weasyprint) against weasyprint alone on the
same final HTML.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import weasyprint
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from pypdf import PdfReader

from notices import ledger, wording
from notices.letters import letter_html, letter_pdf
from notices.notice import notice_html, notice_pdf
from supervision import services
from supervision.models import (
    Assignment,
    AssignmentState,
    Cycle,
    CycleState,
    Escalation,
    EscalationLevel,
    Item,
    ItemCategory,
    ItemSource,
    Letter,
    LetterKind,
    Notice,
    PeerGroup,
    ProgressReport,
    Unit,
    UnitKind,
    UnitResult,
)
from supervision.services.rule_sets import ruleset_current

from .world import DEADLINE, World, fresh

LETTER_BODY = (
    "根据市巩固拓展脱贫攻坚成果同乡村振兴领导小组工作安排，现将易地扶贫搬迁后续扶持考核评估反馈问题"
    "交由你单位整改。请对照问题清单逐项制定整改措施，明确责任人和完成时限，按时报送整改进展，"
    "确保8月15日前高质量完成整改任务。"
)
ITEM_TEXT = "搬迁群众增收压力大，异地搬迁脱贫人口人均纯收入增速连续两年低于脱贫人口平均水平"
MEASURES = "支持文化产业赋能乡村振兴，发展乡村旅游新业态，开发乡村旅游精品线路，支持建设非遗工坊"


@dataclass
class Timed:
    """One document, rendered our way and bare, alternating."""

    label: str
    ours_s: list[float] = field(default_factory=list)
    bare_s: list[float] = field(default_factory=list)
    pages: int = 0
    size: int = 0

    @property
    def ours(self) -> float:
        return statistics.median(self.ours_s)

    @property
    def bare(self) -> float:
        return statistics.median(self.bare_s)

    @property
    def ratio(self) -> float:
        return self.ours / self.bare


@dataclass
class Memory:
    rows: int
    peak_bytes: int
    seconds: float
    size: int


@dataclass
class DocumentsResult:
    letter: Timed
    letter_items: int
    attachment_letter: Timed
    ledger_rows: int
    ledger_pdf: Timed
    ledger_xlsx: Timed
    memory: list[Memory]
    notice: Timed | None = None
    notice_units: int = 0


# --- the data ---------------------------------------------------------------------------------------


def _letter(world: World, *, unit_ids: list[int], items: int, title: str) -> Letter:
    """An issued letter with ``items`` items going to every addressee (bulk-created: this
    benchmark reads documents, it does not time drafting)."""
    clerk = fresh(world.clerk)
    letter = services.letter_create(
        actor=clerk,
        office=world.office,
        kind=LetterKind.SUPERVISION,
        title=title,
        body=LETTER_BODY,
        addressee_ids=unit_ids,
        cc_ids=world.unit_ids[-2:],
    )
    Item.objects.bulk_create(
        [
            Item(
                letter=letter,
                seq=n,
                category=ItemCategory.COMMON if n % 2 else ItemCategory.SPECIFIC,
                source=ItemSource.PROVINCIAL if n % 2 else ItemSource.SELF_INSPECTION,
                site="" if n % 2 else f"第{n}安置点",
                description=f"问题{n}：{ITEM_TEXT}",
                measures=MEASURES,
                deadline=DEADLINE,
                deadline_kind="phase_then_ongoing" if n % 3 == 0 else "by_date",
            )
            for n in range(1, items + 1)
        ]
    )
    services.letter_sign(actor=fresh(world.director), letter=letter)
    return services.letter_issue(actor=clerk, letter=letter)


def _progress(world: World, letters: list[Letter]) -> None:
    """Half the assignments are in progress with a report (a third with two: the ledger shows
    the latest)."""
    ids = list(Assignment.objects.filter(letter__in=letters).order_by("pk").values_list("pk", "unit_id"))
    working = ids[::2]
    now = timezone.now()
    with transaction.atomic():
        Assignment.objects.filter(pk__in=[pk for pk, _unit in working]).update(
            state=AssignmentState.IN_PROGRESS, responsible_person="张三"
        )
        for start in range(0, len(working), 5000):
            batch = working[start : start + 5000]
            reports = [
                ProgressReport(
                    assignment_id=pk,
                    text="已完成排查，正在整改",
                    author_id=world.liaison[unit].pk,
                    created_at=now - dt.timedelta(days=14),
                )
                for pk, unit in batch
            ]
            reports += [
                ProgressReport(
                    assignment_id=pk,
                    text=f"已完成道路硬化和配套设施建设，第{n}次报送",
                    author_id=world.liaison[unit].pk,
                    created_at=now,
                )
                for n, (pk, unit) in enumerate(batch)
                if n % 3 == 0
            ]
            ProgressReport.objects.bulk_create(reports, batch_size=5000)


# The notice's units by peer group: with half of them overdue, about 20 A4 pages.
NOTICE_GROUPS = (
    (PeerGroup.COUNTY, UnitKind.COUNTY, "县", 60),
    (PeerGroup.DEPARTMENT, UnitKind.DEPARTMENT, "局", 100),
    (PeerGroup.WORK_TEAM, UnitKind.WORK_TEAM, "工作专班", 60),
    (PeerGroup.TOWNSHIP, UnitKind.TOWNSHIP, "镇", 100),
)
NOTICE_CYCLES = 8  # the trend charts' span


def _notice(world: World) -> tuple[Notice, int]:
    """A published notice for the last of ``NOTICE_CYCLES`` closed cycles, whose frozen results
    cover every unit of ``NOTICE_GROUPS`` (bulk-created: this benchmark reads the snapshot, it does
    not time the ranking, which bench/ranking.py does)."""
    units: list[Unit] = []
    for group, kind, suffix, count in NOTICE_GROUPS:
        units += Unit.objects.bulk_create(
            [
                Unit(name=f"通报基准{n:03d}{suffix}", short_name=f"基准{n:03d}{suffix}", kind=kind, peer_group=group)
                for n in range(1, count + 1)
            ]
        )
    rules = ruleset_current(world.office)
    mine = Cycle.objects.filter(office=world.office)
    first = (mine.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    seq = (mine.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    now = timezone.now()
    cycles = []
    for k in range(NOTICE_CYCLES):
        start = dt.date(2024, 1, 1) + dt.timedelta(days=14 * k)
        cutoff = timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=11), dt.time(17)))
        cycles.append(
            Cycle.objects.create(
                office=world.office,
                number=first + k,
                seq=seq + k,
                starts_on=start,
                ends_on=start + dt.timedelta(days=13),
                opens_at=cutoff - dt.timedelta(days=14),
                cutoff_at=cutoff,
                state=CycleState.CLOSED,
                opened_at=cutoff - dt.timedelta(days=14),
                closed_at=cutoff,
                rule_set=rules,
            )
        )
    results, escalations = [], []
    for k, cycle in enumerate(cycles):
        for group, _kind, _suffix, _count in NOTICE_GROUPS:
            members = [u for u in units if u.peer_group == group]
            for place, unit in enumerate(members, start=1):
                held = 8 + place % 7
                overdue = (place + k) % 4 if place % 2 else 0
                made = held - (place + k) % 3
                score = Decimal(100) - Decimal(place) * Decimal("0.25") - overdue
                results.append(
                    UnitResult(
                        cycle=cycle,
                        ranked_by=world.office,
                        unit=unit,
                        peer_group=group,
                        unit_order=place,
                        held=held,
                        claims_due=held,
                        claimed_on_time=held,
                        reports_due=held,
                        reports_made=made,
                        overdue=overdue,
                        closed=place % 3,
                        rejections=0,
                        returns_upheld=0,
                        returns_rejected=0,
                        extensions=0,
                        points_base=Decimal(0),
                        points_claims=Decimal(10),
                        points_reports=Decimal(30),
                        points_on_time=score - 40,
                        points_closed=Decimal(0),
                        points_rejections=Decimal(0),
                        points_returns_rejected=Decimal(0),
                        points_returns_upheld=Decimal(0),
                        points_extensions=Decimal(0),
                        score=score,
                        ranked=True,
                        rank=place,
                        group_size=len(members),
                        last_streak=k + 1 if place == len(members) else 0,
                    )
                )
            last = members[-1]
            level = min(k + 1, EscalationLevel.REFERRAL)
            escalations.append(
                Escalation(
                    cycle=cycle,
                    ranked_by=world.office,
                    unit=last,
                    peer_group=group,
                    level=level,
                    streak=k + 1,
                    created_at=now,
                )
            )
    UnitResult.objects.bulk_create(results, batch_size=5000)
    Escalation.objects.bulk_create(escalations)
    notice = services.notice_draft(
        actor=fresh(world.clerk),
        office=world.office,
        cycle=cycles[-1],
        title=f"第{cycles[-1].number}期双周调度情况通报",
        opening="现将本期双周调度、双周排队情况通报如下。各单位要对照排名找差距，逐项抓好整改落实。",
    )
    notice = services.notice_sign(actor=fresh(world.director), notice=notice)
    notice = services.notice_publish(actor=fresh(world.clerk), notice=notice)
    return notice, len(units)


# --- timing -----------------------------------------------------------------------------------------------


def _time(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def _alternate(timed: Timed, ours: Callable[[], object], bare: Callable[[], object], runs: int) -> None:
    for n in range(runs):
        order = [("ours", ours), ("bare", bare)]
        for name, fn in order if n % 2 == 0 else reversed(order):
            seconds, _value = _time(fn)
            (timed.ours_s if name == "ours" else timed.bare_s).append(seconds)
        print(f"  {timed.label}: run {n + 1} ours {timed.ours_s[-1]:.3f} s, bare {timed.bare_s[-1]:.3f} s")


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _pdf_pair(label: str, ours: Callable[[], bytes], html: str, runs: int) -> Timed:
    timed = Timed(label)
    pdf = ours()  # untimed warm-up: fonts are loaded and cached once per process
    weasyprint.HTML(string=html).write_pdf()
    timed.pages, timed.size = _pages(pdf), len(pdf)
    _alternate(timed, ours, lambda: weasyprint.HTML(string=html).write_pdf(), runs)
    return timed


def _xlsx_ours(rows: QuerySet) -> int:
    with tempfile.TemporaryFile() as out:
        ledger.write_ledger_xlsx(rows.iterator(chunk_size=ledger.CHUNK), out)
        return out.tell()


def _xlsx_bare(values: list[tuple[str, ...]]) -> int:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in values:
        ws.append(row)
    with tempfile.TemporaryFile() as out:
        wb.save(out)
        return out.tell()


def _memory(rows: QuerySet, count: int) -> Memory:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        seconds, size = _time(lambda: _xlsx_ours(rows))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"  Excel, {count:,} rows under tracemalloc: peak {peak / 2**20:.1f} MiB, {seconds:.1f} s")
    return Memory(rows=count, peak_bytes=peak, seconds=seconds, size=int(size))


def run(
    world: World,
    *,
    letter_runs: int,
    ledger_rows: int,
    ledger_runs: int,
    pdf_runs: int,
    memory_rows: int,
    notice_runs: int | None = None,
) -> DocumentsResult:
    units = world.unit_ids[:100]
    print("  Seeding the letters and the ledger…")
    # One page: a short letter without attachment (a draft: a letter is only signed with items).
    draft = services.letter_create(
        actor=fresh(world.clerk),
        office=world.office,
        kind=LetterKind.SUPERVISION,
        title="关于加快推进易地扶贫搬迁后续扶持问题整改的督办函",
        body=LETTER_BODY,
        addressee_ids=units[:5],
        cc_ids=world.unit_ids[-2:],
    )
    attached = _letter(world, unit_ids=units[:5], items=5, title="关于加快推进问题整改的督办函")
    per_letter = len(units)
    items = max(1, ledger_rows // per_letter)
    book = _letter(world, unit_ids=units, items=items, title="问题整改台账基准函")
    big = [
        _letter(world, unit_ids=units, items=100, title=f"问题整改台账基准函{n}")
        for n in range(max(1, memory_rows // (100 * per_letter)))
    ]
    _progress(world, [book, *big])

    one_page = _pdf_pair("one-page letter", lambda: letter_pdf(draft), letter_html(draft), letter_runs)
    two_pages = _pdf_pair("letter with 5 items", lambda: letter_pdf(attached), letter_html(attached), letter_runs)

    rows = ledger.ledger_queryset(Assignment.objects.filter(letter=book))
    count = rows.count()
    ledger_pdf = _pdf_pair(
        f"ledger PDF, {count:,} rows",
        lambda: ledger.ledger_pdf(rows.iterator(chunk_size=ledger.CHUNK)),
        ledger.ledger_html(rows.iterator(chunk_size=ledger.CHUNK)),
        pdf_runs,
    )
    xlsx = Timed(f"ledger Excel, {count:,} rows")
    # The bare side writes what our export writes, already formatted, as plain values.
    with wording.document_language():
        values = [line.cells for line in ledger.ledger_lines(rows.iterator(chunk_size=ledger.CHUNK))]
    xlsx.size = _xlsx_ours(rows)
    _alternate(xlsx, lambda: _xlsx_ours(rows), lambda: _xlsx_bare(values), ledger_runs)

    notice, notice_units = _notice(world)
    timed_notice = _pdf_pair(
        f"notice, {notice_units} units", lambda: notice_pdf(notice), notice_html(notice), notice_runs or letter_runs
    )

    memory = []
    for share in (10, 1):
        subset = big[: max(1, len(big) // share)]
        rows = ledger.ledger_queryset(Assignment.objects.filter(letter__in=subset))
        memory.append(_memory(rows, rows.count()))
    return DocumentsResult(
        letter=one_page,
        letter_items=5,
        attachment_letter=two_pages,
        ledger_rows=count,
        ledger_pdf=ledger_pdf,
        ledger_xlsx=xlsx,
        memory=memory,
        notice=timed_notice,
        notice_units=notice_units,
    )
