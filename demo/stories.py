"""What the replay works with: the odds that shape an assignment's story (how far it gets by its
letter's age, how disputes and extension requests end), the people who act in it (``Member``,
``World``), a ``Story`` and its ``Steps``, and a ``LetterRun``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from supervision.models import AssignmentState, Letter, Unit, User

from . import timing
from .plan import ItemPlan, LetterPlan

S = AssignmentState
Action = Callable[[], None]

# The main path, in order; a story aims at one of these and may fall short of it.
LADDER = (
    S.ISSUED,
    S.ACCEPTED,
    S.IN_PROGRESS,
    S.COMPLETION_REQUESTED,
    S.AWAITING_VERIFICATION,
    S.VERIFIED,
    S.CLOSED,
)
# Where assignments stand after ``age`` days (for a unit of ordinary diligence).
TARGETS_BY_AGE: tuple[tuple[float, dict[str, int]], ...] = (
    (2, {S.ISSUED: 55, S.ACCEPTED: 35, S.IN_PROGRESS: 10}),
    (7, {S.ISSUED: 18, S.ACCEPTED: 32, S.IN_PROGRESS: 44, S.COMPLETION_REQUESTED: 4, S.AWAITING_VERIFICATION: 2}),
    (
        21,
        {
            S.ISSUED: 5,
            S.ACCEPTED: 10,
            S.IN_PROGRESS: 50,
            S.COMPLETION_REQUESTED: 5,
            S.AWAITING_VERIFICATION: 13,
            S.VERIFIED: 8,
            S.CLOSED: 9,
        },
    ),
    (
        40,
        {
            S.ISSUED: 2,
            S.ACCEPTED: 4,
            S.IN_PROGRESS: 30,
            S.COMPLETION_REQUESTED: 4,
            S.AWAITING_VERIFICATION: 14,
            S.VERIFIED: 12,
            S.CLOSED: 34,
        },
    ),
    (
        10_000,
        {
            S.ISSUED: 1,
            S.ACCEPTED: 2,
            S.IN_PROGRESS: 12,
            S.COMPLETION_REQUESTED: 2,
            S.AWAITING_VERIFICATION: 8,
            S.VERIFIED: 10,
            S.CLOSED: 65,
        },
    ),
)
# Most units work to the deadline: once it has passed, this share of them (divided by the
# square of their diligence factor) has handed the work in, whatever the letter's age.
P_DEADLINE_PUSH = 0.75
DONE_BY_DEADLINE = {
    S.IN_PROGRESS: 3,
    S.COMPLETION_REQUESTED: 2,
    S.AWAITING_VERIFICATION: 6,
    S.VERIFIED: 12,
    S.CLOSED: 77,
}
# A dispute recent enough may still wait on the unit leader or on the office.
RETURN_OUTCOMES_RECENT = {"pending_leader": 25, "pending_office": 30, "refused": 15, "reassigned": 20, "reissued": 10}
RETURN_OUTCOMES_OLD = {"pending_leader": 4, "pending_office": 8, "refused": 25, "reassigned": 43, "reissued": 20}
EXTENSION_OUTCOMES = {"approved": 45, "rejected": 18, "refused": 12, "awaiting_decision": 13, "awaiting_signoff": 12}
EXTENDABLE_END = (S.ACCEPTED, S.IN_PROGRESS, S.COMPLETION_REQUESTED)

P_RETURN_LEAD = 0.06
P_RETURN_COOPERATING = 0.02
P_EXTENSION = 0.07
P_REJECTION = 0.10
P_REFUSAL = 0.06
P_EVIDENCE_PROGRESS = 0.02
P_EVIDENCE_COMPLETION = 0.06
P_CARRY_FORWARD = 0.15
REOPENS = 3
P_REOPEN = 0.03


@dataclass
class Member:
    """A responsible unit and the two demo people who act for it."""

    code: str
    unit: Unit
    liaison: User
    leader: User
    responsible: tuple[str, ...]
    diligence: float  # 1.0 ordinary; above: slower (a laggard), below: quicker


@dataclass
class World:
    office: Unit
    clerk: User
    inspector: User
    director: User
    observer: User
    members: dict[str, Member]
    by_unit_id: dict[int, Member] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_unit_id = {m.unit.pk: m for m in self.members.values()}


@dataclass
class Story:
    """One assignment's replayed life. A step that fails kills the steps after it."""

    assignment_id: int
    member: Member
    item: ItemPlan
    item_id: int
    letter: LetterPlan
    lead: bool = True  # the lead unit, or a cooperating one
    may_return: bool = True
    # Each story draws from its own generator, seeded by what it is about (not by row ids):
    # the same campaign comes out on any database, and one story's length never shifts the
    # random choices of all the stories after it.
    key: str = ""
    rng: random.Random = field(init=False)
    dead: bool = False
    extension_id: int | None = None  # the request this story's extension steps act on
    extension_settled: bool = False  # turned down as overtaken: later decisions have nothing to do

    def __post_init__(self) -> None:
        self.rng = random.Random(self.key)


@dataclass
class LetterRun:
    plan: LetterPlan
    letter: Letter | None = None
    items: dict[int, ItemPlan] = field(default_factory=dict)


class Steps:
    """Steps of one story in the order they will run, at office hours, cut at "now"."""

    def __init__(self, rng: random.Random, cut: dt.datetime):
        self.rng = rng
        self.cut = cut
        self.wanted: list[tuple[dt.datetime, int, Action, str]] = []
        self.order = itertools.count()

    def add(self, moment: dt.datetime, action: Action, tag: str = "") -> None:
        self.wanted.append((moment, next(self.order), action, tag))

    def placed(self, deadline: dt.date) -> list[tuple[dt.datetime, Action]]:
        """The steps at real moments. An extension request that would land after the deadline
        is dropped with its follow-ups (the service would refuse it, and rightly)."""
        out: list[tuple[dt.datetime, Action]] = []
        last: dt.datetime | None = None
        skip_extension = False
        for moment, _n, action, tag in sorted(self.wanted, key=lambda w: (w[0], w[1])):
            if tag.startswith("extension") and skip_extension:
                continue
            at = timing.office_hours(moment, self.rng).replace(microsecond=0)
            if last is not None and at <= last:
                at = timing.office_hours(last + dt.timedelta(minutes=self.rng.randint(3, 40)), self.rng)
            if tag == "extension_request" and timing.local(at).date() > deadline:
                skip_extension = True
                continue
            if at >= self.cut:
                break
            out.append((at, action))
            last = at
        return out
