"""Reads of cycles, rankings, the escalation lists and notices, with who may see what.

The office (any office role) sees every unit's figures and breakdown; a responsible unit sees its
own breakdown only, and the published notices (which show every unit's place and score, as a
printed 通报 does, but no one else's figures). Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from supervision import clock, cycle_calendar
from supervision.models import (
    Cycle,
    CycleState,
    Escalation,
    EscalationLevel,
    Notice,
    NoticeState,
    PeerGroup,
    TieBreak,
    Unit,
    UnitKind,
    UnitResult,
    User,
)
from supervision.services.roles import office_ids, roles_by_unit, unit_ids

# Peer groups in the order a notice lists them.
GROUP_ORDER = (PeerGroup.COUNTY, PeerGroup.DEPARTMENT, PeerGroup.WORK_TEAM, PeerGroup.TOWNSHIP)


# --- cycles ---------------------------------------------------------------------------------------


def current_cycle() -> Cycle | None:
    return Cycle.objects.filter(state=CycleState.OPEN).first()


def closed_cycles() -> QuerySet[Cycle]:
    return Cycle.objects.filter(state=CycleState.CLOSED).select_related("rule_set").order_by("-number")


class ReportSpan(NamedTuple):
    """The cycle a report made at some moment counts for, and that cycle's report window."""

    seq: int  # calendar index, as Cycle.seq
    opens_at: dt.datetime  # reports count after this moment …
    cutoff_at: dt.datetime  # … up to and including this one


def report_span(now: dt.datetime | None = None) -> ReportSpan:
    """The span ``now`` falls in: the open cycle's stored bounds when they hold ``now``, else the
    calendar's (before the first tick, or while tick lags). The one rule for which cycle a report
    counts for and when its window opens: one Cycle query answers both."""
    now = now or clock.now()
    cycle = current_cycle()
    if cycle is not None and cycle.opens_at < now <= cycle.cutoff_at:
        return ReportSpan(cycle.seq, cycle.opens_at, cycle.cutoff_at)
    span = cycle_calendar.span_at(now)
    return ReportSpan(span.seq, span.opens_at, span.cutoff_at)


def report_window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """(after, up to) of the report window ``now`` falls in (see ``report_span``)."""
    span = report_span(now)
    return span.opens_at, span.cutoff_at


# --- who sees what ---------------------------------------------------------------------------------


