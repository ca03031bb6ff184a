"""The biweekly notice (双周通报) as a GB/T 9704-2012 document.

Everything printed comes from the cycle's frozen snapshot (``UnitResult`` and ``Escalation``
rows written when the cycle closed), so the PDF of a notice reads the same next month as on the
day it was published. ``notice_pdf(notice)`` is all a caller needs; the caller has already
decided the reader may see the notice (``supervision.selectors.rankings.notice_get``).

The page is the letters' page: red mark (the office's name), the 期 number where a letter has
its 文号, the red rule, title, body on the 22 × 28 grid, signature, 版记 and page numbers.
Charts are inline SVG drawn by ``notices.charts`` in the document's own sans-serif stack,
so their Chinese labels are embedded and subset with the rest of the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone
from django.utils.safestring import SafeString

from supervision import clock, offices
from supervision.models import Cycle, Notice, NoticeState, PeerGroup, Unit, UnitResult
from supervision.selectors.rankings import GROUP_ORDER, NoticeContent, NoticeRow, notice_content

from . import charts, layout, wording
from .fonts import font_stacks
from .pdf import document_html, html_to_pdf

TEMPLATE = "notices/notice.html"
# Cycles shown in the trend charts, this one included.
TREND_CYCLES = 8
# A group's score chart shows at most this many bars: past it the labels are unreadable, and the
# units at the bottom are the ones a notice is about.
CHART_UNITS = 30
# The text block is 156 mm wide: 589 CSS px at 96 px to the inch.
CHART_WIDTH, CHART_HEIGHT = 589, 230
# One colour per peer group, the same in every chart of the notice.
GROUP_COLOURS = {
    PeerGroup.COUNTY: "#c62828",
    PeerGroup.DEPARTMENT: "#1565c0",
    PeerGroup.WORK_TEAM: "#2e7d32",
    PeerGroup.TOWNSHIP: "#ef6c00",
}
SCORE_COLOUR = "#8d6e63"
# How equal scores are placed (supervision.scoring's order of tie-breaks), printed after the
# summary: the last rule, the office's fixed order of units, would otherwise go unsaid.
NOTICE_TIES = (
    "得分相同的单位，依次按逾期任务少、进展报送率高、本期销号多、核验未通过少的在前排列；"
    "以上均相同的，按领导小组办公室确定的单位固定顺序排列。"
)
LOWEST_COLOUR = "#c62828"


@dataclass(frozen=True)
class Summary:
    units: int
    ranked: int
    average: str
    held: int
    closed: int
    overdue: int
    reports_due: int
    reports_made: int
    report_rate: str

    def text(self, cycle: Cycle) -> str:
        start, end = period_dates(cycle.starts_on, cycle.ends_on, year=False)
        return wording.NOTICE_SUMMARY.format(start=start, end=end, **self.__dict__)


@dataclass(frozen=True)
class OverdueRow:
    unit: str
    group: str
    overdue: int
    held: int
    share: str


@dataclass(frozen=True)
class GroupBlock:
    label: str
    rows: list[NoticeRow]
    unranked: str
    chart: SafeString | None


def period_dates(start: dt.date, end: dt.date, *, year: bool) -> tuple[str, str]:
    """A period's two ends as an office writes them, 11月23日 and 12月6日: the year once, on the
    first, when ``year`` (the line under the title), and on both when the period spans two years."""
    if start.year != end.year:
        return wording.chinese_date(start), wording.chinese_date(end)
    first = wording.chinese_date(start) if year else f"{start.month}月{start.day}日"
    return first, f"{end.month}月{end.day}日"


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


# --- the snapshot's figures, each one aggregate query ------------------------------------------------


def _results(cycle: Cycle, ranked_by: int | None = None):
    """The results of one ranking of the cycle: the office's (default), or a unit's of its sub-units."""
    return UnitResult.objects.filter(cycle=cycle, ranked_by_id=ranked_by or cycle.office_id).exclude(
        peer_group=PeerGroup.OFFICE
    )


def summary(cycle: Cycle, ranked_by: int | None = None) -> Summary:
    """The cycle's totals over every unit in the snapshot, in one aggregate query."""
    f = _results(cycle, ranked_by).aggregate(
        # Aliases differ from the field names: Django refuses an aggregate named like a field
        # that another aggregate filters on.
        n_units=Count("pk"),
        n_ranked=Count("pk", filter=Q(ranked=True)),
        avg_score=Avg("score", filter=Q(ranked=True)),
        n_held=Sum("held"),
        n_closed=Sum("closed"),
        n_overdue=Sum("overdue"),
        n_reports_due=Sum("reports_due"),
        n_reports_made=Sum("reports_made"),
    )
    average = f["avg_score"]
    return Summary(
        units=f["n_units"],
        ranked=f["n_ranked"],
        average=str(Decimal(average).quantize(Decimal("0.01"), ROUND_HALF_UP)) if average is not None else "—",
        held=f["n_held"] or 0,
        closed=f["n_closed"] or 0,
        overdue=f["n_overdue"] or 0,
        reports_due=f["n_reports_due"] or 0,
        reports_made=f["n_reports_made"] or 0,
        report_rate=_percent(f["n_reports_made"] or 0, f["n_reports_due"] or 0),
    )


