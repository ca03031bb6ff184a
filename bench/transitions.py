"""Benchmark 2: assignments taken from issued to closed, six transitions each.

claim → report progress → submit completion → leader approves → office verifies → director
closes. The service path calls the transition services, one transaction each. The baseline
does the same work per transition in bare SQL, also one transaction each: lock the row
(SELECT … FOR UPDATE, with the role check folded in), UPDATE it, INSERT the audit row and
the report / sign-off, and INSERT … SELECT the notifications; closing also locks the letter
and closes it with its last assignment, as the service does.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision import events, services
from supervision.models import (
    Assignment,
    AuditEvent,
    Item,
    Letter,
    Membership,
    Notification,
    OutboxEvent,
    ProgressReport,
    Role,
    SignOff,
    Unit,
    User,
)

from .sqlbits import as_json, for_update, insert_rows, stamp, table
from .world import World, fresh, issued_letter

STEPS = ("claim", "report_progress", "submit_completion", "approve_completion", "verify", "close")
# Who acts at each step: a unit role (that unit's liaison or leader) or an office role.
ACTOR_OF = {
    "claim": "liaison",
    "report_progress": "liaison",
    "submit_completion": "liaison",
    "approve_completion": "leader",
    "verify": "inspector",
    "close": "director",
}

# The audit actions the loop writes: one per step, and the letter's closing with its last one.
AUDIT_ACTIONS = (
    "assignment.claimed",
    "assignment.reported",
    "assignment.completion_submitted",
    "assignment.completion_signed",
    "assignment.verified",
    "assignment.closed",
    "letter.closed",
)

SERVICE_CALLS: dict[str, Callable[[User, int], Any]] = {
    "claim": lambda u, pk: services.assignment_claim(actor=u, assignment=pk, responsible_person="张三"),
    "report_progress": lambda u, pk: services.assignment_report_progress(
        actor=u, assignment=pk, text="已完成排查，正在组织施工"
    ),
    "submit_completion": lambda u, pk: services.assignment_submit_completion(
        actor=u, assignment=pk, text="已全部完成整改，附验收记录"
    ),
    "approve_completion": lambda u, pk: services.assignment_approve_completion(actor=u, assignment=pk, comment="同意"),
    "verify": lambda u, pk: services.assignment_verify(actor=u, assignment=pk, comment="核验通过"),
    "close": lambda u, pk: services.assignment_close(actor=u, assignment=pk, comment="同意销号"),
}


@dataclass
class Round:
    seconds: float
    per_step: dict[str, float]  # total seconds spent in each step over the round


@dataclass
class TransitionResult:
    assignments: int
    service: list[Round] = field(default_factory=list)
    baseline: list[Round] = field(default_factory=list)
    service_queries: dict[str, int] = field(default_factory=dict)
    baseline_queries: dict[str, int] = field(default_factory=dict)

    @property
    def transitions(self) -> int:
        return self.assignments * len(STEPS)


def actor_for(world: World, step: str, unit_id: int) -> User:
    who = ACTOR_OF[step]
    if who == "liaison":
        return world.liaison[unit_id]
    if who == "leader":
        return world.leader[unit_id]
    return world.inspector if who == "inspector" else world.director


def assignments_of(letter: Letter) -> list[tuple[int, int]]:
    return list(Assignment.objects.filter(letter=letter).order_by("pk").values_list("pk", "unit_id"))


# --- the service path -------------------------------------------------------------------------


def service_round(world: World, letter: Letter) -> Round:
    """Every assignment through each step in turn (all claims, then all reports, …)."""
    targets = assignments_of(letter)
    per_step: dict[str, float] = {}
    for step in STEPS:
        call = SERVICE_CALLS[step]
        # A fresh user object per call, built before the clock starts: each request loads its own.
        jobs = [(fresh(actor_for(world, step, unit_id)), pk) for pk, unit_id in targets]
        started = time.perf_counter()
        for actor, pk in jobs:
            call(actor, pk)
        per_step[step] = time.perf_counter() - started
    return Round(seconds=sum(per_step.values()), per_step=per_step)


# --- the bare-SQL baseline --------------------------------------------------------------------


@dataclass
class Locked:
    """What the lock query returns about the assignment, its letter, item and unit."""

    pk: int
    state: str
    unit_id: int
    claimed_by_id: int | None
    letter_id: int
    office_id: int
    number: str
    unit_name: str
    item_text: str
    allowed: bool


def _lock(cur: Any, pk: int, actor_id: int, role: str, office: bool) -> Locked:
    where = "l.office_id" if office else "a.unit_id"
    cur.execute(
        "SELECT a.state, a.unit_id, a.claimed_by_id, a.letter_id, l.office_id, l.number, u.short_name, "
        f"i.description, EXISTS (SELECT 1 FROM {table(Membership)} m "
        f"WHERE m.user_id = %s AND m.unit_id = {where} AND m.role = %s) "
        f"FROM {table(Assignment)} a JOIN {table(Letter)} l ON l.id = a.letter_id "
        f"JOIN {table(Item)} i ON i.id = a.item_id JOIN {table(Unit)} u ON u.id = a.unit_id "
        f"WHERE a.id = %s{for_update('a')}",
        [actor_id, role, pk],
    )
    row = cur.fetchone()
    locked = Locked(pk, *row[:7], item_text=row[7][:40], allowed=bool(row[8]))
    if not locked.allowed:
        raise RuntimeError(f"actor {actor_id} is not {role} where assignment {pk} needs it")
    return locked


def _move(cur: Any, a: Locked, sources: tuple[str, ...], target: str, at: Any, extra: dict[str, Any]) -> None:
    if a.state not in sources:
        raise RuntimeError(f"assignment {a.pk} is {a.state}, cannot go to {target}")
    sets = ", ".join(f"{col} = %s" for col in extra)
    cur.execute(
        f"UPDATE {table(Assignment)} SET state = %s, version = version + 1, updated_at = %s"
        + (f", {sets}" if sets else "")
        + " WHERE id = %s",
        [target, at, *extra.values(), a.pk],
    )


def _audit(
    cur: Any,
    a: Locked,
    *,
    at: Any,
    actor_id: int,
    role: str,
    unit_id: int,
    action: str,
    from_state: str,
    to_state: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    letter_level: bool = False,
) -> None:
    # A letter-level row (the letter's closing) names no assignment.
    insert_rows(
        cur,
        AuditEvent,
        ["at", "actor_id", "actor_role", "actor_unit_id", "action", "letter_id", "assignment_id"]
        + ["from_state", "to_state", "comment", "data"],
        [
            (
                at,
                actor_id,
                role,
                unit_id,
                action,
                a.letter_id,
                None if letter_level else a.pk,
                from_state,
                to_state,
                comment,
                as_json(data or {}),
            )
        ],
    )


def _notify(
    cur: Any, a: Locked, *, at: Any, unit_id: int, roles: tuple[str, ...], verb: str, text: str, exclude: int = 0
) -> None:
    """Recipients read and inbox rows written in one statement (ids start at 1: 0 excludes no one),
    then the notification's one outbox event (supervision/outbox/write.py), as the service writes."""
    marks = ", ".join(["%s"] * len(roles))
    cur.execute(
        f"INSERT INTO {table(Notification)} (recipient_id, verb, text, letter_id, assignment_id, created_at) "
        f"SELECT DISTINCT m.user_id, %s, %s, %s, %s, %s FROM {table(Membership)} m "
        f"JOIN {table(User)} u ON u.id = m.user_id "
        f"WHERE m.unit_id = %s AND m.role IN ({marks}) AND u.is_active = %s AND m.user_id <> %s "
        f"RETURNING recipient_id",
        [verb, text[:300], a.letter_id, a.pk, at, unit_id, *roles, True, exclude],
    )
    told = sorted(row[0] for row in cur.fetchall())
    insert_rows(
        cur,
        OutboxEvent,
        ["uuid", "name", "verb", "text", "payload", "letter_id", "assignment_id", "unit_ids", "recipient_ids"]
        + ["urgent", "created_at"],
        [
            (
                uuid.uuid4().hex if connection.vendor != "postgresql" else uuid.uuid4(),
                events.for_verb(verb).name,
                verb,
                text[:300],
                as_json({"state": a.state}),
                a.letter_id,
                a.pk,
                as_json([a.unit_id]),
                as_json(told),
                False,
                at,
            )
        ],
    )


