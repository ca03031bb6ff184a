"""The escalation ladder (named in the notice, interview, accountability referral): when a cycle
closes, each unit ranked last in its peer group enough cycles in a row (CYCLE_LADDER) goes one step
up, with an Escalation row, an audit event and word to the unit and to the office (see
services.ranking).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from supervision import scoring
from supervision.models import (
    Cycle,
    Escalation,
    EscalationLevel,
    Membership,
    Notification,
    PeerGroup,
    Role,
    Unit,
)
from supervision.outbox.write import outbox_event_build, outbox_events_save

from .audit import audit_event, audit_record_many
from .push import notification_payload, push_batches_after_commit

ESCALATION_ACTIONS = {
    EscalationLevel.NAMED: "escalation.named",
    EscalationLevel.INTERVIEW: "escalation.interview",
    EscalationLevel.REFERRAL: "escalation.referral",
}


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


def ladder_step(
    cycle: Cycle, last: Iterable[scoring.Entry], now: dt.datetime, *, ranked_by: int | None = None
) -> list[Escalation]:
    """One step up the ladder for each unit last in its group of one ranking (``ranked_by``: the
    cycle's office by default, or the unit ranking its sub-units): an Escalation row, an audit
    event, and word to the unit and to whoever ranked it (the office's clerks and directors, or
    the ranking unit's liaisons and leaders)."""
    ranked_by = ranked_by or cycle.office_id
    ladder = _ladder()
    steps = []
    for r in last:
        level = _level(r.last_streak, ladder)
        if level is not None:
            steps.append(
                Escalation(
                    cycle=cycle,
                    ranked_by_id=ranked_by,
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
    audit_record_many(
        [
            audit_event(
                at=now,
                action=ESCALATION_ACTIONS[EscalationLevel(e.level)],
                data={
                    "cycle": cycle.number,
                    "office": cycle.office_id,
                    "ranked_by": ranked_by,
                    "unit": e.unit_id,
                    "peer_group": e.peer_group,
                    "streak": e.streak,
                },
            )
            for e in steps
        ]
    )
    members = defaultdict(set)
    for unit_id, user_id in Membership.objects.filter(
        unit_id__in=[e.unit_id for e in steps], role__in=[Role.LIAISON, Role.LEADER], user__is_active=True
    ).values_list("unit_id", "user_id"):
        members[unit_id].add(user_id)
    ranker_roles = [Role.CLERK, Role.DIRECTOR] if ranked_by == cycle.office_id else [Role.LIAISON, Role.LEADER]
    office_people = set(
        Membership.objects.filter(
            unit_id=ranked_by, unit__is_active=True, role__in=ranker_roles, user__is_active=True
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
    # One outbox event per unit escalated (its work-group robot, the office's integrations).
    outbox_events_save(
        [
            outbox_event_build(
                verb="ranking_escalation",
                text=text,
                unit_ids=[unit_id],
                recipient_ids=[n.recipient_id for n in told],
                payload={"cycle": cycle.pk, "cycle_number": cycle.number},
                created_at=now,
            )
            for told, text, unit_id in batches
        ]
    )
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
