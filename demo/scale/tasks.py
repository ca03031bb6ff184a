"""The work of the province-scale data set: letters issued one after the other over the campaign
until the wanted number of assignments is reached, each unit's task living its life
(``timeline``), and units with units below them handing tasks down (分解 to several, 转办 to one):
a city office to its counties, a county to its townships. Sub-tasks carry the same item and letter
as their parent, a deadline no later than its own, and one ``AssignmentAncestor`` row per unit
above them; a parent that reported completion had every sub-task written off first.

Rows are buffered per table and flushed in chunks (``sink``), so memory stays bounded whatever the
size asked for.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from supervision import cycle_calendar

from .letters import LetterRow, Letters
from .rows import Rows, Task
from .timeline import Actor, Life, Planner, Side
from .tree import Node, Office, Tree

# One letter in this many is the province's (to every city office); the others a city's.
PROVINCE_EVERY = 25
# Odds that a unit with units below it hands a claimed task down.
CITY_BREAK_DOWN = 0.8
COUNTY_BREAK_DOWN, COUNTY_FORWARD = 0.42, 0.08
SUB_COUNTY_BREAK_DOWN = 0.35
FLUSH_ROWS = 150_000
BREAK_DOWN, FORWARD = "assignment.broken_down", "assignment.forwarded"


@dataclass
class Progress:
    letters: int = 0
    top_level: int = 0
    sub_tasks: int = 0


class Work:
    def __init__(
        self,
        tree: Tree,
        letters: Letters,
        rows: Rows,
        planner: Planner,
        *,
        target: int,
        start: dt.datetime,
        end: dt.datetime,
        rng: random.Random,
        flush: Callable[[], None],
    ):
        self.tree, self.letters, self.rows, self.planner = tree, letters, rows, planner
        self.target, self.start, self.end, self.rng, self.flush = target, start, end, rng, flush
        self.next_id = 0  # set by the caller
        self.progress = Progress()
        self.sample_parent: int | None = None
        # The big county's next task after the sample, kept claimed, open and whole: the one the
        # break-down benchmark hands down, there whatever the size and whatever day the data is made.
        self.sample_whole: int | None = None
        self.seq_at = planner.calendar.seq_at
        self.levels = int(settings.HIERARCHY_LEVELS)

    # --- letters ----------------------------------------------------------------------------------
    def run(self, *, first_id: int, pending: Callable[[], int], log: Callable[[str], None]) -> None:
        self.next_id = first_id
        n = 0
        city = 0
        reported = 0
        while self.rows.count < self.target:
            fraction = self.rows.count / self.target
            issued_at = self.start + (self.end - self.start) * fraction + dt.timedelta(minutes=self.rng.randint(0, 600))
            if n % PROVINCE_EVERY == 0:
                self._province_letter(issued_at)
            else:
                self._city_letter(self.tree.cities[city % len(self.tree.cities)], issued_at)
                city += 1
            n += 1
            if pending() >= FLUSH_ROWS:
                self.flush()
            if self.rows.count - reported >= self.target // 10:
                reported = self.rows.count
                log(_("  %(n)s assignments…") % {"n": f"{self.rows.count:,}"})
        self.progress.letters = n

    def _province_letter(self, issued_at: dt.datetime) -> None:
        province = self.tree.province
        cities = [c.unit for c in self.tree.cities]
        letter = self.letters.issue(province, "supervision", cities, self.rng.randint(6, 16), issued_at)
        by_unit = {c.unit.id: c for c in self.tree.cities}
        for item_id, deadline, measures in letter.items:
            for unit in cities:
                city = by_unit[unit.id]
                side = self._office_side(province, unit)
                self._top_level(letter, item_id, deadline, measures, unit, side, below=city.counties, city=True)

    def _city_letter(self, office: Office, issued_at: dt.datetime) -> None:
        rng = self.rng
        roll = rng.random()
        others = office.departments + office.teams
        # The first city's first letter goes to its counties: the sample task broken down to 50
        # townships is there, however small the data set.
        sample = self.sample_parent is None and office is self.tree.cities[0]
        due_by = None
        if roll < 0.5 or not others or sample:
            kind, units = "supervision", list(office.counties)
        elif roll < 0.8:
            kind, units = "assignment", rng.sample(others, min(len(others), rng.randint(3, 10)))
        else:
            kind, units = "supervision", office.counties + rng.sample(others, min(len(others), rng.randint(2, 6)))
        if sample:
            # Issued on the campaign's second day with long-term items, due well after now: the
            # random draws before it are the same whatever the size, so the task broken down to 50
            # townships and its sub-tasks come out the same on a small data set and a large one.
            issued_at = self.start + dt.timedelta(days=1)
            due_by = cycle_calendar.local_date(self.planner.now) + dt.timedelta(days=60)
        letter = self.letters.issue(office, kind, units, rng.randint(8, 30), issued_at, due_by=due_by)
        for item_id, deadline, measures in letter.items:
            for unit in units:
                below = [self.tree.nodes[t] for t in unit.children]
                self._top_level(letter, item_id, deadline, measures, unit, self._office_side(office, unit), below=below)

    # --- one task and what it hands down ----------------------------------------------------------------
    def _office_side(self, office: Office, unit: Node) -> Side:
        s, oid = office.staff, office.unit.id
        return Side(
            liaison=Actor(unit.liaison_id, "liaison", unit.id),
            leader=Actor(unit.leader_id, "leader", unit.id),
            issuer=Actor(s["clerk"], "clerk", oid),
            verifier=Actor(s["inspector"], "inspector", oid),
            closer=Actor(s["director"], "director", oid),
        )

    @staticmethod
    def _unit_side(parent: Node, unit: Node) -> Side:
        # The unit that handed it down acts as the office: its liaison issues and verifies, its leader writes off.
        return Side(
            liaison=Actor(unit.liaison_id, "liaison", unit.id),
            leader=Actor(unit.leader_id, "leader", unit.id),
            issuer=Actor(parent.liaison_id, "liaison", parent.id),
            verifier=Actor(parent.liaison_id, "liaison", parent.id),
            closer=Actor(parent.leader_id, "leader", parent.id),
        )

    def _new_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def _top_level(
        self,
        letter: LetterRow,
        item_id: int,
        deadline: dt.date,
        measures: str,
        unit: Node,
        side: Side,
        *,
        below: list[Node],
        city: bool = False,
    ) -> None:
        rng = self.rng
        sample = self.sample_parent is None and len(below) >= 50
        whole = not sample and self.sample_whole is None and self.sample_parent is not None and len(below) >= 50
        plan = None
        if self.levels < 3 or whole:
            pass  # two levels only, or the whole sample: nothing is handed down
        elif sample:
            plan = (BREAK_DOWN, below[:50])
        elif below:
            roll = rng.random()
            if roll < (CITY_BREAK_DOWN if city else COUNTY_BREAK_DOWN):
                plan = (BREAK_DOWN, rng.sample(below, min(len(below), rng.randint(2, 8 if city else 6))))
            elif not city and roll < COUNTY_BREAK_DOWN + COUNTY_FORWARD:
                plan = (FORWARD, [rng.choice(below)])
        task = Task(id=self._new_id(), item_id=item_id, letter_id=letter.id, unit_id=unit.id, deadline=deadline)
        life = self.planner.live(
            side, letter.issued_at, unit.id, hand_down=self._ids(plan), stay_open=whole or (sample and plan is not None)
        )
        if sample and life.handed_down_at is not None:
            self.sample_parent = task.id
        if whole:
            self.sample_whole = task.id
        self._finish(task, life, unit, plan, measures, depth=0, grand=None)
        self.progress.top_level += 1

    @staticmethod
    def _ids(plan: tuple[str, list[Node]] | None) -> tuple[str, list[int]] | None:
        return None if plan is None else (plan[0], [n.id for n in plan[1]])

    def _finish(
        self,
        task: Task,
        life: Life,
        unit: Node,
        plan: tuple[str, list[Node]] | None,
        measures: str,
        *,
        depth: int,
        grand: Node | None,
    ) -> None:
        """Write the sub-tasks of ``life`` (if it handed down), then the task itself."""
        late_below = False
        handed_down = plan is not None and life.handed_down_at is not None and bool(plan[1])
        if handed_down:
            action, units = plan
            late_below = self._sub_tasks(task, life, unit, action, units, measures, depth=depth, grand=grand)
        self.rows.write(
            task,
            life,
            liaison=unit.liaison_id,
            leader=unit.leader_id,
            seq_at=self.seq_at,
            sub_task_overdue=late_below,
            # As the hand-down service sets it: the completion checks then count its sub-tasks.
            has_sub_tasks=handed_down,
        )

    def _sub_tasks(
        self,
        parent: Task,
        life: Life,
        unit: Node,
        action: str,
        units: list[Node],
        measures: str,
        *,
        depth: int,
        grand: Node | None,
    ) -> bool:
        """The sub-tasks of one hand-down; True when one of them is open past its deadline."""
        rng = self.rng
        at = life.handed_down_at
        day = cycle_calendar.local_date(at)
        finish_by = (
            life.first_submit if life.first_submit is not None and life.first_submit <= self.planner.now else None
        )
        how = "breakdown" if action == BREAK_DOWN else "forward"
        ancestors = ((unit.id, 1),) + (((grand.id, 2),) if grand is not None else ())
        late = False
        for child in units:
            deadline = max(
                min(parent.deadline, day + dt.timedelta(days=rng.randint(10, 60))), min(parent.deadline, day)
            )
            part = f"{child_name(child)}：{measures}" if how == "breakdown" else ""
            task = Task(
                id=self._new_id(),
                item_id=parent.item_id,
                letter_id=parent.letter_id,
                unit_id=child.id,
                deadline=deadline,
                parent_id=parent.id,
                depth=depth + 1,
                handed_down_as=how,
                measures=part,
                ancestors=ancestors,
            )
            below = [self.tree.nodes[t] for t in child.children]
            plan = None
            # A sub-task may be handed down again while the levels allow (design: depth + 3 <= levels).
            if below and depth + 1 + 3 <= self.levels and rng.random() < SUB_COUNTY_BREAK_DOWN:
                plan = (BREAK_DOWN, rng.sample(below, min(len(below), rng.randint(2, 4))))
            sub = self.planner.live(
                self._unit_side(unit, child),
                at,
                child.id,
                sub_task=True,
                finish_by=finish_by,
                hand_down=self._ids(plan),
            )
            self._finish(task, sub, child, plan, measures, depth=depth + 1, grand=unit)
            late = late or self.rows.is_overdue(sub, deadline)
            self.progress.sub_tasks += 1
        return late


def child_name(node: Node) -> str:
    return node.short or node.code