def _report(cur: Any, a: Locked, *, at: Any, actor_id: int, kind: str, text: str) -> None:
    insert_rows(
        cur,
        ProgressReport,
        ["assignment_id", "kind", "text", "author_id", "created_at"],
        [(a.pk, kind, text, actor_id, at)],
    )


def _require_claimer(a: Locked, actor_id: int) -> None:
    if a.claimed_by_id and a.claimed_by_id != actor_id:
        raise RuntimeError(f"assignment {a.pk} was claimed by someone else")


def _close_letter_if_done(cur: Any, a: Locked, *, at: Any, actor_id: int, role: str) -> None:
    # Lock the letter before counting, as the service does: two closers of the last two
    # assignments must not each see the other's as still open.
    letter_t = table(Letter)
    cur.execute(f"SELECT state FROM {letter_t} WHERE id = %s{for_update()}", [a.letter_id])
    if cur.fetchone()[0] != "issued":
        return
    cur.execute(
        f"SELECT 1 FROM {table(Assignment)} WHERE letter_id = %s AND state NOT IN (%s, %s) LIMIT 1",
        [a.letter_id, "closed", "reassigned"],
    )
    if cur.fetchone() is not None:
        return
    cur.execute(
        f"UPDATE {letter_t} SET state = %s, closed_at = %s, updated_at = %s WHERE id = %s",
        ["closed", at, at, a.letter_id],
    )
    _audit(
        cur,
        a,
        at=at,
        actor_id=actor_id,
        role=role,
        unit_id=a.office_id,
        action="letter.closed",
        letter_level=True,
        from_state="issued",
        to_state="closed",
    )


