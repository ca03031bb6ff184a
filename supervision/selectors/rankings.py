"""Reads of cycles, rankings, the escalation lists and notices, with who may see what.

Each office has its own cycles and ranking, and a unit marked ``ranks_sub_units`` has its ranking
of the units below it (``UnitResult.ranked_by`` tells the rankings apart). Whoever ranked sees
every unit's figures and breakdown in that ranking: the office's office roles for the office's
(a city office's liaison or leader, working the province's letters there, is a unit the province
ranks, not the city's staff), the unit's liaisons and leaders for the unit's. A ranked unit sees
its own breakdown in each ranking it is in, and the published notices of those rankings (which
show every unit's place and score, as a printed 通报 does, but no one else's figures). Nothing
here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from supervision import clock, cycle_calendar, offices
from supervision.models import (
    OFFICE_ROLES,
    UNIT_ROLES,
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

# Peer groups in the order a notice lists them (cities: the offices a province office ranks).
GROUP_ORDER = (PeerGroup.CITY, PeerGroup.COUNTY, PeerGroup.DEPARTMENT, PeerGroup.WORK_TEAM, PeerGroup.TOWNSHIP)


# --- cycles ---------------------------------------------------------------------------------------


def current_cycle(office: Unit | int | None = None) -> Cycle | None:
    """The office's open cycle (default: the default office's)."""
    office_id = offices.office_id_of(office)
    return Cycle.objects.filter(office_id=office_id, state=CycleState.OPEN).first()


def closed_cycles(office: Unit | int | None = None) -> QuerySet[Cycle]:
    """The office's closed cycles, the latest first (default: the default office's)."""
    office_id = offices.office_id_of(office)
    return (
        Cycle.objects.filter(office_id=office_id, state=CycleState.CLOSED)
        .select_related("rule_set", "office")
        .order_by("-number")
    )


def ranking_cycles(ranker: Unit) -> QuerySet[Cycle]:
    """The closed cycles of one ranking, the latest first: the office's own, or for a unit ranking
    its sub-units the cycles in which it ranked them."""
    if ranker.is_office:
        return closed_cycles(ranker)
    ranked_in = UnitResult.objects.filter(ranked_by=ranker).values("cycle_id")
    return (
        Cycle.objects.filter(state=CycleState.CLOSED, pk__in=ranked_in)
        .select_related("rule_set", "office")
        .order_by("-closed_at", "-pk")
    )


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
    # Every office runs the same calendar: any open cycle holding ``now`` gives the span (the one
    # of the office listed first, so the answer does not change between calls).
    cycle = (
        Cycle.objects.filter(state=CycleState.OPEN, opens_at__lt=now, cutoff_at__gte=now)
        .order_by("office_id")
        .only("seq", "opens_at", "cutoff_at")
        .first()
    )
    if cycle is not None:
        return ReportSpan(cycle.seq, cycle.opens_at, cycle.cutoff_at)
    span = cycle_calendar.span_at(now)
    return ReportSpan(span.seq, span.opens_at, span.cutoff_at)


def report_window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """(after, up to) of the report window ``now`` falls in (see ``report_span``)."""
    span = report_span(now)
    return span.opens_at, span.cutoff_at


_WHOLE_ATTR = "_supervision_whole_rankings"


# --- who sees what ---------------------------------------------------------------------------------


def whole_rankings(user: User) -> set[int] | None:
    """The rankings (by who ranked: an office, or a unit ranking its sub-units) the user sees
    whole: every office where they hold an office role, every unit ranking its sub-units where they
    are a liaison or leader. None for a superuser: all of them."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    cached = getattr(user, _WHOLE_ATTR, None)
    if cached is not None:
        return cached
    # An office's ranking for its office roles only: a city office's liaison and leader hold unit
    # roles there to work the province's letters, and are a unit ranked by the province, not the
    # city's staff (as office_ids counts). A unit ranking its sub-units for its liaisons and leaders.
    held = roles_by_unit(user)
    staff = [unit for unit, roles in held.items() if roles & OFFICE_ROLES]
    led = [unit for unit, roles in held.items() if roles & UNIT_ROLES]
    found = (
        set(
            Unit.objects.filter(
                Q(pk__in=staff, kind=UnitKind.OFFICE) | (Q(pk__in=led, ranks_sub_units=True) & ~Q(kind=UnitKind.OFFICE))
            ).values_list("pk", flat=True)
        )
        if held
        else set()
    )
    # Read once per user object, as the roles are: a page asks several times.
    setattr(user, _WHOLE_ATTR, found)
    return found


