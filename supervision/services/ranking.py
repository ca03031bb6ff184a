"""Ranking a closed cycle (双周排队). The rules it scores by are in services.rule_sets, the
escalation ladder a close steps in services.escalation.

Each office ranks its own units at the close of its own cycle, on its own rules, counting only its
direct tasks (letters it issued, ``parent`` null): the units it addressed, the units placed under it
in the tree, and (for a top office) the responsible units placed nowhere in the tree. A unit the
office marked ``ranks_sub_units`` is ranked over too, at the same close and on the same rules: its
units below are ranked over the sub-tasks it handed down (``parent.unit`` is that unit) of the
office's letters. Each ranking's rows carry who ranked (``UnitResult.ranked_by``).

The figures of every unit are counted by the database in one aggregate statement (assignments,
audit events, extensions) over the cycle's report window; the scores and places are computed
from them by ``supervision.scoring``; the results go in with one bulk insert. What each figure
counts (window: after the cycle's ``opens_at`` up to its ``cutoff_at``; states as they stand
when the cycle is closed, normally within a minute of the cut-off):

- held: open assignments, and those verified or written off in the window;
- claims due / claimed on time: assignments whose claim was due in the window (issued
  CYCLE_CLAIM_DAYS before), and those of them claimed by then;
- reports due / made: assignments issued at least CYCLE_REPORT_GRACE_DAYS before the cut-off that
  the unit is working on (issued, claimed, in progress) or that it reported on in the window; made
  when at least one report (progress, completion, or carried forward) is dated in the window —
  one is all that is asked (最多报一次), more earn nothing;
- overdue: open and past the deadline at the cut-off (the red light);
- closed: written off in the window;
- rejections, returns upheld (reassigned away), returns refused (kept with the unit), extensions
  granted: events dated in the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from operator import attrgetter, itemgetter
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.duration import duration_microseconds

from supervision import cycle_calendar, offices, scoring
from supervision.models import (
    FIGURE_FIELDS,
    OPEN_STATES,
    POINT_FIELDS,
    Assignment,
    AssignmentState,
    AuditEvent,
    Cycle,
    ExtensionRequest,
    ExtensionState,
    Letter,
    PeerGroup,
    ProgressReport,
    RuleSet,
    Unit,
    UnitKind,
    UnitResult,
)
from supervision.models.assignments import DEAD_STATES

from . import bulk_sql
from .escalation import ladder_step
from .rule_sets import ruleset_current

S = AssignmentState
# The states in which a unit is working on an assignment and so owes a report each cycle.
REPORTING_STATES = (S.ISSUED, S.ACCEPTED, S.IN_PROGRESS)
RANKING_ACTIONS = {
    "assignment.rejected": "rejections",
    "assignment.reassigned": "returns_upheld",
    "assignment.reissued": "returns_rejected",
}
RESULT_TAIL = ("score", "ranked", "rank", "group_size", "tie_break", "tied_with_id", "last_streak")


# --- the figures ----------------------------------------------------------------------------------


def _figures_sql(
    *, opens_at: dt.datetime, cutoff_at: dt.datetime, office_id: int | None = None, ranker_id: int | None = None
) -> tuple[str, dict[str, Any]]:
    """One statement giving (unit_id, *FIGURE_FIELDS) for every unit holding any assignment in the
    ranking's scope, and its parameters. The scope: the office's direct tasks (``office_id``), or
    the sub-tasks ``ranker_id`` handed down of the office's letters (both given); every assignment
    when neither is (the figures as one office counted them before offices were told apart).

    Two aggregates over the assignments, each one pass the database can split between workers,
    instead of one query per kind of figure: the ranked events and the granted extensions are
    counted per assignment first (a few thousand rows) and joined to it by id, so the first pass
    takes every assignment (an upheld return's event belongs to the reassigned, dead one) and each
    of its counts asks ``live``; the reports made in the window are a semi-join of their own, so
    the first pass needs no subquery per row. Written in SQL because the ORM cannot join those
    per-assignment counts; the columns are the models' default ones."""
    o, c = opens_at, cutoff_at
    claim_days = dt.timedelta(days=int(settings.CYCLE_CLAIM_DAYS))
    grace = dt.timedelta(days=int(settings.CYCLE_REPORT_GRACE_DAYS))
    ops = connection.ops
    params: dict[str, Any] = {
        "o": ops.adapt_datetimefield_value(o),
        "c": ops.adapt_datetimefield_value(c),
        "claim_from": ops.adapt_datetimefield_value(o - claim_days),
        "claim_to": ops.adapt_datetimefield_value(c - claim_days),
        "old_enough": ops.adapt_datetimefield_value(c - grace),
        "close_day": ops.adapt_datefield_value(cycle_calendar.local_date(c)),
        "verified": S.VERIFIED,
        "closed": S.CLOSED,
        "approved": ExtensionState.APPROVED,
    }

    def one_of(name: str, values: Iterable[str]) -> str:
        """``IN (…)`` over bound values, named ``name_0``, ``name_1``, …"""
        marks = []
        for i, value in enumerate(values):
            params[f"{name}_{i}"] = str(value)
            marks.append(f"%({name}_{i})s")
        return f"IN ({', '.join(marks)})"

    open_, working, dead = one_of("open", OPEN_STATES), one_of("working", REPORTING_STATES), one_of("dead", DEAD_STATES)
    if connection.features.has_native_duration_field:
        params["claim"] = claim_days
        claim_by = "a.issued_at + %(claim)s"
    else:  # SQLite: the date arithmetic the ORM uses there (a function Django registers)
        params["claim"] = duration_microseconds(claim_days)
        claim_by = ops.combine_duration_expression("+", ["a.issued_at", "%(claim)s"])
    counted = {
        "held": f"""a.state {open_} OR (a.state = %(verified)s AND a.verified_at > %(o)s)
            OR (a.state = %(closed)s AND a.closed_at > %(o)s)""",
        "claims_due": "a.issued_at > %(claim_from)s AND a.issued_at <= %(claim_to)s",
        "claimed_on_time": f"""a.issued_at > %(claim_from)s AND a.issued_at <= %(claim_to)s
            AND a.claimed_at IS NOT NULL AND a.claimed_at <= {claim_by}""",
        "due_working": f"a.issued_at <= %(old_enough)s AND a.state {working}",
        "overdue": f"a.state {open_} AND a.deadline < %(close_day)s",
        "closed": "a.state = %(closed)s AND a.closed_at > %(o)s AND a.closed_at <= %(c)s",
    }
    events = {
        field: f"CAST(SUM(CASE WHEN e.action {one_of(f'action{i}', [action])} THEN 1 ELSE 0 END) AS INTEGER) AS {field}"
        for i, (action, field) in enumerate(RANKING_ACTIONS.items())
    }
    sep = ",\n        "
    first = sep.join(
        [f"SUM(CASE WHEN a.live AND ({test}) THEN 1 ELSE 0 END) AS {name}" for name, test in counted.items()]
        + [f"COALESCE(SUM(e.{name}), 0) AS {name}" for name in events]
        + ["COALESCE(SUM(x.extensions), 0) AS extensions"]
    )
    # A report also makes a report due when the unit is past working on it (a completion report,
    # say): those are "made while not working".
    figures = {
        "held": "f.held",
        "claims_due": "f.claims_due",
        "claimed_on_time": "f.claimed_on_time",
        "reports_due": "f.due_working + COALESCE(m.made_idle, 0)",
        "reports_made": "COALESCE(m.reports_made, 0)",
        "overdue": "f.overdue",
        "closed": "f.closed",
        **{name: f"f.{name}" for name in events},
        "extensions": "f.extensions",
    }
    if tuple(figures) != FIGURE_FIELDS:
        raise AssertionError("the figures are selected in the order of FIGURE_FIELDS")
    q = ops.quote_name
    a_table, l_table = q(Assignment._meta.db_table), q(Letter._meta.db_table)
    # Index probes, not a join per row: the letters of one office (letter.office_id), and the
    # tasks of the ranking unit whose sub-tasks are counted (assignment.unit_id, then .parent_id).
    scope = "1 = 1"
    if office_id is not None:
        params["scope_office"] = office_id
        scope = f"a.letter_id IN (SELECT l.id FROM {l_table} l WHERE l.office_id = %(scope_office)s)"
        if ranker_id is None:
            scope += " AND a.parent_id IS NULL"
        else:
            params["scope_ranker"] = ranker_id
            scope += f" AND a.parent_id IN (SELECT p.id FROM {a_table} p WHERE p.unit_id = %(scope_ranker)s)"
    sql = f"""
SELECT f.unit_id, {", ".join(f"{value} AS {name}" for name, value in figures.items())}
FROM (
    SELECT a.unit_id,
        {first}
    FROM (
        SELECT a.id, a.unit_id, a.state, a.issued_at, a.claimed_at, a.verified_at, a.closed_at, a.deadline,
            (a.issued_at <= %(c)s AND a.state NOT {dead}) AS live
        FROM {a_table} a
        WHERE {scope}
    ) a
    LEFT JOIN (
        SELECT e.assignment_id, {", ".join(events.values())}
        FROM {q(AuditEvent._meta.db_table)} e
        WHERE e.action {one_of("ranked", RANKING_ACTIONS)} AND e.at > %(o)s AND e.at <= %(c)s
            AND e.assignment_id IS NOT NULL
        GROUP BY e.assignment_id
    ) e ON e.assignment_id = a.id
    LEFT JOIN (
        SELECT x.assignment_id, CAST(COUNT(*) AS INTEGER) AS extensions
        FROM {q(ExtensionRequest._meta.db_table)} x
        WHERE x.state = %(approved)s AND x.decided_at > %(o)s AND x.decided_at <= %(c)s
        GROUP BY x.assignment_id
    ) x ON x.assignment_id = a.id
    GROUP BY a.unit_id
) f
LEFT JOIN (
    SELECT a.unit_id, COUNT(*) AS reports_made, SUM(CASE WHEN a.state {working} THEN 0 ELSE 1 END) AS made_idle
    FROM {a_table} a
    WHERE {scope} AND a.issued_at <= %(old_enough)s AND a.state NOT {dead} AND a.id IN (
        SELECT r.assignment_id FROM {q(ProgressReport._meta.db_table)} r
        WHERE r.created_at > %(o)s AND r.created_at <= %(c)s
    )
    GROUP BY a.unit_id
) m ON m.unit_id = f.unit_id"""
    return sql, params


def unit_figures(
    *, opens_at: dt.datetime, cutoff_at: dt.datetime, office_id: int | None = None, ranker_id: int | None = None
) -> dict[int, dict[str, int]]:
    """{unit id: figures} for the report window (opens_at, cutoff_at], counted in SQL, for every
    unit holding any assignment in the scope (see ``_figures_sql``)."""
    sql, params = _figures_sql(opens_at=opens_at, cutoff_at=cutoff_at, office_id=office_id, ranker_id=ranker_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: dict(zip(FIGURE_FIELDS, map(int, row[1:]), strict=True)) for row in cursor.fetchall()}


# --- closing a cycle ------------------------------------------------------------------------------


def ranking_entries(cycle: Cycle, ranker_id: int | None = None) -> list[scoring.Entry]:
    """Every unit in the ranking with its figures for the cycle (zero where it had none): the units
    and their figures come in the same one statement, as plain rows.

    The office's ranking (``ranker_id`` None): the active units holding one of its direct tasks,
    those placed under it, and for a top office the responsible units placed nowhere; an office
    ranked by the office above it is in the group of cities. A unit's ranking: the active units
    holding one of its sub-tasks, and those placed under it."""
    office_id = cycle.office_id
    figures, params = _figures_sql(
        opens_at=cycle.opens_at, cutoff_at=cycle.cutoff_at, office_id=office_id, ranker_id=ranker_id
    )
    params.update(office=UnitKind.OFFICE, city=PeerGroup.CITY, ranker=ranker_id or office_id)
    placed = "u.parent_id = %(ranker)s"
    if ranker_id is None and offices.is_top_office(office_id):
        placed += " OR (u.parent_id IS NULL AND u.kind <> %(office)s)"
    counted = ", ".join(f"COALESCE(f.{name}, 0)" for name in FIGURE_FIELDS)
    sql = f"""
SELECT u.id, CASE WHEN u.kind = %(office)s THEN %(city)s ELSE u.peer_group END, u.sort_order, {counted}
FROM {connection.ops.quote_name(Unit._meta.db_table)} u LEFT JOIN ({figures}) f ON f.unit_id = u.id
WHERE u.is_active AND u.id <> %(ranker)s AND (f.unit_id IS NOT NULL OR {placed})"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    # The figures are the row's tail, in the order of Figures' fields (FIGURE_FIELDS).
    figures_of, entry = scoring.Figures, scoring.Entry
    return [entry(unit_id=row[0], peer_group=row[1], sort_order=row[2], figures=figures_of(*row[3:])) for row in found]


def ranking_snapshot(
    *, cycle: Cycle, rule_set: RuleSet, now: dt.datetime, ranker_id: int | None = None
) -> list[scoring.Entry]:
    """Count, score and place every unit of one ranking for the cycle (the office's, or the unit
    ``ranker_id``'s of its sub-units) and store the results, with the ladder. Runs inside the
    closing transaction (see services.cycles). Returns the entries as stored."""
    ranked_by = ranker_id or cycle.office_id
    entries = scoring.rank(ranking_entries(cycle, ranker_id), rule_set.weights(), min_held=rule_set.min_held)
    previous = Cycle.objects.filter(office_id=cycle.office_id, number=cycle.number - 1, state="closed").first()
    streaks = (
        dict(
            UnitResult.objects.filter(cycle=previous, ranked_by_id=ranked_by, last_streak__gt=0).values_list(
                "unit_id", "last_streak"
            )
        )
        if previous is not None
        else {}
    )
    for e in entries:
        e.last_streak = streaks.get(e.unit_id, 0) + 1 if e.is_last else 0
    # Plain tuples into one COPY: 5,000 model instances would cost more than the insert itself.
    figures_of, points_of = attrgetter(*FIGURE_FIELDS), itemgetter(*POINT_FIELDS)
    text = scoring.cents_text
    bulk_sql.insert_many(
        UnitResult,
        [
            "cycle_id",
            "ranked_by_id",
            "unit_id",
            "peer_group",
            "unit_order",
            *FIGURE_FIELDS,
            *POINT_FIELDS,
            *RESULT_TAIL,
        ],
        [
            (
                cycle.pk,
                ranked_by,
                e.unit_id,
                e.peer_group,
                e.sort_order,
                *figures_of(e.figures),
                *map(text, points_of(e.cents)),
                text(e.score_cents),
                e.ranked,
                e.rank,
                e.group_size,
                e.tie_break,
                e.tied_with,
                e.last_streak,
            )
            for e in entries
        ],
    )
    ladder_step(cycle, [e for e in entries if e.last_streak], now, ranked_by=ranked_by)
    return entries


def sub_rankers(cycle: Cycle) -> list[int]:
    """The units that rank their sub-units at the close of this office's cycle: marked
    ``ranks_sub_units``, active, and either placed under this office (the nearest office above
    them) or having handed down a sub-task of one of its letters."""
    marked = list(Unit.objects.filter(ranks_sub_units=True, is_active=True).values_list("pk", flat=True))
    if not marked:
        return []
    nearest = offices.nearest_offices(marked)
    handing = set(
        Assignment.objects.filter(
            parent__isnull=False, parent__unit_id__in=marked, letter__office_id=cycle.office_id
        ).values_list("parent__unit_id", flat=True)
    )
    return sorted(uid for uid in marked if nearest.get(uid) == cycle.office_id or uid in handing)


def sub_rankings_snapshot(*, cycle: Cycle, rule_set: RuleSet, now: dt.datetime) -> dict[int, int]:
    """Every unit's ranking of its sub-units for the cycle: {ranking unit: units ranked}."""
    return {
        ranker: len(ranking_snapshot(cycle=cycle, rule_set=rule_set, now=now, ranker_id=ranker))
        for ranker in sub_rankers(cycle)
    }


def ranking_recompute(cycle: Cycle, ranker_id: int | None = None) -> list[scoring.Entry]:
    """A ranking of a closed cycle (the office's, or unit ``ranker_id``'s) computed again from its
    frozen figures and the rule set version it used (nothing is written). The office can check it
    gives the stored places."""
    fields = ["unit_id", "peer_group", "unit_order", *scoring.FIGURE_FIELDS]
    entries = [
        scoring.Entry(
            unit_id=row["unit_id"],
            peer_group=row["peer_group"],
            sort_order=row["unit_order"],
            figures=scoring.Figures.of(row),
        )
        for row in UnitResult.objects.filter(cycle=cycle, ranked_by_id=ranker_id or cycle.office_id).values(*fields)
    ]
    rule_set = cycle.rule_set or ruleset_current(cycle.office_id)
    return scoring.rank(entries, rule_set.weights(), min_held=rule_set.min_held)
