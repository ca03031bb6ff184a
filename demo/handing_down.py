"""Handing tasks down in the replayed campaign (分解、转办), told as 离石区 would live it.

Three 离石区 tasks get a story of their own instead of the ordinary one, picked by what they are
(a common problem of a theme letter, a problem found in one of its townships) and how long ago
their letter went out, never by row ids: the same three on any database and at any hour.

- **分解, written off**: a common problem of an older theme letter. 离石区 breaks it down to
  信义镇 and 吴城镇, each for its own villages; their liaisons claim and report with evidence,
  their leaders sign, 离石区's liaison verifies and its leader writes them off; then 离石区's
  liaison submits its own completion with their reports (roll-up), its leader signs, the office's
  inspector verifies and the director writes it off.
- **分解, still open**: a common problem of a recent theme letter broken down to 枣林乡 (on time,
  its completion waiting for 离石区's verification) and 坪头乡 (past its own deadline and chased by
  离石区): 离石区's task shows yellow.
- **转办**: a problem found in one of 离石区's townships, forwarded whole to that township, which
  is working on it.

Every step is the service the pages call, by the person whose job it is, at office hours.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable

from django.utils import timezone

from supervision import services
from supervision.models import ItemCategory, LetterKind, User
from supervision.services.reminders import assignment_remind

from . import phrases, timing
from .evidence import evidence_file
from .stories import Action, LetterRun, Member, Steps, Story, World
from .units import TOWNSHIP_BY_NAME, TOWNSHIPS, UNITS_BY_CODE

CLOSED, OPEN, FORWARDED = "broken_down_closed", "broken_down_open", "forwarded"
SHOWCASES = (CLOSED, OPEN, FORWARDED)
COUNTY = "lishi"
CLOSED_TOWNS = ("xinyi", "wucheng")
OPEN_TOWNS = ("zaolin", "pingtou")  # on time, overdue
# Administrative villages of each township: a part of a common problem is its own villages.
VILLAGES = {"xinyi": 24, "wucheng": 27, "zaolin": 16, "pingtou": 19}
BUREAU = "区乡村振兴局"

# How old a letter must be (days before now) for each story to fit in what has happened.
CLOSED_AGE = (35, 62)
OPEN_AGE = (14, 34)
FORWARDED_AGE = (7, 40)
OVERDUE_PART_DAYS = 7  # the late township's own deadline, counted from the break-down


def _level(code: str) -> str:
    return "镇" if UNITS_BY_CODE[code].short_name.endswith("镇") else "乡"


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def part_measures(code: str, measures: str, deadline: dt.date) -> str:
    """A township's part of a common problem: the same measures, on its own villages."""
    return (
        f"负责全{_level(code)}{VILLAGES[code]}个行政村的整改：{measures.rstrip('。')}。"
        f"逐村建立整改台账，{_md(deadline)}前将整改情况和佐证材料报{BUREAU}汇总。"
    )