def sees_all_units(user: User, ranker: Unit | int | None = None) -> bool:
    """Whether the user sees every unit's results of a ranking (``ranker``: who ranked). Without
    one: whether they see any ranking whole (an office role, or a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if ranker is None:
        return user.is_superuser or bool(office_ids(user))
    whole = whole_rankings(user)
    return whole is None or (ranker.pk if isinstance(ranker, Unit) else ranker) in whole


def results_visible_to(user: User) -> QuerySet[UnitResult]:
    """Every result of the rankings the user sees whole, and their own units' results in others."""
    if not user.is_authenticated or not user.is_active:
        return UnitResult.objects.none()
    whole = whole_rankings(user)
    if whole is None:
        return UnitResult.objects.all()
    return UnitResult.objects.filter(Q(ranked_by_id__in=whole) | Q(unit_id__in=unit_ids(user)))


def rankings_of(user: User) -> list[Unit]:
    """The rankings the user may open (by who ranked), in the order a picker offers them: the
    rankings they see whole, then those their units are ranked in; offices first."""
    if not user.is_authenticated or not user.is_active:
        return []
    whole = whole_rankings(user)
    if whole is None:
        qs = Unit.objects.filter(Q(kind=UnitKind.OFFICE, is_active=True) | Q(ranks_sub_units=True))
    else:
        mine = unit_ids(user)
        ranked_in = (
            UnitResult.objects.filter(unit_id__in=mine).values_list("ranked_by_id", flat=True).distinct()
            if mine
            else []
        )
        qs = Unit.objects.filter(Q(pk__in=whole) | Q(pk__in=ranked_in))
    found = list(qs.order_by("sort_order", "pk"))
    return sorted(found, key=lambda u: (not u.is_office, u.parent_id is not None, u.sort_order, u.pk))


def notices_visible_to(user: User) -> QuerySet[Notice]:
    """The issuing office (or unit ranking its sub-units) sees its own notices in every state; a
    unit sees the published notices of the rankings it is in."""
    if not user.is_authenticated or not user.is_active:
        return Notice.objects.none()
    whole = whole_rankings(user)
    if whole is None:
        return Notice.objects.all()
    mine = unit_ids(user)
    if not mine:
        return Notice.objects.none()
    ranked = UnitResult.objects.filter(
        cycle_id=OuterRef("cycle_id"), ranked_by_id=OuterRef("office_id"), unit_id__in=mine
    )
    return Notice.objects.filter(Q(office_id__in=whole) | Q(Exists(ranked), state=NoticeState.PUBLISHED))


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


def unit_breakdown(
    user: User, cycle: Cycle | int, unit: Unit | int, ranker: Unit | int | None = None
) -> Breakdown | None:
    """A unit's result for a closed cycle in one ranking (default: the cycle's office's), term by
    term; None when the user may not see it."""
    cycle_id = cycle.pk if isinstance(cycle, Cycle) else cycle
    unit_id = unit.pk if isinstance(unit, Unit) else unit
    r = (
        results_visible_to(user)
        .select_related("cycle", "unit", "tied_with")
        .filter(cycle_id=cycle_id, unit_id=unit_id, ranked_by_id=_ranker_id(cycle, ranker))
        .first()
    )
    if r is None:
        return None
    escalation = Escalation.objects.filter(cycle_id=cycle_id, ranked_by_id=r.ranked_by_id, unit_id=unit_id).first()
    return Breakdown(
        result=r,
        lines=breakdown_lines(r),
        score=r.score,
        rank=r.rank,
        group_size=r.group_size,
        tie=tie_text(r),
        escalation=escalation,
    )