def overdue_units(cycle: Cycle, ranked_by: int | None = None) -> list[OverdueRow]:
    """Units with assignments overdue at the cut-off, most first (ranked or not)."""
    labels = dict(PeerGroup.choices)
    rows = (
        _results(cycle, ranked_by)
        .filter(overdue__gt=0)
        .order_by("-overdue", "peer_group", "unit__sort_order", "unit_id")
        .values_list("unit__name", "unit__short_name", "peer_group", "overdue", "held")
    )
    return [
        OverdueRow(short or name, str(labels.get(group, group)), overdue, held, _percent(overdue, held))
        for name, short, group, overdue, held in rows
    ]


def trend(
    cycle: Cycle, ranked_by: int | None = None
) -> tuple[list[str], dict[str, list[float | None]], list[float | None]]:
    """(期 labels, average score per group per cycle, overdue total per cycle) for the last
    ``TREND_CYCLES`` closed cycles of the office up to this one, in one ranking (default: the
    office's): one grouped aggregate query."""
    first = max(1, cycle.number - TREND_CYCLES + 1)
    numbers = list(range(first, cycle.number + 1))
    rows = (
        UnitResult.objects.filter(
            cycle__office_id=cycle.office_id,
            ranked_by_id=ranked_by or cycle.office_id,
            cycle__number__gte=first,
            cycle__number__lte=cycle.number,
        )
        .exclude(peer_group=PeerGroup.OFFICE)
        .values("cycle__number", "peer_group")
        .annotate(avg_score=Avg("score", filter=Q(ranked=True)), n_overdue=Sum("overdue"))
        .order_by()
    )
    averages: dict[str, list[float | None]] = {}
    overdue: list[float | None] = [None] * len(numbers)
    for row in rows:
        at = row["cycle__number"] - first
        line = averages.setdefault(row["peer_group"], [None] * len(numbers))
        if row["avg_score"] is not None:
            line[at] = float(row["avg_score"])
        overdue[at] = (overdue[at] or 0) + (row["n_overdue"] or 0)
    return [wording.NOTICE_ISSUE.format(number=n) for n in numbers], averages, overdue


# --- the document ------------------------------------------------------------------------------------


def _group_chart(label: str, rows: list[NoticeRow], font: str) -> SafeString | None:
    if not rows:
        return None
    shown, title = rows, wording.NOTICE_SCORES_TITLE.format(group=label)
    if len(rows) > CHART_UNITS:
        shown = rows[-CHART_UNITS:]
        title = wording.NOTICE_SCORES_LOWEST.format(group=label, n=CHART_UNITS)
    return charts.bar_chart(
        categories=[r.unit for r in shown],
        series=[
            charts.Series(
                wording.NOTICE_SCORE_SERIES,
                [float(r.score) for r in shown],
                LOWEST_COLOUR if shown is not rows else SCORE_COLOUR,
            )
        ],
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        font_family=font,
        title=title,
    )


def _trend_charts(cycle: Cycle, font: str, ranked_by: int | None = None) -> list[SafeString]:
    labels, averages, overdue = trend(cycle, ranked_by)
    names = dict(PeerGroup.choices)
    n = len(labels)
    series = [
        charts.Series(str(names[key]), averages[key], GROUP_COLOURS.get(key, SCORE_COLOUR))
        for key in GROUP_ORDER
        if key in averages and any(v is not None for v in averages[key])
    ]
    return [
        charts.line_chart(
            x_labels=labels,
            series=series,
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
            font_family=font,
            title=wording.NOTICE_TREND_TITLE.format(n=n),
        ),
        charts.bar_chart(
            categories=labels,
            series=[charts.Series(wording.NOTICE_OVERDUE_SERIES, overdue, LOWEST_COLOUR)],
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
            font_family=font,
            title=wording.NOTICE_OVERDUE_TREND.format(n=n),
        ),
    ]


def _local_date(at: dt.datetime | None) -> dt.date:
    return timezone.localdate(at) if at else clock.today()


def _stamp(notice: Notice) -> str:
    """What a notice not yet published says across its pages (a ranking sheet, never saved as a
    notice, says nothing: it is the ranking as it stands)."""
    if notice.pk is None:
        return ""
    # Sent for signature (送签) is still a draft on paper.
    if notice.state in (NoticeState.DRAFT, NoticeState.PENDING_SIGNATURE):
        return wording.DRAFT
    if notice.state != NoticeState.PUBLISHED:
        return wording.NOT_PUBLISHED
    return ""