@dataclass(frozen=True)
class Act:
    """Who acts, in which role and unit, and when: what every audit row of a step repeats."""

    at: Any
    actor_id: int
    role: str
    unit_id: int

    def audit(self, cur: Any, a: Locked, action: str, to_state: str, comment: str = "", **data: Any) -> None:
        _audit(
            cur,
            a,
            at=self.at,
            actor_id=self.actor_id,
            role=self.role,
            unit_id=self.unit_id,
            action=action,
            from_state=a.state,
            to_state=to_state,
            comment=comment,
            data=data,
        )


def _bare_claim(cur: Any, a: Locked, act: Act) -> None:
    if a.claimed_by_id:
        raise RuntimeError(f"assignment {a.pk} is already claimed")
    person = "张三"
    extra = {"claimed_by_id": act.actor_id, "claimed_at": act.at, "responsible_person": person}
    _move(cur, a, ("issued",), "accepted", act.at, extra)
    act.audit(cur, a, "assignment.claimed", "accepted", responsible_person=person)
    text = f"{act.actor_id}签收了{a.number}的事项：{a.item_text}"
    _notify(
        cur,
        a,
        at=act.at,
        unit_id=a.unit_id,
        roles=(Role.LIAISON, Role.LEADER),
        verb="assignment_claimed",
        text=text,
        exclude=act.actor_id,
    )


def _bare_report(cur: Any, a: Locked, act: Act) -> None:
    _require_claimer(a, act.actor_id)
    text = "已完成排查，正在组织施工"
    _move(cur, a, ("accepted", "in_progress"), "in_progress", act.at, {})
    act.audit(cur, a, "assignment.reported", "in_progress", text, files=0)
    _report(cur, a, at=act.at, actor_id=act.actor_id, kind="progress", text=text)


def _bare_submit(cur: Any, a: Locked, act: Act) -> None:
    _require_claimer(a, act.actor_id)
    text = "已全部完成整改，附验收记录"
    _move(cur, a, ("in_progress",), "completion_requested", act.at, {"completed_at": act.at})
    act.audit(cur, a, "assignment.completion_submitted", "completion_requested", text, files=0)
    _report(cur, a, at=act.at, actor_id=act.actor_id, kind="completion", text=text)
    text = f"有一份整改完成报告待您审签：{a.item_text}"
    _notify(
        cur,
        a,
        at=act.at,
        unit_id=a.unit_id,
        roles=(Role.LEADER,),
        verb="signoff_needed",
        text=text,
        exclude=act.actor_id,
    )


def _bare_approve(cur: Any, a: Locked, act: Act) -> None:
    _move(cur, a, ("completion_requested",), "awaiting_verification", act.at, {})
    act.audit(cur, a, "assignment.completion_signed", "awaiting_verification", "同意")
    insert_rows(
        cur,
        SignOff,
        ["assignment_id", "kind", "approved", "comment", "signed_by_id", "signed_at"],
        [(a.pk, "completion", True, "同意", act.actor_id, act.at)],
    )
    text = f"{a.unit_name}报告{a.number}的事项已完成：{a.item_text}"
    _notify(cur, a, at=act.at, unit_id=a.office_id, roles=(Role.INSPECTOR,), verb="verification_needed", text=text)


def _bare_verify(cur: Any, a: Locked, act: Act) -> None:
    _move(cur, a, ("awaiting_verification",), "verified", act.at, {"verified_at": act.at})
    act.audit(cur, a, "assignment.verified", "verified", "核验通过")
    text = f"已核验，待销号：{a.unit_name} · {a.item_text}"
    _notify(cur, a, at=act.at, unit_id=a.office_id, roles=(Role.DIRECTOR,), verb="close_needed", text=text)


def _bare_close(cur: Any, a: Locked, act: Act) -> None:
    _move(cur, a, ("verified",), "closed", act.at, {"closed_at": act.at})
    act.audit(cur, a, "assignment.closed", "closed", "同意销号")
    text = f"已销号：{a.item_text}"
    _notify(
        cur, a, at=act.at, unit_id=a.unit_id, roles=(Role.LIAISON, Role.LEADER), verb="assignment_closed", text=text
    )
    _close_letter_if_done(cur, a, at=act.at, actor_id=act.actor_id, role=act.role)