class HandDownTeller:
    """The hand-down stories, mixed into ``Replay``, which supplies the queue (``at``), the
    ordinary claim step (``_claim``) and the state below."""

    world: World
    cut: dt.datetime
    stats: Counter[str]
    hand_downs_left: list[str]
    at: Callable[..., None]
    _claim: Callable[[Story], Action]

    def _hand_down(self, story: Story, run: LetterRun, start: dt.datetime) -> bool:
        """Tell ``story`` as one of the hand-down showcases if it is the one; False otherwise."""
        kind = self._showcase(story, run, start)
        if kind is None:
            return False
        self.hand_downs_left.remove(kind)
        steps = Steps(story.rng, self.cut)
        tell = {CLOSED: self._broken_down_closed, OPEN: self._broken_down_open, FORWARDED: self._forwarded}[kind]
        tell(story, steps, start)
        for moment, action in steps.placed(story.item.deadline):
            self.at(moment, action, story)
        self.stats[kind] += 1
        return True

    def _showcase(self, story: Story, run: LetterRun, start: dt.datetime) -> str | None:
        item, plan = story.item, run.plan
        if story.member.code != COUNTY or not story.lead or plan.all_closed:
            return None
        age = timing.days(self.cut - start)
        issued = timing.local(start).date()
        today = timing.local(self.cut).date()
        common = plan.theme is not None and item.category == ItemCategory.COMMON
        # Found in a village of one of 离石区's townships that does not cooperate on it already.
        found = plan.kind == LetterKind.ASSIGNMENT and item.lead == COUNTY and _named_town(story) is not None
        wanted = (
            # Long enough before the deadline for both parts and the roll-up to be done.
            (CLOSED, common and (item.deadline - issued).days >= 22, CLOSED_AGE),
            # Its own deadline still ahead: yellow from the late township, not red from itself.
            (OPEN, common and item.deadline >= today + dt.timedelta(days=2), OPEN_AGE),
            (FORWARDED, found and item.deadline >= today + dt.timedelta(days=3), FORWARDED_AGE),
        )
        for kind, fits, (youngest, oldest) in wanted:
            if fits and kind in self.hand_downs_left and youngest <= age <= oldest:
                return kind
        return None

    # --- the stories ----------------------------------------------------------------------------

    def _broken_down_closed(self, story: Story, steps: Steps, start: dt.datetime) -> None:
        rng, county, w = story.rng, story.member, self.world
        towns = [w.members[code] for code in CLOSED_TOWNS]
        issued = timing.local(start).date()
        part_deadline = min(story.item.deadline - dt.timedelta(days=6), issued + dt.timedelta(days=16))
        subs: dict[str, int] = {}
        at = timing.after(start, rng, 0.1, 0.8)
        steps.add(at, self._claim(story))
        at = timing.after(at, rng, 0.5, 1.5)
        steps.add(at, self._break_down(story, towns, {t.code: part_deadline for t in towns}, subs))
        steps.add(timing.after(at, rng, 0.05, 0.3), self._county_report(story, towns, first=True))
        broken, due = at, _end_of(part_deadline)
        closes = []
        for town in towns:
            t = timing.after(at, rng, 0.2, 1.2)
            steps.add(t, self._sub_claim(town, subs, rng))
            t = timing.after(t, rng, 2, 4)
            steps.add(t, self._sub_report(town, subs, story, with_file=True))
            t = max(due - dt.timedelta(days=rng.uniform(2.5, 4)), timing.after(t, rng, 1, 2))
            steps.add(t, self._sub_complete(town, subs, story))
            t = timing.after(t, rng, 0.2, 1)
            steps.add(
                t, self._sub_act(services.assignment_approve_completion, town, subs, town.leader, "同意，报区里核验。")
            )
            t = timing.after(t, rng, 0.5, 1.5)
            checked = f"经{BUREAU}实地抽查{rng.randint(3, 6)}个村，整改到位。"
            steps.add(t, self._sub_act(services.assignment_verify, town, subs, county.liaison, checked))
            t = timing.after(t, rng, 0.2, 1)
            steps.add(t, self._sub_act(services.assignment_close, town, subs, county.leader, "同意销号。"))
            closes.append(t)
        at = timing.after(max(closes), rng, 0.5, 1.5)
        self._county_reports(story, steps, since=broken, towns=towns, until=at)
        steps.add(at, self._roll_up(story, towns))
        at = timing.after(at, rng, 0.2, 1)
        steps.add(
            at, self._act_on(story, services.assignment_approve_completion, county.leader, "同意，报市巩固衔接办核验。")
        )
        at = timing.after(at, rng, 1, 2.5)
        steps.add(
            at, self._act_on(story, services.assignment_verify, w.inspector, "经抽查两镇整改台账和现场，整改到位。")
        )
        at = timing.after(at, rng, 0.5, 1.5)
        steps.add(at, self._act_on(story, services.assignment_close, w.director, "同意销号。"))

    def _broken_down_open(self, story: Story, steps: Steps, start: dt.datetime) -> None:
        rng, county = story.rng, story.member
        prompt, late = (self.world.members[code] for code in OPEN_TOWNS)
        subs: dict[str, int] = {}
        at = timing.after(start, rng, 0.1, 0.8)
        steps.add(at, self._claim(story))
        at = timing.after(at, rng, 0.5, 1.5)
        late_deadline = timing.local(at).date() + dt.timedelta(days=OVERDUE_PART_DAYS)
        deadlines = {prompt.code: story.item.deadline, late.code: late_deadline}
        steps.add(at, self._break_down(story, [prompt, late], deadlines, subs))
        steps.add(timing.after(at, rng, 0.05, 0.3), self._county_report(story, [prompt, late], first=True))
        # 枣林乡 on time: reported, its completion signed and waiting for 离石区's verification.
        t = timing.after(at, rng, 0.2, 1)
        steps.add(t, self._sub_claim(prompt, subs, rng))
        t = timing.after(t, rng, 1.5, 3)
        steps.add(t, self._sub_report(prompt, subs, story, with_file=True))
        t = max(self.cut - dt.timedelta(days=rng.uniform(2.5, 4)), timing.after(t, rng, 1, 2))
        steps.add(t, self._sub_complete(prompt, subs, story))
        steps.add(
            timing.after(t, rng, 0.2, 0.8),
            self._sub_act(services.assignment_approve_completion, prompt, subs, prompt.leader, "同意。"),
        )
        # 坪头乡 late: claimed slowly, one report before its deadline, chased after it, still at it.
        t = timing.after(at, rng, 2, 3)
        steps.add(t, self._sub_claim(late, subs, rng))
        t = _end_of(late_deadline) - dt.timedelta(days=rng.uniform(1.2, 2))
        steps.add(t, self._sub_report(late, subs, story, text=self._late_text(late, rng)))
        t = _end_of(late_deadline) + dt.timedelta(days=rng.uniform(0.7, 1.5))
        chase = f"{late.unit.short_name}分解任务已超期，请加快整改进度，尽快报送完成情况。"
        steps.add(t, self._sub_remind(late, subs, county.liaison, chase))
        self._county_reports(story, steps, at, [prompt, late])

    def _forwarded(self, story: Story, steps: Steps, start: dt.datetime) -> None:
        rng = story.rng
        town = self.world.members[_named_town(story) or TOWNSHIPS[0].code]
        subs: dict[str, int] = {}
        at = timing.after(start, rng, 0.1, 0.8)
        steps.add(at, self._claim(story))
        at = timing.after(at, rng, 0.3, 1.2)
        steps.add(at, self._forward(story, town, subs))
        steps.add(timing.after(at, rng, 0.05, 0.3), self._county_report(story, [town], first=True, forwarded=True))
        t = timing.after(at, rng, 0.2, 1.2)
        steps.add(t, self._sub_claim(town, subs, rng))
        t = timing.after(t, rng, 2, 4)
        steps.add(t, self._sub_report(town, subs, story, text=self._forwarded_text(story, town, 0), with_file=True))
        n = 1
        while (t := timing.after(t, rng, 11, 15)) < self.cut:
            steps.add(t, self._sub_report(town, subs, story, text=self._forwarded_text(story, town, n)))
            n += 1
        self._county_reports(story, steps, at, [town], forwarded=True)

    def _county_reports(
        self,
        story: Story,
        steps: Steps,
        since: dt.datetime,
        towns: list[Member],
        *,
        forwarded: bool = False,
        until: dt.datetime | None = None,
    ) -> None:
        """The county keeps reporting on its own task once a cycle while the townships work (up to
        its own completion report, after which there is nothing left to report)."""
        at, end = since, min(until or self.cut, self.cut)
        while (at := timing.after(at, story.rng, 11, 15)) < end - dt.timedelta(hours=12):
            steps.add(at, self._county_report(story, towns, forwarded=forwarded))

    # --- steps ------------------------------------------------------------------------------------

    def _break_down(
        self, story: Story, towns: list[Member], deadlines: dict[str, dt.date], subs: dict[str, int]
    ) -> Action:
        parts = [
            services.SubTaskPart(
                unit_id=t.unit.pk,
                deadline=deadlines[t.code],
                measures=part_measures(t.code, story.item.measures, deadlines[t.code]),
            )
            for t in towns
        ]
        names = "、".join(t.unit.short_name for t in towns)
        comment = f"按属地分解至{names}，各乡镇对本辖区行政村逐村整改，{BUREAU}统筹调度并复核。"

        def step() -> None:
            made = services.assignment_break_down(
                actor=story.member.liaison, assignment=story.assignment_id, parts=parts, comment=comment
            )
            by_unit = {a.unit_id: a.pk for a in made}
            subs.update({t.code: by_unit[t.unit.pk] for t in towns})

        return step

    def _forward(self, story: Story, town: Member, subs: dict[str, int]) -> Action:
        comment = f"该问题发生在{town.unit.short_name}辖区，转办{town.unit.short_name}牵头整改，{BUREAU}跟踪督导。"

        def step() -> None:
            made = services.assignment_forward(
                actor=story.member.liaison, assignment=story.assignment_id, unit_id=town.unit.pk, comment=comment
            )
            subs[town.code] = made.pk

        return step

    def _roll_up(self, story: Story, towns: list[Member]) -> Action:
        names = "、".join(t.unit.short_name for t in towns)
        text = f"{names}已按分解任务完成整改，经{BUREAU}逐一核验销号，全区整改到位，现申请核验销号。"

        def step() -> None:
            services.assignment_roll_up(actor=story.member.liaison, assignment=story.assignment_id, text=text)

        return step

    def _act_on(self, story: Story, service: Callable[..., object], actor: User, comment: str) -> Action:
        def step() -> None:
            service(actor=actor, assignment=story.assignment_id, comment=comment)

        return step

    def _county_report(
        self, story: Story, towns: list[Member], *, first: bool = False, forwarded: bool = False
    ) -> Action:
        names = "、".join(t.unit.short_name for t in towns)
        if forwarded:
            text = (
                f"已转办{names}牵头整改，明确整改措施和时限。"
                if first
                else f"{names}正在推进整改，{BUREAU}已赴现场督导。"
            )
        elif first:
            text = f"已将该问题按属地分解至{names}，明确各乡镇整改措施和完成时限，{BUREAU}每周调度。"
        else:
            text = f"{names}正在逐村推进整改，{BUREAU}已开展一轮抽查，对进度滞后的乡镇进行了督促。"

        def step() -> None:
            services.assignment_report_progress(
                actor=story.member.liaison, assignment=story.assignment_id, text=text, files=[]
            )

        return step

    def _sub_claim(self, town: Member, subs: dict[str, int], rng: random.Random) -> Action:
        person = rng.choice(town.responsible)

        def step() -> None:
            services.assignment_claim(actor=town.liaison, assignment=subs[town.code], responsible_person=person)

        return step

    def _sub_report(
        self, town: Member, subs: dict[str, int], story: Story, *, text: str = "", with_file: bool = False
    ) -> Action:
        rng = story.rng
        if not text:
            done = rng.randint(4, VILLAGES.get(town.code, 12) - 2)
            text = (
                f"已召开{_level(town.code)}村两级干部会议安排部署，已完成{done}个行政村的入户摸排，"
                f"发现问题{rng.randint(6, 30)}户，已整改{rng.randint(3, 6)}户，其余正在逐户整改。"
            )

        def step() -> None:
            pk = subs[town.code]
            files = [evidence_file(rng, f"S{pk}-{timezone.now():%Y%m%d%H%M}", text)] if with_file else []
            services.assignment_report_progress(actor=town.liaison, assignment=pk, text=text, files=files)
            self.stats["evidence"] += len(files)

        return step

    def _sub_complete(self, town: Member, subs: dict[str, int], story: Story) -> Action:
        rng = story.rng
        level = _level(town.code)
        text = (
            f"经逐村核查，全{level}{VILLAGES[town.code]}个行政村已按要求完成整改，排查发现的"
            f"{rng.randint(12, 40)}户问题已逐户整改销号，整改台账和现场照片附后。"
            + rng.choice(phrases.COMPLETION_CLOSINGS)
        )

        def step() -> None:
            pk = subs[town.code]
            files = [evidence_file(rng, f"S{pk}-{timezone.now():%Y%m%d%H%M}", text)]
            services.assignment_submit_completion(actor=town.liaison, assignment=pk, text=text, files=files)
            self.stats["evidence"] += 1

        return step

    def _sub_act(
        self, service: Callable[..., object], town: Member, subs: dict[str, int], actor: User, comment: str
    ) -> Action:
        def step() -> None:
            service(actor=actor, assignment=subs[town.code], comment=comment)

        return step

    def _sub_remind(self, town: Member, subs: dict[str, int], actor: User, text: str) -> Action:
        def step() -> None:
            assignment_remind(actor=actor, assignment=subs[town.code], text=text)

        return step

    @staticmethod
    def _late_text(town: Member, rng: random.Random) -> str:
        done = rng.randint(6, VILLAGES[town.code] - 4)
        return f"受连续降雨影响，入户摸排进度滞后，目前已完成{done}个行政村的摸排，正在组织整改。"

    @staticmethod
    def _forwarded_text(story: Story, town: Member, n: int) -> str:
        """The ``n``-th report of the forwarded task (from 0): the work moves on report by report."""
        done = min(90, 30 + 25 * n + story.rng.choice((0, 5, 10)))
        first = story.item.measures.split("，")[0].split("；")[0]
        return (
            f"已制定{_level(town.code)}级整改方案，明确包村领导和责任人，{story.item.site}“{first}”工作"
            f"已完成约{done}%，正在加紧推进。"
        )


def _named_town(story: Story) -> str | None:
    """The township of 离石区 the problem was found in, if it holds no cooperating task on it."""
    for name, code in TOWNSHIP_BY_NAME.items():
        if name in story.item.site and code not in story.item.cooperating:
            return code
    return None


def _end_of(day: dt.date) -> dt.datetime:
    """The end of a deadline's day, at office closing (local time)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(17, 30)))