def sees_all_units(user: User) -> bool:
    """The office (any role in an office) and superusers see every unit's results."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(office_ids(user))


def results_visible_to(user: User) -> QuerySet[UnitResult]:
    if not user.is_authenticated or not user.is_active:
        return UnitResult.objects.none()
    if sees_all_units(user):
        return UnitResult.objects.all()
    return UnitResult.objects.filter(unit_id__in=unit_ids(user))


def notices_visible_to(user: User) -> QuerySet[Notice]:
    """The office sees its own notices in every state; everyone with a role sees published ones."""
    if not user.is_authenticated or not user.is_active:
        return Notice.objects.none()
    if user.is_superuser:
        return Notice.objects.all()
    offices = office_ids(user)
    if offices:
        return Notice.objects.filter(office_id__in=offices) | Notice.objects.filter(state=NoticeState.PUBLISHED)
    if roles_by_unit(user):
        return Notice.objects.filter(state=NoticeState.PUBLISHED)
    return Notice.objects.none()


def notice_get(user: User, pk: int) -> Notice | None:
    return notices_visible_to(user).select_related("cycle", "office", "drafter", "signer").filter(pk=pk).first()


# --- a unit's breakdown ----------------------------------------------------------------------------


@dataclass
class Line:
    """One term of a score: what was counted and what it is worth."""

    key: str
    label: str
    counted: str
    points: Decimal


@dataclass
class Breakdown:
    result: UnitResult
    lines: list[Line]
    score: Decimal
    rank: int | None
    group_size: int
    tie: str  # why it was placed after an equal score, or ""
    escalation: Escalation | None = None

    @property
    def adds_up(self) -> bool:
        return sum((line.points for line in self.lines), Decimal("0.00")) == self.score


def _of(part: int, whole: int) -> str:
    return _("%(part)d of %(whole)d") % {"part": part, "whole": whole}


def breakdown_lines(r: UnitResult) -> list[Line]:
    """The score of one result term by term, in words; the points add up to ``r.score``."""
    return [
        Line("base", _("Base points"), "", r.points_base),
        Line("claims", _("Claimed in time"), _of(r.claimed_on_time, r.claims_due), r.points_claims),
        Line("reports", _("Progress reports made"), _of(r.reports_made, r.reports_due), r.points_reports),
        Line("on_time", _("Assignments not overdue"), _of(r.held - r.overdue, r.held), r.points_on_time),
        Line("closed", _("Written off in the cycle"), _of(r.closed, r.held), r.points_closed),
        Line("rejections", _("Failed verifications"), str(r.rejections), r.points_rejections),
        Line(
            "returns_rejected", _("Returns refused by the office"), str(r.returns_rejected), r.points_returns_rejected
        ),
        Line("returns_upheld", _("Returns upheld by the office"), str(r.returns_upheld), r.points_returns_upheld),
        Line("extensions", _("Extensions granted"), str(r.extensions), r.points_extensions),
    ]


def tie_text(r: UnitResult) -> str:
    if not r.tie_break or r.tied_with_id is None:
        return ""
    above = r.tied_with.display_name if r.tied_with else str(r.tied_with_id)
    return _("Same score as %(unit)s; placed after it for %(reason)s.") % {
        "unit": above,
        "reason": TieBreak(r.tie_break).label,
    }


def unit_breakdown(user: User, cycle: Cycle | int, unit: Unit | int) -> Breakdown | None:
    """A unit's result for a closed cycle, term by term; None when the user may not see it."""
    cycle_id = cycle.pk if isinstance(cycle, Cycle) else cycle
    unit_id = unit.pk if isinstance(unit, Unit) else unit
    r = (
        results_visible_to(user)
        .select_related("cycle", "unit", "tied_with")
        .filter(cycle_id=cycle_id, unit_id=unit_id)
        .first()
    )
    if r is None:
        return None
    escalation = Escalation.objects.filter(cycle_id=cycle_id, unit_id=unit_id).first()
    return Breakdown(
        result=r,
        lines=breakdown_lines(r),
        score=r.score,
        rank=r.rank,
        group_size=r.group_size,
        tie=tie_text(r),
        escalation=escalation,
    )


def unit_history(user: User, unit: Unit | int) -> list[Breakdown]:
    """A unit's place and reasons across the closed cycles, oldest first (what a unit follows)."""
    unit_id = unit.pk if isinstance(unit, Unit) else unit
    results = list(
        results_visible_to(user)
        .filter(unit_id=unit_id)
        .select_related("cycle", "unit", "tied_with")
        .order_by("cycle__number")
    )
    escalations = {e.cycle_id: e for e in Escalation.objects.filter(unit_id=unit_id)}
    return [
        Breakdown(
            result=r,
            lines=breakdown_lines(r),
            score=r.score,
            rank=r.rank,
            group_size=r.group_size,
            tie=tie_text(r),
            escalation=escalations.get(r.cycle_id),
        )
        for r in results
    ]


# --- rankings and lists ----------------------------------------------------------------------------


def ranking_of(user: User, cycle: Cycle | int, peer_group: str | None = None) -> QuerySet[UnitResult]:
    """A closed cycle's results in place order: every unit for the office, the user's own units
    otherwise (the published notice is where units see the others' places)."""
    cycle_id = cycle.pk if isinstance(cycle, Cycle) else cycle
    qs = results_visible_to(user).filter(cycle_id=cycle_id).select_related("unit", "tied_with")
    if peer_group:
        qs = qs.filter(peer_group=peer_group)
    return qs.order_by("peer_group", "rank", "unit__sort_order", "unit_id")


