"""Benchmark 1: issuing one signed letter that fans out into one assignment per (item, unit).

The service path is ``services.letter_issue``. The baseline does the same reads and writes in
bare SQL in one transaction: lock the letter, check the actor's role, read addressees and
items, bump the number counter under its row lock, update the letter, then multi-row INSERTs
for the assignments, the audit rows (one for the letter, one per assignment) and the
notifications. Both are checked afterwards to have written exactly the same number of rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision import services
from supervision.models import (
    Assignment,
    AuditEvent,
    Item,
    ItemUnit,
    Letter,
    LetterNumberCounter,
    LetterPrefix,
    Membership,
    Notification,
    Role,
    User,
)

from .sqlbits import as_json, for_update, insert_rows, stamp, table
from .world import World, fresh, signed_letter


@dataclass
class FanoutResult:
    units: int
    items: int
    service_s: list[float] = field(default_factory=list)
    baseline_s: list[float] = field(default_factory=list)
    service_queries: int = 0
    baseline_queries: int = 0
    assignments: int = 0
    audit_rows: int = 0
    notifications: int = 0


def issue_with_service(world: World, letter: Letter) -> float:
    actor = fresh(world.clerk)
    started = time.perf_counter()
    services.letter_issue(actor=actor, letter=letter)
    return time.perf_counter() - started


def issue_with_bare_sql(world: World, letter: Letter) -> float:
    actor_id = world.clerk.pk
    started = time.perf_counter()
    bare_issue(letter_id=letter.pk, actor_id=actor_id)
    return time.perf_counter() - started


def _targets(rows: list[tuple[Any, ...]], addressees: list[int]) -> list[tuple[int, Any, int, str]]:
    """(item id, deadline, unit id, role) per assignment; an item naming no unit goes to every
    addressee as lead, as in the service."""
    by_item: dict[int, tuple[Any, list[tuple[int, str]]]] = {}
    for item_id, deadline, unit_id, role in rows:
        links = by_item.setdefault(item_id, (deadline, []))[1]
        if unit_id is not None:
            links.append((unit_id, role))
    targets = []
    for item_id, (deadline, links) in by_item.items():
        pairs = links or [(u, "lead") for u in addressees]
        targets += [(item_id, deadline, unit_id, role) for unit_id, role in pairs]
    return targets


def bare_issue(*, letter_id: int, actor_id: int) -> int:
    """The fan-out in bare SQL, one transaction. Returns the number of assignments created."""
    now = timezone.now()
    at = stamp(now)
    letter_t, notif_t = table(Letter), table(Notification)
    member_t, user_t = table(Membership), table(User)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"SELECT l.state, l.office_id, l.prefix_id, l.title, p.prefix FROM {letter_t} l "
            f"JOIN {table(LetterPrefix)} p ON p.id = l.prefix_id WHERE l.id = %s{for_update('l')}",
            [letter_id],
        )
        state, office_id, prefix_id, title, prefix = cur.fetchone()
        if state != "signed":
            raise RuntimeError(f"letter {letter_id} is {state}, not signed")
        cur.execute(
            f"SELECT role FROM {member_t} WHERE user_id = %s AND unit_id = %s AND role IN (%s, %s)",
            [actor_id, office_id, Role.CLERK, Role.DIRECTOR],
        )
        held = {r for (r,) in cur.fetchall()}
        if not held:
            raise RuntimeError("the actor is neither clerk nor director of the office")
        role = Role.CLERK if Role.CLERK in held else Role.DIRECTOR
        cur.execute(
            f"SELECT unit_id FROM {table(Letter.addressees.through)} WHERE letter_id = %s ORDER BY unit_id",
            [letter_id],
        )
        addressees = [u for (u,) in cur.fetchall()]
        cur.execute(
            f"SELECT i.id, i.deadline, iu.unit_id, iu.role FROM {table(Item)} i "
            f"LEFT JOIN {table(ItemUnit)} iu ON iu.item_id = i.id WHERE i.letter_id = %s ORDER BY i.seq, iu.id",
            [letter_id],
        )
        targets = _targets(cur.fetchall(), addressees)

        # The counter row lock and increment in one statement: the upsert locks the row it bumps.
        year = timezone.localdate(now).year
        counter_t = table(LetterNumberCounter)
        cur.execute(
            f"INSERT INTO {counter_t} (prefix_id, year, last_number) VALUES (%s, %s, 1) "
            f"ON CONFLICT (prefix_id, year) DO UPDATE SET last_number = {counter_t}.last_number + 1 "
            "RETURNING last_number",
            [prefix_id, year],
        )
        (serial,) = cur.fetchone()
        number = services.letter_number(prefix, year, serial)
        cur.execute(
            f"UPDATE {letter_t} SET state = %s, year = %s, serial = %s, number = %s, issued_at = %s, updated_at = %s "
            "WHERE id = %s",
            ["issued", year, serial, number, at, at, letter_id],
        )

        ids = insert_rows(
            cur,
            Assignment,
            [
                "item_id",
                "letter_id",
                "unit_id",
                "role",
                "state",
                "responsible_person",
                "deadline",
                "return_reason",
                "last_rejection_reason",
                "rejection_count",
                "issued_at",
                "updated_at",
                "version",
            ],
            [
                (item_id, letter_id, unit_id, r, "issued", "", deadline, "", "", 0, at, at, 0)
                for item_id, deadline, unit_id, r in targets
            ],
            returning="id",
        )
        audit_cols = [
            "at",
            "actor_id",
            "actor_role",
            "actor_unit_id",
            "action",
            "letter_id",
            "assignment_id",
            "from_state",
            "to_state",
            "comment",
            "data",
        ]
        letter_row = (
            at,
            actor_id,
            role,
            office_id,
            "letter.issued",
            letter_id,
            None,
            "signed",
            "issued",
            "",
            as_json({"number": number, "assignments": len(ids)}),
        )
        assignment_rows = [
            (
                at,
                actor_id,
                role,
                office_id,
                "assignment.issued",
                letter_id,
                pk,
                "",
                "issued",
                "",
                as_json({"unit": t[2]}),
            )
            for (pk,), t in zip(ids, targets, strict=True)
        ]
        insert_rows(cur, AuditEvent, audit_cols, [letter_row, *assignment_rows])

        # One statement: the recipients are read and their inbox rows written by the server.
        units = sorted({t[2] for t in targets})
        marks = ", ".join(["%s"] * len(units))
        cur.execute(
            f"INSERT INTO {notif_t} (recipient_id, verb, text, letter_id, created_at) "
            f"SELECT DISTINCT m.user_id, %s, %s, %s, %s FROM {member_t} m JOIN {user_t} u ON u.id = m.user_id "
            f"WHERE m.unit_id IN ({marks}) AND m.role IN (%s, %s) AND u.is_active = %s",
            [
                "letter_issued",
                f"新的督办函{number}《{title}》有需要本单位整改的事项。"[:300],
                letter_id,
                at,
                *units,
                Role.LIAISON,
                Role.LEADER,
                True,
            ],
        )
        return len(ids)


def _count_rows(letter_id: int) -> tuple[int, int, int]:
    return (
        Assignment.objects.filter(letter_id=letter_id).count(),
        AuditEvent.objects.filter(letter_id=letter_id, action__in=["letter.issued", "assignment.issued"]).count(),
        Notification.objects.filter(letter_id=letter_id, verb="letter_issued").count(),
    )


def _check(letter_id: int, expected: tuple[int, int, int], path: str) -> None:
    got = _count_rows(letter_id)
    if got != expected:
        raise AssertionError(f"{path} fan-out wrote {got} (assignments, audit, notifications), expected {expected}")


def run(world: World, *, units: int, items: int, runs: int) -> FanoutResult:
    unit_ids = world.unit_ids[:units]
    result = FanoutResult(units=units, items=items)
    expected = (units * items, units * items + 1, 2 * units)  # one liaison and one leader per unit
    result.assignments, result.audit_rows, result.notifications = expected

    # Untimed: a warm-up issue per path (the year's first issue also creates the counter row,
    # which is not the typical case), then one more per path to count the statements it sends.
    for _pass in ("warm-up", "count"):
        for name, fn in (("service", issue_with_service), ("baseline", issue_with_bare_sql)):
            letter = signed_letter(world, unit_ids=unit_ids, items=items)
            with CaptureQueriesContext(connection) as ctx:
                fn(world, letter)
            _check(letter.pk, expected, name)
            if name == "service":
                result.service_queries = len(ctx.captured_queries)
            else:
                result.baseline_queries = len(ctx.captured_queries)

    for n in range(runs):
        # Alternate which path goes first, so neither always runs on the warmer cache.
        order = [("service", issue_with_service), ("baseline", issue_with_bare_sql)]
        for name, fn in order if n % 2 == 0 else reversed(order):
            letter = signed_letter(world, unit_ids=unit_ids, items=items)
            seconds = fn(world, letter)
            _check(letter.pk, expected, name)
            (result.service_s if name == "service" else result.baseline_s).append(seconds)
            print(f"  run {n + 1} {name:8s} {seconds:.3f} s")
    return result
