"""The data of the ranking benchmark (bench/ranking.py), generated straight into the tables (no
services: 200,000 assignments through the fan-out would take minutes): units in four peer groups,
letters with items going to 25 units each, assignments in every state with claims, reports,
deadlines, write-offs, rejections, returns and extensions spread over and around the cycle's
window, and one audit row per issued assignment besides the ranked events. The API benchmark
(bench/api.py) reads the same data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from supervision import services
from supervision.models import (
    Assignment,
    AuditEvent,
    Cycle,
    ExtensionRequest,
    Item,
    Letter,
    LetterKind,
    LetterPrefix,
    Membership,
    PeerGroup,
    ProgressReport,
    Role,
    Unit,
    UnitKind,
    User,
)

from .sqlbits import insert_rows, stamp

ITEMS_PER_LETTER = 40
UNITS_PER_ITEM = 25
# Share of units per peer group: a province's counties, departments and work teams, and its
# many townships.
GROUPS = ((UnitKind.COUNTY, 0.10), (UnitKind.DEPARTMENT, 0.08), (UnitKind.WORK_TEAM, 0.07), (UnitKind.TOWNSHIP, 0.75))
# Per mille of assignments in each state.
STATES = (
    ("issued", 50),
    ("accepted", 90),
    ("in_progress", 440),
    ("completion_requested", 30),
    ("awaiting_verification", 70),
    ("verified", 50),
    ("closed", 230),
    ("return_requested", 10),
    ("returned", 10),
    ("reassigned", 20),
    ("withdrawn", 0),
)


_MASK = 2**64 - 1


def _mix(n: int, salt: int) -> int:
    """A deterministic, well-spread number in 0..999 for row ``n`` (splitmix64: draws with
    different salts are independent of each other)."""
    z = (n * 0x9E3779B97F4A7C15 + salt * 0xD1B54A32D192ED03) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return (z ^ (z >> 31)) % 1000


def _state(n: int) -> str:
    roll, total = _mix(n, 1), 0
    for state, share in STATES:
        total += share
        if roll < total:
            return state
    return "in_progress"


@dataclass
class Data:
    cycle: Cycle
    unit_ids: list[int]
    counts: dict[str, int]


def build(*, units: int, assignments: int) -> Data:
    """Generate the data and an open cycle whose cut-off has passed. Returns its handle."""
    now = timezone.now().replace(microsecond=0)
    cutoff = now - dt.timedelta(minutes=5)
    opens = cutoff - dt.timedelta(days=14)
    office = Unit.objects.create(
        name="排名基准领导小组办公室", short_name="排名办", kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE
    )
    prefix = LetterPrefix.objects.create(
        office=office, kind=LetterKind.SUPERVISION, prefix="排名办督", issuing_body="排名基准领导小组"
    )
    clerk = User.objects.create(username="rank_clerk", full_name="排名督办员")
    director = User.objects.create(username="rank_director", full_name="排名主任")
    liaison = User.objects.create(username="rank_liaison", full_name="排名联络员")
    Membership.objects.bulk_create(
        [
            Membership(user=clerk, unit=office, role=Role.CLERK),
            Membership(user=director, unit=office, role=Role.DIRECTOR),
        ]
    )
    unit_ids = _units(units)
    with connection.cursor() as cur:
        letter_ids = _letters(cur, office.pk, prefix.pk, clerk.pk, assignments, now)
        item_ids = _items(cur, letter_ids, assignments, now)
        rows = _assignments(cur, unit_ids, item_ids, letter_ids, liaison.pk, assignments, opens, cutoff)
        counts = _events(cur, rows, liaison.pk, clerk.pk, opens, cutoff)
    services.ruleset_current(office)  # version 1 of the rules, there before any cycle closes
    counts["assignments"] = len(rows)
    counts["units"] = len(unit_ids)
    cycle = Cycle.objects.create(
        office=office,
        number=1,
        seq=0,
        starts_on=timezone.localdate(opens),
        ends_on=timezone.localdate(cutoff),
        opens_at=opens,
        cutoff_at=cutoff,
        state="open",
        opened_at=opens,
    )
    return Data(cycle=cycle, unit_ids=unit_ids, counts=counts)


def _units(n: int) -> list[int]:
    kinds: list[str] = []
    for kind, share in GROUPS:
        kinds += [kind] * round(n * share)
    kinds = (kinds + [UnitKind.TOWNSHIP] * n)[:n]
    created = Unit.objects.bulk_create(
        [
            Unit(name=f"排名单位{i:05d}", short_name=f"单位{i:05d}", kind=k, peer_group=k, sort_order=i)
            for i, k in enumerate(kinds, start=1)
        ],
        batch_size=5000,
    )
    return [u.pk for u in created]


def _letters(cur: Any, office_id: int, prefix_id: int, clerk_id: int, assignments: int, now: dt.datetime) -> list[int]:
    n = -(-assignments // (ITEMS_PER_LETTER * UNITS_PER_ITEM))
    at = stamp(now - dt.timedelta(days=60))
    rows = [
        (
            LetterKind.SUPERVISION,
            office_id,
            prefix_id,
            2024,
            i,
            f"排名办督〔2024〕{i}号",
            f"基准督办函{i}",
            "",
            "",
            "",
            "issued",
            clerk_id,
            at,
            at,
            at,
        )
        for i in range(1, n + 1)
    ]
    cols = [
        "kind",
        "office_id",
        "prefix_id",
        "year",
        "serial",
        "number",
        "title",
        "title_lines",
        "body",
        "sign_comment",
        "state",
        "drafter_id",
        "created_at",
        "updated_at",
        "issued_at",
    ]
    return [pk for (pk,) in insert_rows(cur, Letter, cols, rows, returning="id")]


def _items(cur: Any, letter_ids: list[int], assignments: int, now: dt.datetime) -> list[int]:
    n = -(-assignments // UNITS_PER_ITEM)
    day = timezone.localdate(now)
    rows = [
        (
            letter_ids[i // ITEMS_PER_LETTER],
            i % ITEMS_PER_LETTER + 1,
            "specific",
            "self_inspection",
            "",
            f"基准问题{i}：安置点配套设施不完善",
            "完善配套设施",
            day,
            "by_date",
        )
        for i in range(n)
    ]
    cols = ["letter_id", "seq", "category", "source", "site", "description", "measures", "deadline", "deadline_kind"]
    return [pk for (pk,) in insert_rows(cur, Item, cols, rows, returning="id")]


def _assignments(
    cur: Any,
    unit_ids: list[int],
    item_ids: list[int],
    letter_ids: list[int],
    liaison_id: int,
    count: int,
    opens: dt.datetime,
    cutoff: dt.datetime,
) -> list[tuple[int, int, str, dt.datetime]]:
    """(id, unit id, state, issued_at) of each assignment created."""
    rows, meta = [], []
    span = cutoff - opens
    close_day = timezone.localdate(cutoff)
    for n in range(count):
        state = _state(n)
        # Issued from 40 days before the window opened to its cut-off.
        issued = opens - dt.timedelta(days=40) + (span + dt.timedelta(days=40)) * (_mix(n, 2) / 1000)
        claimed = None if state in ("issued",) else issued + dt.timedelta(hours=_mix(n, 3) % 120)
        completed = verified = closed = None
        if state in ("awaiting_verification", "verified", "closed"):
            completed = issued + dt.timedelta(days=5 + _mix(n, 4) % 20)
        if state in ("verified", "closed"):
            verified = min(completed + dt.timedelta(days=1), cutoff)
        if state == "closed":
            closed = min(verified + dt.timedelta(days=_mix(n, 5) % 10), cutoff)
        deadline = close_day + dt.timedelta(days=_mix(n, 6) % 60 - 15)
        item = item_ids[n // UNITS_PER_ITEM]
        unit = unit_ids[n % len(unit_ids)]
        letter = letter_ids[(n // UNITS_PER_ITEM) // ITEMS_PER_LETTER]
        rows.append(
            (
                item,
                letter,
                unit,
                "lead",
                state,
                liaison_id if claimed else None,
                stamp(claimed) if claimed else None,
                "",
                deadline,
                "",
                "",
                0,
                stamp(issued),
                stamp(completed) if completed else None,
                stamp(verified) if verified else None,
                stamp(closed) if closed else None,
                stamp(cutoff),
                1,
                False,
            )
        )
        meta.append((unit, state, issued))
    cols = [
        "item_id",
        "letter_id",
        "unit_id",
        "role",
        "state",
        "claimed_by_id",
        "claimed_at",
        "responsible_person",
        "deadline",
        "return_reason",
        "last_rejection_reason",
        "rejection_count",
        "issued_at",
        "completed_at",
        "verified_at",
        "closed_at",
        "updated_at",
        "version",
        "report_missed",
    ]
    ids: list[int] = []
    for start in range(0, len(rows), 50_000):
        ids += [pk for (pk,) in insert_rows(cur, Assignment, cols, rows[start : start + 50_000], returning="id")]
    return [(pk, unit, state, issued) for pk, (unit, state, issued) in zip(ids, meta, strict=True)]


def _events(
    cur: Any,
    rows: list[tuple[int, int, str, dt.datetime]],
    liaison_id: int,
    clerk_id: int,
    opens: dt.datetime,
    cutoff: dt.datetime,
) -> dict[str, int]:
    """Progress reports, audit rows and extensions around the window."""
    span = cutoff - opens
    reports, audit, extensions = [], [], []
    for pk, _unit, state, issued in rows:
        audit.append((stamp(issued), clerk_id, "clerk", None, "assignment.issued", None, pk, "", "issued", "", "{}"))
        if state in ("issued", "return_requested", "returned", "reassigned"):
            continue
        # Up to three reports: before the window, in it (most units), and late in it.
        for k, share in enumerate((0.2, 0.65, 0.25)):
            if _mix(pk, 10 + k) < share * 1000:
                at = opens - dt.timedelta(days=7) + (span + dt.timedelta(days=7)) * (_mix(pk, 20 + k) / 1000)
                if at > issued:
                    reports.append((pk, "progress", "持续推进整改", liaison_id, stamp(at)))
        roll = _mix(pk, 30)
        at = stamp(opens + span * (_mix(pk, 31) / 1000))
        if roll < 30 and state == "in_progress":
            audit.append((at, clerk_id, "inspector", None, "assignment.rejected", None, pk, "", "", "", "{}"))
        elif roll < 45:
            audit.append((at, clerk_id, "clerk", None, "assignment.reissued", None, pk, "", "", "", "{}"))
        elif roll < 75 and state in ("accepted", "in_progress"):
            extensions.append(
                (pk, "approved", "雨季施工", timezone.localdate(cutoff), timezone.localdate(cutoff), liaison_id)
                + (stamp(issued), clerk_id, at, "")
            )
    for start in range(0, len(reports), 100_000):
        insert_rows(
            cur,
            ProgressReport,
            ["assignment_id", "kind", "text", "author_id", "created_at"],
            reports[start : start + 100_000],
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
    for start in range(0, len(audit), 100_000):
        insert_rows(cur, AuditEvent, audit_cols, audit[start : start + 100_000])
    ext_cols = [
        "assignment_id",
        "state",
        "reason",
        "old_deadline",
        "requested_deadline",
        "requested_by_id",
        "requested_at",
        "decided_by_id",
        "decided_at",
        "decision_comment",
    ]
    insert_rows(cur, ExtensionRequest, ext_cols, extensions)
    return {"reports": len(reports), "audit": len(audit), "extensions": len(extensions)}