def escalations_of(user: User, cycle: Cycle | int, level: int | None = None) -> QuerySet[Escalation]:
    """The ladder at a cycle's close: every unit ranked last for the office, own units otherwise.
    ``level=EscalationLevel.INTERVIEW`` is the interview (约谈) list; ``REFERRAL`` the referral list
    (each list holds the units at that step or above)."""
    cycle_id = cycle.pk if isinstance(cycle, Cycle) else cycle
    qs = Escalation.objects.filter(cycle_id=cycle_id).select_related("unit")
    if not sees_all_units(user):
        qs = qs.filter(unit_id__in=unit_ids(user) if user.is_authenticated and user.is_active else [])
    if level is not None:
        qs = qs.filter(level__gte=level)
    return qs.order_by("-level", "peer_group", "unit__sort_order")


def interview_list(user: User, cycle: Cycle | int) -> QuerySet[Escalation]:
    return escalations_of(user, cycle, EscalationLevel.INTERVIEW)


def referral_list(user: User, cycle: Cycle | int) -> QuerySet[Escalation]:
    return escalations_of(user, cycle, EscalationLevel.REFERRAL)


# --- what a notice shows ---------------------------------------------------------------------------


@dataclass
class NoticeRow:
    unit: str
    rank: int | None
    score: Decimal
    held: int
    overdue: int
    reports: str  # "made of due", as a sentence
    reports_made: int
    reports_due: int
    closed: int
    tie: str


@dataclass
class NoticeGroup:
    key: str
    label: str
    rows: list[NoticeRow] = field(default_factory=list)
    unranked: list[str] = field(default_factory=list)


@dataclass
class NoticeContent:
    notice: Notice
    cycle: Cycle
    groups: list[NoticeGroup]
    named: list[Escalation]  # last in their group: named in the notice
    interview: list[Escalation]
    referral: list[Escalation]
    overdue_total: int
    rule_set_version: int | None


def notice_content(notice: Notice) -> NoticeContent:
    """What the notice says, from its cycle's frozen snapshot: places and scores by peer group
    (no unit's figures beyond what a printed 通报 shows), the units named, the interview and
    referral lists. The caller has checked the reader may see the notice (notices_visible_to)."""
    cycle = notice.cycle
    results = list(
        UnitResult.objects.filter(cycle=cycle)
        .exclude(unit__kind=UnitKind.OFFICE)
        .select_related("unit", "tied_with")
        .order_by("peer_group", "rank", "unit__sort_order", "unit_id")
    )
    labels = dict(PeerGroup.choices)
    groups = {key: NoticeGroup(key=key, label=str(labels[key])) for key in GROUP_ORDER}
    for r in results:
        group = groups.setdefault(r.peer_group, NoticeGroup(key=r.peer_group, label=str(labels.get(r.peer_group, ""))))
        if r.ranked:
            group.rows.append(
                NoticeRow(
                    unit=r.unit.display_name,
                    rank=r.rank,
                    score=r.score,
                    held=r.held,
                    overdue=r.overdue,
                    reports=_of(r.reports_made, r.reports_due),
                    reports_made=r.reports_made,
                    reports_due=r.reports_due,
                    closed=r.closed,
                    tie=tie_text(r),
                )
            )
        else:
            group.unranked.append(r.unit.display_name)
    ladder = list(Escalation.objects.filter(cycle=cycle).select_related("unit").order_by("peer_group", "-level"))
    return NoticeContent(
        notice=notice,
        cycle=cycle,
        groups=[g for g in groups.values() if g.rows or g.unranked],
        named=ladder,
        interview=[e for e in ladder if e.level >= EscalationLevel.INTERVIEW],
        referral=[e for e in ladder if e.level >= EscalationLevel.REFERRAL],
        overdue_total=sum(r.overdue for r in results),
        rule_set_version=cycle.rule_set.version if cycle.rule_set_id else None,
    )
