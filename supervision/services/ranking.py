"""Ranking a closed cycle (双周排队) and the escalation ladder; revising the scoring rules.

The figures of every unit are counted by the database in three aggregate queries (assignments,
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
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from operator import attrgetter

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import translation
from django.utils.translation import gettext as _

from supervision import clock, cycle_calendar, scoring
from supervision.models import (
    DEFAULT_WEIGHTS,
    FIGURE_FIELDS,
    OPEN_STATES,
    POINT_FIELDS,
    WEIGHT_FIELDS,
    Assignment,
    AssignmentState,
    AuditEvent,
    Cycle,
    Escalation,
    EscalationLevel,
    ExtensionRequest,
    ExtensionState,
    Membership,
    Notification,
    PeerGroup,
    ProgressReport,
    Role,
    RuleSet,
    Unit,
    UnitKind,
    UnitResult,
    User,
)
from supervision.models.assignments import DEAD_STATES

from . import rows
from .audit import audit_record
from .errors import InvalidInput, NotAllowed
from .push import notification_payload, push_batches_after_commit

S = AssignmentState
# The states in which a unit is working on an assignment and so owes a report each cycle.
REPORTING_STATES = (S.ISSUED, S.ACCEPTED, S.IN_PROGRESS)
RANKING_ACTIONS = {
    "assignment.rejected": "rejections",
    "assignment.reassigned": "returns_upheld",
    "assignment.reissued": "returns_rejected",
}
RESULT_TAIL = ("score", "ranked", "rank", "group_size", "tie_break", "tied_with_id", "last_streak")
ESCALATION_ACTIONS = {
    EscalationLevel.NAMED: "escalation.named",
    EscalationLevel.INTERVIEW: "escalation.interview",
    EscalationLevel.REFERRAL: "escalation.referral",
}


# --- rule sets ------------------------------------------------------------------------------------


def ruleset_current() -> RuleSet:
    """The rule set in force; version 1 with the documented defaults if there is none yet."""
    current = RuleSet.objects.filter(is_current=True).first()
    if current is not None:
        return current
    try:
        # Stored text, read by everyone and printed in notices: in the office's language, not in
        # the language of whoever (or whichever tick) happens to create it.
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            return RuleSet.objects.create(
                version=(RuleSet.objects.aggregate(m=Max("version"))["m"] or 0) + 1,
                name=_("Biweekly ranking rules"),
                notes=_("The documented defaults."),
                is_current=True,
                created_at=clock.now(),
                **DEFAULT_WEIGHTS,
            )
    except IntegrityError:  # created meanwhile by someone else: use theirs
        return RuleSet.objects.get(is_current=True)


def _may_edit_rules(actor: User) -> bool:
    if actor.is_active and actor.is_superuser:
        return True
    return Membership.objects.filter(
        user=actor, unit__kind=UnitKind.OFFICE, unit__is_active=True, role__in=[Role.CLERK, Role.DIRECTOR]
    ).exists()


@transaction.atomic
def ruleset_revise(
    *,
    actor: User,
    weights: dict[str, Decimal],
    name: str = "",
    notes: str = "",
    min_held: int | None = None,
) -> RuleSet:
    """Save edited weights as a new version and make it current. Earlier versions are never
    changed: every closed cycle keeps the version it was ranked with."""
    if not actor.is_active or not _may_edit_rules(actor):
        raise NotAllowed(_("Only the office's clerks and directors may change the scoring rules."))
    # Lock the current row: two people saving at once get consecutive versions, one current.
    current = RuleSet.objects.select_for_update().filter(is_current=True).first() or ruleset_current()
    values = {}
    for key in WEIGHT_FIELDS:
        value = weights.get(key, getattr(current, key))
        try:
            value = Decimal(value)
        except (ArithmeticError, TypeError, ValueError):
            raise InvalidInput(_("A weight must be a number."), field=key) from None
        if not value.is_finite() or value < 0 or value >= 10000:
            raise InvalidInput(_("A weight must be between 0 and 9999.99."), field=key)
        values[key] = value.quantize(scoring.CENT)
    held = current.min_held if min_held is None else int(min_held)
    if held < 1:
        raise InvalidInput(_("At least one assignment is needed to be ranked."), field="min_held")
    RuleSet.objects.filter(pk=current.pk).update(is_current=False)
    new = RuleSet.objects.create(
        version=(RuleSet.objects.aggregate(m=Max("version"))["m"] or 0) + 1,
        name=(name or current.name).strip()[:100],
        notes=(notes or "").strip(),
        min_held=held,
        is_current=True,
        replaces=current,
        created_at=clock.now(),
        created_by=actor,
        **values,
    )
    changed = {k: [str(getattr(current, k)), str(values[k])] for k in WEIGHT_FIELDS if values[k] != getattr(current, k)}
    audit_record(
        actor=actor,
        action="ruleset.revised",
        comment=new.notes[:2000],
        data={"version": new.version, "replaces": current.version, "changed": changed, "min_held": held},
    )
    return new


# --- the figures ----------------------------------------------------------------------------------


def unit_figures(*, opens_at: dt.datetime, cutoff_at: dt.datetime) -> dict[int, dict[str, int]]:
    """{unit id: figures} for the report window (opens_at, cutoff_at], counted in SQL."""
    o, c = opens_at, cutoff_at
    claim_days = dt.timedelta(days=int(settings.CYCLE_CLAIM_DAYS))
    grace = dt.timedelta(days=int(settings.CYCLE_REPORT_GRACE_DAYS))
    close_day = cycle_calendar.local_date(c)
    held = Q(state__in=OPEN_STATES) | Q(state=S.VERIFIED, verified_at__gt=o) | Q(state=S.CLOSED, closed_at__gt=o)
    claims_due = Q(issued_at__gt=o - claim_days, issued_at__lte=c - claim_days)
    on_time = claims_due & Q(claimed_at__isnull=False, claimed_at__lte=F("issued_at") + claim_days)
    old_enough = Q(issued_at__lte=c - grace)
    working = Q(state__in=REPORTING_STATES)
    figures: dict[int, dict[str, int]] = defaultdict(dict)
    live = Assignment.objects.filter(issued_at__lte=c).exclude(state__in=DEAD_STATES).order_by()
    counted = live.values("unit_id").annotate(
        held=Count("pk", filter=held),
        claims_due=Count("pk", filter=claims_due),
        claimed_on_time=Count("pk", filter=on_time),
        due_working=Count("pk", filter=old_enough & working),
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, deadline__lt=close_day)),
        closed=Count("pk", filter=Q(state=S.CLOSED, closed_at__gt=o, closed_at__lte=c)),
    )
    for row in counted:
        figures[row.pop("unit_id")].update(row)
    # Reported in the window: a semi-join of its own, so the big aggregate above needs no
    # subquery per row. A report also makes a report due when the unit is past working on it
    # (a completion report, say): those are "made while not working".
    in_window = ProgressReport.objects.filter(created_at__gt=o, created_at__lte=c).values("assignment_id")
    made = (
        live.filter(old_enough, pk__in=in_window)
        .values("unit_id")
        .annotate(reports_made=Count("pk"), made_idle=Count("pk", filter=~working))
    )
    for row in made:
        figures[row.pop("unit_id")].update(row)
    for values in figures.values():
        values["reports_due"] = values.pop("due_working", 0) + values.pop("made_idle", 0)
    events = (
        AuditEvent.objects.filter(action__in=list(RANKING_ACTIONS), at__gt=o, at__lte=c, assignment__isnull=False)
        .order_by()
        .values("assignment__unit_id")
        .annotate(**{field: Count("pk", filter=Q(action=action)) for action, field in RANKING_ACTIONS.items()})
    )
    for row in events:
        figures[row.pop("assignment__unit_id")].update(row)
    granted = (
        ExtensionRequest.objects.filter(state=ExtensionState.APPROVED, decided_at__gt=o, decided_at__lte=c)
        .order_by()
        .values("assignment__unit_id")
        .annotate(n=Count("pk"))
    )
    for row in granted:
        figures[row["assignment__unit_id"]]["extensions"] = row["n"]
    return dict(figures)


# --- closing a cycle ------------------------------------------------------------------------------


def _ladder() -> list[tuple[int, int]]:
    """[(streak needed, level)] from CYCLE_LADDER, highest level first."""
    steps = [int(n) for n in settings.CYCLE_LADDER][:3]
    levels = [EscalationLevel.NAMED, EscalationLevel.INTERVIEW, EscalationLevel.REFERRAL]
    return sorted(((need, level) for need, level in zip(steps, levels, strict=False) if need > 0), reverse=True)


def _level(streak: int, ladder: list[tuple[int, int]]) -> int | None:
    for need, level in ladder:
        if streak >= need:
            return level
    return None


def ranking_entries(cycle: Cycle) -> list[scoring.Entry]:
    """Every active responsible unit with its figures for the cycle (zero where it had none)."""
    figures = unit_figures(opens_at=cycle.opens_at, cutoff_at=cycle.cutoff_at)
    units = (
        Unit.objects.filter(is_active=True).exclude(kind=UnitKind.OFFICE).values_list("pk", "peer_group", "sort_order")
    )
    none = scoring.Figures()
    return [
        scoring.Entry(
            unit_id=pk,
            peer_group=group,
            sort_order=order,
            figures=scoring.Figures(**figures[pk]) if pk in figures else none,
        )
        for pk, group, order in units
    ]


def ranking_snapshot(*, cycle: Cycle, rule_set: RuleSet, now: dt.datetime) -> list[scoring.Entry]:
    """Count, score and place every unit for the cycle and store the results, with the ladder.
    Runs inside the closing transaction (see services.cycles). Returns the entries as stored."""
    entries = scoring.rank(ranking_entries(cycle), rule_set.weights(), min_held=rule_set.min_held)
    previous = Cycle.objects.filter(number=cycle.number - 1, state="closed").first()
    streaks = (
        dict(UnitResult.objects.filter(cycle=previous, last_streak__gt=0).values_list("unit_id", "last_streak"))
        if previous is not None
        else {}
    )
    for e in entries:
        e.last_streak = streaks.get(e.unit_id, 0) + 1 if e.is_last else 0
    # Plain tuples into one COPY: 5,000 model instances would cost more than the insert itself.
    figures_of = attrgetter(*FIGURE_FIELDS)
    text = scoring.cents_text
    rows.insert_many(
        UnitResult,
        ["cycle_id", "unit_id", "peer_group", "unit_order", *FIGURE_FIELDS, *POINT_FIELDS, *RESULT_TAIL],
        [
            (
                cycle.pk,
                e.unit_id,
                e.peer_group,
                e.sort_order,
                *figures_of(e.figures),
                *(text(e.cents[name]) for name in POINT_FIELDS),
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
    _escalate(cycle, [e for e in entries if e.last_streak], now)
    return entries


def _escalate(cycle: Cycle, last: Iterable[scoring.Entry], now: dt.datetime) -> list[Escalation]:
    """One step up the ladder for each unit last in its group: an Escalation row, an audit event,
    and word to the unit and to the office."""
    ladder = _ladder()
    steps = []
    for r in last:
        level = _level(r.last_streak, ladder)
        if level is not None:
            steps.append(
                Escalation(
                    cycle=cycle,
                    unit_id=r.unit_id,
                    peer_group=r.peer_group,
                    level=level,
                    streak=r.last_streak,
                    created_at=now,
                )
            )
    if not steps:
        return []
    Escalation.objects.bulk_create(steps)
    names = dict(Unit.objects.filter(pk__in=[e.unit_id for e in steps]).values_list("pk", "name"))
    groups = dict(PeerGroup.choices)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=now,
                action=ESCALATION_ACTIONS[EscalationLevel(e.level)],
                data={"cycle": cycle.number, "unit": e.unit_id, "peer_group": e.peer_group, "streak": e.streak},
            )
            for e in steps
        ]
    )
    members = defaultdict(set)
    for unit_id, user_id in Membership.objects.filter(
        unit_id__in=[e.unit_id for e in steps], role__in=[Role.LIAISON, Role.LEADER], user__is_active=True
    ).values_list("unit_id", "user_id"):
        members[unit_id].add(user_id)
    office_people = set(
        Membership.objects.filter(
            unit__kind=UnitKind.OFFICE, unit__is_active=True, role__in=[Role.CLERK, Role.DIRECTOR], user__is_active=True
        ).values_list("user_id", flat=True)
    )
    # One multi-row INSERT … RETURNING for all, then one push per unit's batch after commit: each
    # notification links to the unit it is about (its page shows the ranking history).
    outbox: list[Notification] = []
    batches = []
    for e in steps:
        text = _escalation_text(e.level) % {
            "unit": names.get(e.unit_id, ""),
            "group": groups.get(e.peer_group, e.peer_group),
            "number": cycle.number,
            "n": e.streak,
        }
        told = [
            Notification(
                recipient_id=user_id, verb="ranking_escalation", text=text[:300], unit_id=e.unit_id, created_at=now
            )
            for user_id in sorted(members[e.unit_id] | office_people)
        ]
        outbox += told
        batches.append((told, text, e.unit_id))
    Notification.objects.bulk_create(outbox)
    push_batches_after_commit(
        [
            (
                [(n.pk, n.recipient_id) for n in told],
                notification_payload(
                    verb="ranking_escalation",
                    text=text,
                    letter_id=None,
                    assignment_id=None,
                    unit_id=unit_id,
                    created_at=now,
                ),
            )
            for told, text, unit_id in batches
        ]
    )
    return steps


def _escalation_text(level: int) -> str:
    if level == EscalationLevel.REFERRAL:
        return _(
            "%(unit)s ranked last among %(group)s in cycle %(number)d, %(n)d cycles in a row: "
            "referred for accountability."
        )
    if level == EscalationLevel.INTERVIEW:
        return _(
            "%(unit)s ranked last among %(group)s in cycle %(number)d, %(n)d cycles in a row: "
            "put on the interview list."
        )
    return _("%(unit)s ranked last among %(group)s in cycle %(number)d: named in the notice.")


def ranking_recompute(cycle: Cycle) -> list[scoring.Entry]:
    """The ranking of a closed cycle computed again from its frozen figures and the rule set
    version it used (nothing is written). The office can check it gives the stored places."""
    fields = ["unit_id", "peer_group", "unit_order", *scoring.FIGURE_FIELDS]
    entries = [
        scoring.Entry(
            unit_id=row["unit_id"],
            peer_group=row["peer_group"],
            sort_order=row["unit_order"],
            figures=scoring.Figures.of(row),
        )
        for row in UnitResult.objects.filter(cycle=cycle).values(*fields)
    ]
    rule_set = cycle.rule_set or ruleset_current()
    return scoring.rank(entries, rule_set.weights(), min_held=rule_set.min_held)