def unit_rankers(user: User, unit: Unit | int) -> list[int]:
    """Who ranked the unit, in the results the user sees: the ranking of its latest result first."""
    unit_id = unit.pk if isinstance(unit, Unit) else unit
    found = results_visible_to(user).filter(unit_id=unit_id).order_by("-cycle__closed_at", "-cycle_id")
    return list(dict.fromkeys(found.values_list("ranked_by_id", flat=True)[:200]))


def unit_history(user: User, unit: Unit | int, ranker: Unit | int | None = None) -> list[Breakdown]:
    """A unit's place and reasons across the closed cycles of one ranking (default: the ranking of
    its latest result), oldest first (what a unit follows)."""
    unit_id = unit.pk if isinstance(unit, Unit) else unit
    if ranker is None:
        rankers = unit_rankers(user, unit_id)
        if not rankers:
            return []
        ranker = rankers[0]
    ranker_id = ranker.pk if isinstance(ranker, Unit) else ranker
    results = list(
        results_visible_to(user)
        .filter(unit_id=unit_id, ranked_by_id=ranker_id)
        .select_related("cycle", "unit", "tied_with")
        .order_by("cycle__closed_at", "cycle_id")
    )
    escalations = {e.cycle_id: e for e in Escalation.objects.filter(unit_id=unit_id, ranked_by_id=ranker_id)}
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


def _ranker_id(cycle: Cycle | int, ranker: Unit | int | None) -> int:
    if ranker is not None:
        return ranker.pk if isinstance(ranker, Unit) else ranker
    if isinstance(cycle, Cycle):
        return cycle.office_id
    return Cycle.objects.filter(pk=cycle).values_list("office_id", flat=True).first() or 0


def ranking_of(
    user: User, cycle: Cycle | int, peer_group: str | None = None, ranker: Unit | int | None = None
) -> QuerySet[UnitResult]:
    """A closed cycle's results of one ranking (default: the cycle's office's) in place order: every
    unit for whoever ranked, the user's own units otherwise (the published notice is where units
    see the others' places)."""
    cycle_id = cycle.pk if isinstance(cycle, Cycle) else cycle
    qs = (
        results_visible_to(user)
        .filter(cycle_id=cycle_id, ranked_by_id=_ranker_id(cycle, ranker))
        .select_related("unit", "tied_with")
    )
    if peer_group:
        qs = qs.filter(peer_group=peer_group)
    return qs.order_by("peer_group", "rank", "unit__sort_order", "unit_id")


def escalations_of(
    user: User, cycle: Cycle | int, level: int | None = None, ranker: Unit | int | None = None
) -> QuerySet[Escalation]:
    """The ladder at a cycle's close in one ranking (default: the cycle's office's): every unit
    ranked last for whoever ranked, own units otherwise. ``level=EscalationLevel.INTERVIEW`` is the
    interview (约谈) list; ``REFERRAL`` the referral list (each list holds the units at that step or
    above)."""
    cycle_id = cycle.pk if isinstance(cycle, Cycle) else cycle
    ranker_id = _ranker_id(cycle, ranker)
    qs = Escalation.objects.filter(cycle_id=cycle_id, ranked_by_id=ranker_id).select_related("unit")
    if not sees_all_units(user, ranker_id):
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
        UnitResult.objects.filter(cycle=cycle, ranked_by_id=notice.office_id)
        .exclude(peer_group=PeerGroup.OFFICE)
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
    ladder = list(
        Escalation.objects.filter(cycle=cycle, ranked_by_id=notice.office_id)
        .select_related("unit")
        .order_by("peer_group", "-level")
    )
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