BARE_STEPS: dict[str, Callable[[Any, Locked, Act], None]] = {
    "claim": _bare_claim,
    "report_progress": _bare_report,
    "submit_completion": _bare_submit,
    "approve_completion": _bare_approve,
    "verify": _bare_verify,
    "close": _bare_close,
}
ROLE_OF = {"liaison": Role.LIAISON, "leader": Role.LEADER, "inspector": Role.INSPECTOR, "director": Role.DIRECTOR}


def bare_step(step: str, pk: int, actor_id: int) -> None:
    """One transition in bare SQL, in its own transaction."""
    role = ROLE_OF[ACTOR_OF[step]]
    office = ACTOR_OF[step] in ("inspector", "director")
    at = stamp(timezone.now())
    with transaction.atomic(), connection.cursor() as cur:
        a = _lock(cur, pk, actor_id, role, office)
        act = Act(at=at, actor_id=actor_id, role=role, unit_id=a.office_id if office else a.unit_id)
        BARE_STEPS[step](cur, a, act)


def baseline_round(world: World, letter: Letter) -> Round:
    targets = assignments_of(letter)
    per_step: dict[str, float] = {}
    for step in STEPS:
        jobs = [(pk, actor_for(world, step, unit_id).pk) for pk, unit_id in targets]
        started = time.perf_counter()
        for pk, actor_id in jobs:
            bare_step(step, pk, actor_id)
        per_step[step] = time.perf_counter() - started
    return Round(seconds=sum(per_step.values()), per_step=per_step)


# --- checks and counts ------------------------------------------------------------------------


def _rows_written(letter: Letter) -> tuple[int, ...]:
    asg = Assignment.objects.filter(letter=letter)
    return (
        asg.filter(state="closed").count(),
        AuditEvent.objects.filter(letter=letter, action__in=AUDIT_ACTIONS).count(),
        Notification.objects.filter(assignment__letter=letter).count(),
        ProgressReport.objects.filter(assignment__letter=letter).count(),
        SignOff.objects.filter(assignment__letter=letter).count(),
        Letter.objects.filter(pk=letter.pk, state="closed").count(),
    )


def _expected(n: int) -> tuple[int, ...]:
    # 6 audit rows each + the letter's closing; notifications: claim 1 (the leader), submit 1,
    # approve 1 (the inspector), verify 1 (the director), close 2 (liaison and leader).
    return (n, 6 * n + 1, 6 * n, 2 * n, n, 1)


def _check(letter: Letter, n: int, path: str) -> None:
    got = _rows_written(letter)
    if got != _expected(n):
        raise AssertionError(f"{path} loop wrote {got}, expected {_expected(n)}")


def count_queries(world: World, units: list[int]) -> tuple[dict[str, int], dict[str, int]]:
    """Statements per transition for each path, over a few assignments (the median of them, so
    the one close that also closes the letter does not count as the typical close)."""
    found: list[dict[str, int]] = []
    for path in ("service", "baseline"):
        letter = issued_letter(world, unit_ids=units, items=1)
        targets = assignments_of(letter)
        counts: dict[str, list[int]] = {s: [] for s in STEPS}
        for step in STEPS:
            for pk, unit_id in targets:
                actor = fresh(actor_for(world, step, unit_id))
                with CaptureQueriesContext(connection) as ctx:
                    if path == "service":
                        SERVICE_CALLS[step](actor, pk)
                    else:
                        bare_step(step, pk, actor.pk)
                counts[step].append(len(ctx.captured_queries))
        _check(letter, len(targets), path)
        found.append({s: int(statistics.median(c)) for s, c in counts.items()})
    return found[0], found[1]


def run(world: World, *, units: int, items: int, rounds: int) -> TransitionResult:
    result = TransitionResult(assignments=units * items)
    # Untimed: query counts on a few assignments (also warms both paths up).
    result.service_queries, result.baseline_queries = count_queries(world, world.unit_ids[:5])
    for n in range(rounds):
        order = [("service", service_round), ("baseline", baseline_round)]
        for name, fn in order if n % 2 == 0 else reversed(order):
            letter = issued_letter(world, unit_ids=world.unit_ids[:units], items=items)
            outcome = fn(world, letter)
            _check(letter, units * items, name)
            (result.service if name == "service" else result.baseline).append(outcome)
            rate = result.transitions / outcome.seconds
            print(f"  round {n + 1} {name:8s} {rate:,.0f} transitions/s ({outcome.seconds:.2f} s)")
    return result
