"""The campaign on paper: which letters, when, to whom, carrying which items.

Modelled on seed 004 (吕梁): 19 supervision letters (重点工作督办函) and 21 assignment letters
(问题交办函, numbered by period 第N期) over about ten weeks, ~950 problems in all. Nothing here
touches the database; ``history`` replays the plan through the services.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from supervision.models import DeadlineKind, ItemCategory, ItemSource, LetterKind

from . import timing
from .phrases import fill
from .theme import Theme
from .themes import KICKOFF_ITEMS, THEMES
from .units import COUNTIES, OFFICE_SHORT, TOWNSHIP_BY_NAME, VILLAGE_STEMS, WORK_TEAMS, UnitSpec

CAMPAIGN_DAYS = 70
TOTAL_ITEMS = 950
SUPERVISION_LETTERS = 19
ASSIGNMENT_LETTERS = 21
# The oldest letters whose every assignment is written off by now (a letter closes with its last).
CLOSED_SUPERVISION_LETTERS = 2
CLOSED_ASSIGNMENT_LETTERS = 1

# Where problems turn up most: relocation sites, monitoring, industry, jobs, village works.
THEME_WEIGHTS: dict[str, int] = {
    "banqian": 14,
    "jiance": 12,
    "chanye": 9,
    "jiuye": 9,
    "jianshe": 9,
    "yinshui": 6,
    "zhufang": 6,
    "zijin": 6,
    "yiliao": 5,
    "jiaoyu": 4,
    "doudi": 4,
    "zhucun": 4,
    "xindai": 3,
    "guangfu": 3,
    "zhili": 3,
    "xiangfeng": 2,
    "xiaofei": 2,
    "xiezuo": 2,
}

# Each assignment letter gathers what one way of looking found (seed 004: 暗访抽查, 专班排查,
# 县级自查, 行业部门督导).
FINDINGS: tuple[tuple[str, str], ...] = (
    ("市巩固衔接办组织开展暗访抽查", ItemSource.UNANNOUNCED_VISIT),
    ("各工作专班开展自上而下系统排查", ItemSource.SUPERVISION),
    ("各县（市、区）举一反三开展全面自查", ItemSource.SELF_INSPECTION),
    ("飞行检查队随机巡回检查", ItemSource.UNANNOUNCED_VISIT),
    ("行业部门开展督导检查", ItemSource.SUPERVISION),
)


@dataclass
class ItemPlan:
    theme: str
    category: str
    source: str
    description: str
    measures: str
    deadline: dt.date
    deadline_kind: str
    site: str = ""
    lead: str | None = None  # unit code; None: every addressed unit leads (a common problem)
    cooperating: tuple[str, ...] = ()

    @property
    def units(self) -> tuple[str, ...]:
        return ((self.lead,) if self.lead else ()) + self.cooperating


@dataclass
class LetterPlan:
    kind: str
    title: str
    body: str
    reply_deadline: dt.date
    addressees: tuple[str, ...]
    cc: tuple[str, ...]
    draft_at: dt.datetime
    sign_at: dt.datetime | None  # None: still a draft
    issue_at: dt.datetime | None  # None: not issued yet
    theme: str | None = None
    items: list[ItemPlan] = field(default_factory=list)
    all_closed: bool = False


@dataclass
class Campaign:
    start: dt.date
    now: dt.datetime
    letters: list[LetterPlan]

    @property
    def item_count(self) -> int:
        return sum(len(letter.items) for letter in self.letters)


class Planner:
    """Draws the campaign from a seeded generator: same seed, same campaign."""

    def __init__(self, rng: random.Random, now: dt.datetime, scale: float = 1.0):
        self.rng = rng
        self.now = now
        self.scale = scale
        self.start = timing.local(now).date() - dt.timedelta(days=CAMPAIGN_DAYS)
        self.seen: set[str] = set()
        self.themes = list(THEMES)
        self.counties = [c.code for c in COUNTIES]
        self.teams = [t.code for t in WORK_TEAMS]

    # --- the whole campaign -------------------------------------------------------------------
    def campaign(self) -> Campaign:
        n_sup = max(2, round(SUPERVISION_LETTERS * self.scale))
        n_asg = max(2, round(ASSIGNMENT_LETTERS * self.scale))
        letters = self._supervision_letters(n_sup)
        pending = self._pending_letters(n_asg)
        budget = round(TOTAL_ITEMS * self.scale) - sum(len(x.items) for x in letters + pending)
        letters += self._assignment_letters(n_asg, budget)
        letters.sort(key=lambda x: x.issue_at or self.now)
        for letter in letters + pending:
            _keep_order(letter, self.rng)
        return Campaign(start=self.start, now=self.now, letters=letters + pending)

    def _issue_moments(self, count: int, first: float, last: float) -> list[dt.datetime]:
        """``count`` moments on distinct working days, spread from day ``first`` to day ``last``
        of the campaign, in order (numbers and periods follow the order of issue)."""
        step = (last - first) / max(1, count - 1)
        latest = self.now - dt.timedelta(hours=3)
        moments: list[dt.datetime] = []
        for i in range(count):
            offset = max(0.0, first + i * step + self.rng.uniform(-0.8, 0.8))
            moment = timing.at_day(self.start, offset, self.rng)
            # A weekend pushes a letter to Monday: take the next free working day instead.
            while moments and timing.local(moment).date() <= timing.local(moments[-1]).date() and moment < latest:
                offset += 1
                moment = timing.at_day(self.start, offset, self.rng)
            while moment > latest:  # pushed past today: take an earlier working day
                offset -= 1
                moment = timing.at_day(self.start, offset, self.rng)
            moments.append(moment)
        return sorted(moments)

    def _recent(self, low: float, high: float) -> dt.datetime:
        """A working-hours moment ``low``–``high`` days ago (the last working day if need be)."""
        return timing.office_hours_before(self.now, self.rng, low, high)

    def _before(self, moment: dt.datetime, low: float, high: float) -> dt.datetime:
        """A working-hours moment ``low``–``high`` days before ``moment`` (drafting, signing)."""
        return timing.office_hours_before(moment, self.rng, low, high)

    # --- 督办函 ---------------------------------------------------------------------------------
    def _supervision_letters(self, count: int) -> list[LetterPlan]:
        moments = self._issue_moments(count, 1, 64)
        themes = self.rng.sample(self.themes, k=len(self.themes))
        letters = [self._kickoff(moments[0])]
        for i, moment in enumerate(moments[1:]):
            letters.append(self._theme_letter(themes[i % len(themes)], moment))
        for letter in letters[:CLOSED_SUPERVISION_LETTERS]:
            letter.all_closed = True
        return letters

    def _kickoff(self, issue_at: dt.datetime) -> LetterPlan:
        """The first letter: every county and work team sets up its plan and ledger."""
        day = timing.local(issue_at).date()
        deadline = timing.tidy_deadline(day + dt.timedelta(days=10))
        items = [
            ItemPlan(
                theme="kickoff",
                category=ItemCategory.COMMON,
                source=ItemSource.PROVINCIAL,
                description=desc,
                measures=measures,
                deadline=deadline,
                deadline_kind=DeadlineKind.BY_DATE,
            )
            for desc, measures in KICKOFF_ITEMS
        ]
        body = (
            "各县（市、区）人民政府，市巩固衔接领导小组各工作专班：\n"
            "　　为贯彻落实全市巩固拓展脱贫攻坚成果同乡村振兴有效衔接问题整改动员部署会精神，推动国家、省考核评估"
            "反馈问题整改落到实处，现就整改方案制定和整改台账建立工作督办如下，请于"
            f"{_cn_date(deadline)}前完成，并将整改方案和台账报{OFFICE_SHORT}。\n"
            "　　各单位要落实“双周调度、双周通报、双周排队”要求，明确一名联络员负责整改进展报送。"
        )
        return LetterPlan(
            kind=LetterKind.SUPERVISION,
            title="关于抓紧制定问题整改方案和建立整改台账的督办函",
            body=body,
            reply_deadline=deadline,
            addressees=tuple(self.counties + self.teams),
            cc=(),
            draft_at=self._before(issue_at, 1, 2),
            sign_at=self._before(issue_at, 0.1, 0.8),
            issue_at=issue_at,
            theme="kickoff",
            items=items,
        )

    def _theme_letter(self, theme: Theme, issue_at: dt.datetime, *, pending: bool = False) -> LetterPlan:
        """A supervision letter on one line of work: its common problems go to every county
        (no unit named, so each county gets its own assignment), plus a few problems the
        supervisors found in named counties."""
        day = timing.local(issue_at).date()
        reply = timing.tidy_deadline(day + dt.timedelta(days=self.rng.randint(10, 15)))
        items = [self._common_item(theme, desc, measures, day) for desc, measures in theme.common]
        for county in self.rng.sample(self.counties, k=self.rng.randint(2, 4)):
            items.append(self._county_item(theme, county, day, ItemSource.SUPERVISION, cooperate=False))
        body = (
            "各县（市、区）人民政府：\n"
            f"　　近期，{OFFICE_SHORT}对全市{theme.name}问题整改情况进行了双周调度，发现部分县（市、区）整改进度滞后、"
            "措施落实不到位。现将有关问题督办如下，请高度重视，逐项对照整改，于"
            f"{_cn_date(reply)}前将整改进展报{OFFICE_SHORT}；整改完成后按程序申请核验销号。\n"
            "　　对整改不力、进度滞后的，将在双周通报中予以通报；连续排名靠后的，将提请约谈。"
        )
        return LetterPlan(
            kind=LetterKind.SUPERVISION,
            title=f"关于加快推进{theme.name}问题整改的督办函",
            body=body,
            reply_deadline=reply,
            addressees=tuple(self.counties),
            cc=(theme.team, *theme.departments),
            draft_at=self._before(issue_at, 1, 3),
            sign_at=None if pending else self._before(issue_at, 0.1, 0.9),
            issue_at=None if pending else issue_at,
            theme=theme.key,
            items=items,
        )

    # --- 交办函 ---------------------------------------------------------------------------------
    def _assignment_letters(self, count: int, budget: int) -> list[LetterPlan]:
        moments = self._issue_moments(count, 3, 67.5)
        sizes = _split(budget, [self.rng.uniform(0.6, 1.4) for _ in range(count)])
        pairs = zip(moments, sizes, strict=True)
        letters = [self._period_letter(period, moment, size) for period, (moment, size) in enumerate(pairs, start=1)]
        for letter in letters[:CLOSED_ASSIGNMENT_LETTERS]:
            letter.all_closed = True
        return letters

    def _period_letter(
        self, period: int, issue_at: dt.datetime, size: int, *, signed_only: bool = False, draft: bool = False
    ) -> LetterPlan:
        """问题交办函（第N期）: specific problems, each with a lead unit and 0–2 cooperating."""
        day = timing.local(issue_at).date()
        finding, source = FINDINGS[(period - 1) % len(FINDINGS)]
        items = [self._specific_item(day, source) for _ in range(size)]
        addressees = tuple(dict.fromkeys(code for item in items for code in item.units))
        reply = timing.tidy_deadline(day + dt.timedelta(days=self.rng.randint(10, 15)))
        since = day - dt.timedelta(days=self.rng.randint(4, 9))
        body = (
            "各有关单位：\n"
            f"　　{since.month}月{since.day}日以来，{finding}，共发现问题{size}条，现予交办。请各责任单位认真核实，"
            "建立整改台账，明确责任人和整改时限；牵头单位负责组织整改，配合单位主动做好配合。\n"
            "　　对交办问题有异议的，请于收到本函3个工作日内说明理由，经单位负责人审签后申请退回。整改进展实行"
            f"双周调度，请于每个调度周期截止前报送，{_cn_date(reply)}前报送首次整改进展。"
        )
        return LetterPlan(
            kind=LetterKind.ASSIGNMENT,
            title=f"关于交办巩固衔接第{period}期排查发现问题的函",
            body=body,
            reply_deadline=reply,
            addressees=addressees,
            cc=(),
            draft_at=self._before(issue_at, 1, 2.5) if not draft else issue_at,
            sign_at=None if draft else self._before(issue_at, 0.1, 0.9),
            issue_at=None if (draft or signed_only) else issue_at,
            items=items,
        )

    # --- letters still in the office's hands ---------------------------------------------------
    def _pending_letters(self, n_asg: int) -> list[LetterPlan]:
        """Two drafts and one signed letter not yet issued, for the clerk's and director's queues."""
        today = timing.local(self.now).date()
        signed = self._period_letter(n_asg + 1, self._recent(1, 1.5), 12, signed_only=True)
        signed.draft_at = self._recent(2.5, 3.5)
        signed.sign_at = self._recent(0.2, 0.9)
        theme = next(t for t in self.themes if t.key == "zhufang")
        flood = self._theme_letter(theme, self._recent(0.3, 0.6), pending=True)
        flood.title = "关于做好汛期农村住房和饮水安全隐患排查整改的督办函"
        nxt = self._period_letter(n_asg + 2, self._recent(0.05, 0.2), 10, draft=True)
        for letter in (signed, flood, nxt):
            # Deadlines counted from today, not from the moment the draft was started.
            for item in letter.items:
                item.deadline = max(item.deadline, today + dt.timedelta(days=15))
        return [signed, flood, nxt]

    # --- items ----------------------------------------------------------------------------------
    def _common_item(self, theme: Theme, desc: str, measures: str, day: dt.date) -> ItemPlan:
        phased = self.rng.random() < 0.7
        offset = self.rng.randint(25, 45) if phased else self.rng.randint(20, 40)
        return ItemPlan(
            theme=theme.key,
            category=ItemCategory.COMMON,
            source=ItemSource.NATIONAL if self.rng.random() < 0.4 else ItemSource.PROVINCIAL,
            description=desc,
            measures=measures,
            deadline=timing.tidy_deadline(day + dt.timedelta(days=offset)),
            deadline_kind=DeadlineKind.PHASE_THEN_ONGOING if phased else DeadlineKind.BY_DATE,
        )

    def _specific_item(self, day: dt.date, source: str) -> ItemPlan:
        theme = self._pick_theme()
        if self.rng.random() < 0.06 and theme.city:
            return self._city_item(theme, day, source)
        county = self.rng.choice(self.counties)
        return self._county_item(theme, county, day, source, cooperate=True)

    def _pick_theme(self) -> Theme:
        keys = list(THEME_WEIGHTS)
        key = self.rng.choices(keys, weights=[THEME_WEIGHTS[k] for k in keys])[0]
        return next(t for t in self.themes if t.key == key)

    def _county_item(self, theme: Theme, county: str, day: dt.date, source: str, *, cooperate: bool) -> ItemPlan:
        place, township = self._place(theme, county)
        for _ in range(6):  # the same problem at the same place is found once
            desc, measures = self.rng.choice(theme.specific)
            text = _fill(self.rng, desc, place)
            if text not in self.seen:
                break
            place, township = self._place(theme, county)
        self.seen.add(text)
        cooperating: list[str] = []
        if cooperate:
            partners = [theme.team, *theme.departments]
            count = self.rng.choices((0, 1, 2), weights=(55, 35, 10))[0]
            cooperating = self.rng.sample(partners, k=min(count, len(partners)))
            if township and self.rng.random() < 0.6:
                cooperating.insert(0, township)
        return ItemPlan(
            theme=theme.key,
            category=ItemCategory.SPECIFIC,
            source=source,
            site=place,
            description=text,
            measures=_fill(self.rng, measures, place),
            lead=county,
            cooperating=tuple(cooperating[:2]),
            **self._specific_deadline(day),
        )

    def _city_item(self, theme: Theme, day: dt.date, source: str) -> ItemPlan:
        desc, measures = self.rng.choice(theme.city)
        owners = [*theme.departments, theme.team]
        lead = self.rng.choice(owners)
        others = [o for o in owners if o != lead]
        cooperating = tuple(self.rng.sample(others, k=min(len(others), self.rng.randint(0, 1))))
        return ItemPlan(
            theme=theme.key,
            category=ItemCategory.SPECIFIC,
            source=source,
            description=desc,
            measures=measures,
            lead=lead,
            cooperating=cooperating,
            **self._specific_deadline(day),
        )

    def _specific_deadline(self, day: dt.date) -> dict:
        if self.rng.random() < 0.8:
            offset = self.rng.choice((15, 20, 20, 30, 30, 45))
            return {
                "deadline": timing.tidy_deadline(day + dt.timedelta(days=offset)),
                "deadline_kind": DeadlineKind.BY_DATE,
            }
        offset = self.rng.randint(30, 45)
        return {
            "deadline": timing.tidy_deadline(day + dt.timedelta(days=offset)),
            "deadline_kind": DeadlineKind.PHASE_THEN_ONGOING,
        }

    def _place(self, theme: Theme, county: str) -> tuple[str, str | None]:
        """A resettlement site or a village of the county, and the township unit if it is one."""
        spec: UnitSpec = next(c for c in COUNTIES if c.code == county)
        if theme.place == "site":
            return f"{spec.short_name}{self.rng.choice(spec.sites)}安置点", None
        town = self.rng.choice(spec.towns)
        village = self.rng.choice(VILLAGE_STEMS)
        township = TOWNSHIP_BY_NAME.get(town) if county == "lishi" else None
        return f"{spec.short_name}{town}{village}村", township


def _keep_order(letter: LetterPlan, rng: random.Random) -> None:
    """Drafted before signed before issued, whatever the office-hours rounding did; an hour
    at least between drafting and signing, for the clerk to type the table of items in."""
    if letter.issue_at and letter.sign_at and letter.sign_at >= letter.issue_at:
        letter.sign_at = timing.office_hours_before(letter.issue_at, rng, 0, 0.2)
    if letter.sign_at and letter.draft_at > letter.sign_at - dt.timedelta(hours=1):
        letter.draft_at = timing.office_hours_before(letter.sign_at, rng, 0.5, 1, margin=dt.timedelta(hours=1))


def _fill(rng: random.Random, template: str, place: str) -> str:
    return fill(rng, template, place=place)


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, every share at least 3 (largest remainder)."""
    total = max(total, 3 * len(weights))
    raw = [total * w / sum(weights) for w in weights]
    shares = [max(3, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: max(0, total - sum(shares))]:
        shares[i] += 1
    return shares


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