def notice_context(notice: Notice) -> dict[str, Any]:
    """Everything the notice template prints; call with the document language active. An unsaved
    notice (``ranking_sheet_pdf``) is printed as given."""
    if notice.pk is not None:
        notice = Notice.objects.select_related("cycle__rule_set", "office").get(pk=notice.pk)
    content: NoticeContent = notice_content(notice)
    cycle = content.cycle
    # The charts' labels in the document's sans-serif stack: embedded like the rest of the text.
    font = str(font_stacks().sans)
    names = dict(PeerGroup.choices)
    groups = [
        GroupBlock(
            label=g.label,
            rows=g.rows,
            unranked=wording.NOTICE_UNRANKED.format(units="、".join(g.unranked)) if g.unranked else "",
            chart=_group_chart(g.label, g.rows, font),
        )
        for g in content.groups
    ]

    def units(escalations: list[Any]) -> str:
        return "、".join(e.unit.display_name for e in escalations)

    office = notice.office.name
    overdue = overdue_units(cycle, notice.office_id)
    first, last = period_dates(cycle.starts_on, cycle.ends_on, year=True)
    return {
        "notice": notice,
        "cycle": cycle,
        "layout": layout,
        "grid": layout.grid(),
        "mark": layout.mark(office),
        "kind_mark": layout.mark(wording.NOTICE_KIND),
        "number": wording.NOTICE_ISSUE.format(number=cycle.number),
        "period": wording.NOTICE_PERIOD.format(start=first, end=last),
        "paragraphs": [line.strip() for line in notice.opening.splitlines() if line.strip()],
        "summary": summary(cycle, notice.office_id).text(cycle) if content.groups else wording.NOTICE_NO_UNITS,
        # How equal scores were placed, the last rule included: a reader who sees two units with
        # the same score in different places is told why. (The rule set's version number is the
        # system's bookkeeping, not a term of an official document.)
        "rules": NOTICE_TIES if any(g.rows for g in content.groups) else "",
        "trend_charts": _trend_charts(cycle, font, notice.office_id),
        "groups": groups,
        "overdue": overdue,
        "overdue_lead": wording.NOTICE_OVERDUE_LEAD.format(n=len(overdue)),
        "named": [
            wording.NOTICE_NAMED_ENTRY.format(
                unit=e.unit.display_name, group=names.get(e.peer_group, e.peer_group), streak=e.streak
            )
            for e in content.named
        ],
        "interview": wording.NOTICE_INTERVIEW.format(units=units(content.interview)) if content.interview else "",
        "referral": wording.NOTICE_REFERRAL.format(units=units(content.referral)) if content.referral else "",
        "signed_on": wording.chinese_date(_local_date(notice.published_at or notice.signed_at)),
        "issuing_body": office,
        "printer": "".join(office.split()),
        "printed_on": wording.chinese_date(_local_date(notice.published_at)),
        "stamp": _stamp(notice),
        "w": wording,
    }


def notice_html(notice: Notice) -> str:
    with wording.document_language():
        return document_html(TEMPLATE, notice_context(notice))


def notice_pdf(notice: Notice) -> bytes:
    return html_to_pdf(notice_html(notice))


def notice_filename(notice: Notice) -> str:
    issue = wording.NOTICE_ISSUE.format(number=notice.cycle.number)
    # A title that names its 期 already (巩固衔接问题整改双周通报（第5期）) is the name as it stands.
    name = notice.title if issue in notice.title else f"{notice.title}（{issue}）"
    return f"{name}.pdf".replace("/", "_").replace("\\", "_")


def ranking_sheet(cycle: Cycle, ranker: Unit) -> Notice:
    """A unit's ranking of its sub-units for a cycle as the notice would print it, never saved: the
    unit's name in the red mark, its sub-units' places, scores, overdue lists and ladder."""
    with wording.document_language():
        title = wording.RANKING_SHEET_TITLE.format(unit=ranker.name)
    return Notice(cycle=cycle, office=ranker, title=title, opening="", state=NoticeState.SIGNED)


def ranking_sheet_pdf(cycle: Cycle, ranker: Unit) -> bytes:
    """The PDF of ``ranking_sheet``; the caller has checked the reader ranked (sees_all_units)."""
    return notice_pdf(ranking_sheet(cycle, ranker))


def ranking_sheet_filename(cycle: Cycle, ranker: Unit) -> str:
    issue = wording.NOTICE_ISSUE.format(number=cycle.number)
    name = wording.RANKING_SHEET_TITLE.format(unit=ranker.display_name)
    return f"{name}（{issue}）.pdf".replace("/", "_").replace("\\", "_")


def notice_of_cycle(number: int, office: Unit | int | None = None) -> Notice | None:
    """For the command line, which sees everything: the cycle's published notice, else its
    latest draft (signed before unsigned); of the default office's cycle unless one is named."""
    office_id = offices.office_id_of(office)
    # The office's own notice: a unit's notice of its sub-units sits on the office's cycle too.
    found = list(
        Notice.objects.filter(office_id=office_id, cycle__office_id=office_id, cycle__number=number).select_related(
            "cycle"
        )
    )
    order = {NoticeState.PUBLISHED: 0, NoticeState.SIGNED: 1, NoticeState.PENDING_SIGNATURE: 2, NoticeState.DRAFT: 2}
    found.sort(key=lambda n: (order.get(n.state, 3), -n.pk))
    return found[0] if found else None
