"""Replaying the campaign through the transition services, in time order.

Every letter and every assignment gets a *story*: a list of dated steps, each one service
call made by the person whose job it is (clerk drafts, director signs, liaison claims and
reports, unit leader signs off, inspector verifies, director writes off). All steps of all
stories go into one queue ordered by time and run under ``clock.frozen`` at their moment, so
the audit trail, notifications and letter closings come out as if the campaign had happened.

How far a story gets depends on how long ago its letter went out and on how diligent the unit
is; a few take detours (returns, refused sign-offs, failed verifications, extension requests,
回头看). Steps that would fall after "now" are simply not taken, which leaves the recent
letters mostly issued or just claimed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from supervision import clock, services
from supervision.models import Assignment, AssignmentState, Letter, Unit, UnitKind, UnitRole, User
from supervision.services import DomainError, InvalidTransition
from supervision.services.extensions import EXTENDABLE

from . import office_clock, phrases, timing
from .evidence import evidence_file
from .plan import Campaign, ItemPlan, LetterPlan
from .themes import THEMES_BY_KEY

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


class Replay:
    def __init__(self, world: World, campaign: Campaign, seed: int, log: Callable[[str], None]):
        self.world = world
        self.campaign = campaign
        self.seed = seed
        self.log = log
        self.cut = campaign.now - dt.timedelta(minutes=10)
        self.queue: list[tuple[dt.datetime, int, Action, Story | None]] = []
        self.order = itertools.count()
        self.stats: Counter[str] = Counter()
        self.failures: list[str] = []
        self.reopens_left = REOPENS
        # Disputes still waiting, whatever the dice say: the leader's and the clerk's queues
        # should each show one. Taken from a letter old enough for the steps to have happened.
        self.showcase_returns = ["pending_leader", "pending_office"]

    # --- the queue ------------------------------------------------------------------------------
    def at(self, moment: dt.datetime, action: Action, story: Story | None = None) -> None:
        heapq.heappush(self.queue, (moment, next(self.order), action, story))

    def run(self) -> None:
        for plan in self.campaign.letters:
            self._schedule_letter(LetterRun(plan))
        # The office's clock: tick every night and at each cut-off; notices after each close.
        office_clock.schedule(self)
        week = 0
        while self.queue:
            moment, _n, action, story = heapq.heappop(self.queue)
            if story is not None and story.dead:
                continue
            now_week = (timing.local(moment).date() - self.campaign.start).days // 7
            if now_week > week:
                self._progress(week)
                week = now_week
            with clock.frozen(moment):
                if story is None:
                    action()  # a letter step failing is a bug in the plan: let it surface
                else:
                    try:
                        action()
                    except DomainError as exc:
                        story.dead = True
                        self.failures.append(f"assignment {story.assignment_id}: {exc}")
            self.stats["steps"] += 1
        self._progress(week)

    def _progress(self, week: int) -> None:
        day = self.campaign.start + dt.timedelta(days=7 * week + 6)
        self.log(
            _("  week %(week)2d (to %(day)s): %(letters)2d letters issued, %(steps)6s steps")
            % {
                "week": week + 1,
                "day": min(day, timing.local(self.campaign.now).date()).isoformat(),
                "letters": self.stats["letters_issued"],
                "steps": f"{self.stats['steps']:,d}",
            }
        )

    # --- letters --------------------------------------------------------------------------------
    def _schedule_letter(self, run: LetterRun) -> None:
        plan = run.plan
        self.at(plan.draft_at, lambda: self._draft(run))
        if plan.sign_at is not None:
            self.at(plan.sign_at, lambda: self._sign(run))
        if plan.issue_at is not None:
            self.at(plan.issue_at, lambda: self._issue(run))

    def _ids(self, codes: tuple[str, ...]) -> list[int]:
        return [self.world.members[c].unit.pk for c in codes]

    def _draft(self, run: LetterRun) -> None:
        w, plan = self.world, run.plan
        run.letter = services.letter_create(
            actor=w.clerk,
            office=w.office,
            kind=plan.kind,
            title=plan.title,
            body=plan.body,
            deadline=plan.reply_deadline,
            addressee_ids=self._ids(plan.addressees),
            cc_ids=self._ids(plan.cc),
        )
        start = clock.now()
        for n, item in enumerate(plan.items):
            # The clerk types the table in: one row every half minute or so.
            with clock.frozen(start + dt.timedelta(seconds=30 * (n + 1))):
                lead = self.world.members[item.lead].unit.pk if item.lead else None
                added = services.item_add(
                    actor=w.clerk,
                    letter=run.letter,
                    description=item.description,
                    deadline=item.deadline,
                    category=item.category,
                    source=item.source,
                    site=item.site,
                    measures=item.measures,
                    deadline_kind=item.deadline_kind,
                    lead_unit_id=lead,
                    cooperating_unit_ids=self._ids(item.cooperating),
                )
            run.items[added.pk] = item

    def _sign(self, run: LetterRun) -> None:
        services.letter_sign(actor=self.world.director, letter=run.letter, comment="同意印发。")

    def _issue(self, run: LetterRun) -> None:
        letter = services.letter_issue(actor=self.world.clerk, letter=run.letter)
        self.stats["letters_issued"] += 1
        showcase = 10 <= timing.days(self.cut - clock.now()) <= 20
        rows = Assignment.objects.filter(letter=letter).order_by("pk")
        for pk, unit_id, item_id, seq, role in rows.values_list("pk", "unit_id", "item_id", "item__seq", "role"):
            item = run.items[item_id]
            member = self.world.by_unit_id[unit_id]
            story = Story(
                assignment_id=pk,
                member=member,
                item=item,
                item_id=item_id,
                letter=run.plan,
                lead=role == UnitRole.LEAD,
                # Only a problem with named units can be disputed: a common one is everyone's.
                may_return=bool(item.lead),
                key=f"{self.seed}|{run.plan.title}|{seq}|{member.code}",
            )
            forced = None
            if showcase and story.may_return and story.lead and self.showcase_returns:
                forced = self.showcase_returns.pop(0)
            self._tell(story, clock.now(), claimed=False, return_outcome=forced)

    # --- one assignment's story -----------------------------------------------------------------
    def _tell(self, story: Story, start: dt.datetime, *, claimed: bool, return_outcome: str | None = None) -> None:
        steps = Steps(story.rng, self.cut)
        at, claimed, over = start, claimed, False
        p_return = P_RETURN_LEAD if story.lead else P_RETURN_COOPERATING
        if return_outcome or (story.may_return and not story.letter.all_closed and story.rng.random() < p_return):
            at, claimed, over = self._return(story, steps, at, claimed, return_outcome)
        if not over:
            target = self._target(timing.days(self.cut - at), story)
            self._main_path(story, steps, at, claimed, target)
        deadline = story.item.deadline
        for moment, action in steps.placed(deadline):
            self.at(moment, action, story)

    def _target(self, age: float, story: Story) -> str:
        if story.letter.all_closed:
            return S.CLOSED
        effective = age / story.member.diligence
        # A diligent unit nearly always makes it; a laggard often lets the deadline pass.
        push = min(0.95, P_DEADLINE_PUSH / story.member.diligence**2)
        if story.item.deadline < timing.local(self.cut).date() and story.rng.random() < push:
            weights = DONE_BY_DEADLINE
        else:
            weights = next(table for limit, table in TARGETS_BY_AGE if effective < limit)
        return story.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _return(
        self, story: Story, steps: Steps, at: dt.datetime, claimed: bool, outcome: str | None = None
    ) -> tuple[dt.datetime, bool, bool]:
        """退回: the unit disputes the item. Returns (when the main path resumes, claimed, over)."""
        rng, m = story.rng, story.member
        if not claimed and rng.random() < 0.5:
            at = timing.after(at, rng, 0.05, 1.5 * m.diligence)
            steps.add(at, self._claim(story))
            claimed = True
        at = timing.after(at, rng, 0.3, 3)
        steps.add(
            at, self._act(services.assignment_request_return, story, m.liaison, reason=self._return_reason(story))
        )
        recent = timing.days(self.cut - at) < 14
        table = RETURN_OUTCOMES_RECENT if recent else RETURN_OUTCOMES_OLD
        drawn = rng.choices(list(table), weights=list(table.values()))[0]
        outcome = outcome or drawn
        if outcome == "pending_leader":
            return at, claimed, True
        at = timing.after(at, rng, 0.1, 2)
        if outcome == "refused":
            comment = rng.choice(phrases.RETURN_REFUSALS)
            steps.add(at, self._act(services.assignment_refuse_return, story, m.leader, comment=comment))
            return at, claimed, False
        comment = rng.choice(phrases.RETURN_APPROVALS)
        steps.add(at, self._act(services.assignment_approve_return, story, m.leader, comment=comment))
        if outcome == "pending_office":
            return at, claimed, True
        at = timing.after(at, rng, 0.3, 3)
        if outcome == "reassigned":
            steps.add(at, lambda: self._reassign(story))
            return at, claimed, True
        reason = rng.choice(phrases.REISSUE_REASONS)
        steps.add(at, self._act(services.assignment_reissue, story, self.world.clerk, comment=reason))
        return at, False, False  # a reissued assignment goes back to the unit's queue, unclaimed

    def _return_reason(self, story: Story) -> str:
        theme = THEMES_BY_KEY.get(story.item.theme)
        kind = story.member.unit.kind
        if kind in (UnitKind.DEPARTMENT, UnitKind.WORK_TEAM):
            return story.rng.choice(phrases.CITY_RETURN_REASONS)
        if theme and theme.return_reason and story.rng.random() < 0.7:
            return theme.return_reason + "。"
        return story.rng.choice(phrases.RETURN_REASONS)

    def _reassign(self, story: Story) -> None:
        """改派 to a unit of the same line of work that does not hold the item yet; when there is
        none left, the office keeps the unit responsible instead."""
        theme = THEMES_BY_KEY.get(story.item.theme)
        candidates = [*theme.departments, theme.team] if theme else []
        holding = set(
            Assignment.objects.filter(item_id=story.item_id)
            .exclude(state=S.REASSIGNED)
            .values_list("unit_id", flat=True)
        )
        options = [c for c in candidates if self.world.members[c].unit.pk not in holding]
        if not options:
            services.assignment_reissue(
                actor=self.world.clerk, assignment=story.assignment_id, comment=phrases.REISSUE_REASONS[0]
            )
            return
        target = self.world.members[options[0]]
        new = services.assignment_reassign(
            actor=self.world.clerk,
            assignment=story.assignment_id,
            unit=target.unit,
            comment=f"经核实，改派{target.unit.display_name}{'牵头' if story.lead else '配合'}整改。",
        )
        self.stats["reassigned"] += 1
        successor = Story(
            assignment_id=new.pk,
            member=target,
            item=story.item,
            item_id=story.item_id,
            letter=story.letter,
            lead=story.lead,
            may_return=False,  # no ping-pong: the office has decided
            key=f"{story.key}>{target.code}",
        )
        self._tell(successor, clock.now(), claimed=False)

    def _main_path(self, story: Story, steps: Steps, start: dt.datetime, claimed: bool, target: str) -> None:
        rng, m = story.rng, story.member
        if target == S.ISSUED:
            return
        claim_at = start
        if not claimed:
            claim_at = timing.after(start, rng, 0.05, 1.5 * m.diligence)
            if rng.random() < 0.01:  # claimed by mistake, released, claimed again
                steps.add(claim_at, self._claim(story))
                claim_at = timing.after(claim_at, rng, 0.02, 0.5)
                steps.add(claim_at, self._act(services.assignment_unclaim, story, m.liaison, comment="误领，释放。"))
                claim_at = timing.after(claim_at, rng, 0.1, 1.5)
            steps.add(claim_at, self._claim(story))
        if target == S.ACCEPTED:
            self._extension(story, steps, claim_at, self.cut, end_state=S.ACCEPTED)
            return
        target, anchors = self._anchors(story, target, claim_at)
        work_end = anchors.get("complete", self.cut)
        blocks_at = self._rework(story, steps, claim_at, work_end, target)
        self._reports(story, steps, claim_at, blocks_at)
        if "complete" in anchors:
            self._finish(story, steps, anchors)
        ext_end = min(blocks_at, work_end)
        self._extension(story, steps, claim_at, ext_end, end_state=target)

    def _anchors(self, story: Story, target: str, claim_at: dt.datetime) -> tuple[str, dict[str, dt.datetime]]:
        """When the completion report, sign-off, verification and write-off happen. Waiting
        states are anchored on "now" (a report waits days for a signature, not weeks)."""
        rng, cut, forced = story.rng, self.cut, story.letter.all_closed
        d = dt.timedelta
        while target not in (S.ISSUED, S.ACCEPTED, S.IN_PROGRESS):
            a: dict[str, dt.datetime] = {}
            if target == S.COMPLETION_REQUESTED:
                wait = rng.uniform(3, 9) if rng.random() < 0.1 else rng.uniform(0.05, 2.5)
                a["complete"] = cut - d(days=wait)
            elif target == S.AWAITING_VERIFICATION:
                a["sign"] = cut - d(days=rng.uniform(0.05, 6))
                a["complete"] = a["sign"] - d(days=rng.uniform(0.05, 2))
            elif target == S.VERIFIED:
                a["verify"] = cut - d(days=rng.uniform(0.05, 6))
                a["sign"] = a["verify"] - d(days=rng.uniform(0.5, 5))
                a["complete"] = a["sign"] - d(days=rng.uniform(0.05, 2))
            else:
                latest = cut - d(days=rng.uniform(1, 8) if forced else rng.uniform(0.05, 0.5))
                post = [rng.uniform(0.05, 2), rng.uniform(0.5, 5), rng.uniform(0.2, 4)]
                room = timing.days(latest - claim_at)
                if forced and sum(post) > room * 0.4:
                    post = [p * room * 0.4 / sum(post) for p in post]
                min_work = rng.uniform(2, 8) * story.member.diligence
                if forced:
                    min_work = min(min_work, room * 0.3)
                lo = claim_at + d(days=min_work)
                hi = latest - d(days=sum(post))
                if hi > lo:
                    a["complete"] = lo + (hi - lo) * rng.random()
                    a["sign"] = a["complete"] + d(days=post[0])
                    a["verify"] = a["sign"] + d(days=post[1])
                    a["close"] = a["verify"] + d(days=post[2])
            if a and timing.days(a["complete"] - claim_at) >= 1.5:
                return target, a
            target = LADDER[LADDER.index(target) - 1]  # not enough time for that: fall back a step
        return target, {}

    def _rework(
        self, story: Story, steps: Steps, claim_at: dt.datetime, work_end: dt.datetime, target: str
    ) -> dt.datetime:
        """Failed attempts before the last completion report: the unit leader sends a report
        back, or the office's inspector rejects it. Returns when the first attempt starts."""
        rng, m, w = story.rng, story.member, self.world
        if story.letter.all_closed and rng.random() < 0.5:
            return work_end
        blocks = []
        if rng.random() < P_REJECTION:
            blocks.append("reject")
        if rng.random() < P_REFUSAL:
            blocks.append("refuse")
        if not blocks:
            return work_end
        rng.shuffle(blocks)
        plans = []
        for block in blocks:
            gaps = [0.0, rng.uniform(0.05, 1.5), rng.uniform(0.5, 5), rng.uniform(0.5, 4)]
            if block == "refuse":
                gaps = [0.0, rng.uniform(0.05, 1.5), rng.uniform(0.3, 3)]
            plans.append((block, gaps, rng.uniform(0.5, 3)))
        total = sum(sum(g) + tail for _b, g, tail in plans)
        if timing.days(work_end - claim_at) - total < 2:
            return work_end
        at = work_end - dt.timedelta(days=total)
        begin = at
        measures = story.item.measures
        for block, gaps, tail in plans:
            at += dt.timedelta(days=gaps[0])
            steps.add(at, self._complete(story, measures))
            at += dt.timedelta(days=gaps[1])
            if block == "refuse":
                comment = rng.choice(phrases.LEADER_REFUSALS)
                steps.add(at, self._act(services.assignment_refuse_completion, story, m.leader, comment=comment))
            else:
                comment = rng.choice(phrases.LEADER_APPROVALS)
                steps.add(at, self._act(services.assignment_approve_completion, story, m.leader, comment=comment))
                at += dt.timedelta(days=gaps[2])
                reason = phrases.fill(rng, rng.choice(phrases.REJECT_REASONS))
                steps.add(at, self._act(services.assignment_reject, story, w.inspector, reason=reason))
            at += dt.timedelta(days=gaps[-1])
            steps.add(at, self._report(story, phrases.fill(rng, rng.choice(phrases.REWORK_REPORTS))))
            at += dt.timedelta(days=tail)
        self.stats["rework"] += len(plans)
        return begin

    def _reports(self, story: Story, steps: Steps, claim_at: dt.datetime, until: dt.datetime) -> None:
        """Regular progress: the first a few days after claiming, then about one per two-week
        cycle (双周调度), up to the completion report or now."""
        rng, m = story.rng, story.member
        first = timing.after(claim_at, rng, 0.3, 5 * m.diligence)
        if first >= until - dt.timedelta(hours=4):
            first = claim_at + (until - claim_at) / 2
        if rng.random() < 0.2:  # some say "started" before they have anything to report
            steps.add(claim_at + (first - claim_at) / 3, self._act(services.assignment_start, story, m.liaison))
        at = first
        deadline = f"{story.item.deadline.month}月{story.item.deadline.day}日"
        n = 0
        while at < until - dt.timedelta(hours=12) or at == first:
            # Now and then nothing changed since the last report: carried forward with one action
            # (最多报一次). Drawn from a generator of its own, so the story's other draws stay put.
            carry = n > 0 and random.Random(f"{story.key}|carry|{n}").random() < P_CARRY_FORWARD
            steps.add(at, self._report(story, phrases.progress_text(rng, deadline), carry=carry))
            at = timing.after(at, rng, 11, 17)
            n += 1

    def _finish(self, story: Story, steps: Steps, a: dict[str, dt.datetime]) -> None:
        rng, m, w = story.rng, story.member, self.world
        steps.add(a["complete"], self._complete(story, story.item.measures))
        if "sign" in a:
            comment = rng.choice(phrases.LEADER_APPROVALS)
            steps.add(a["sign"], self._act(services.assignment_approve_completion, story, m.leader, comment=comment))
        if "verify" in a:
            comment = rng.choice(phrases.VERIFY_COMMENTS)
            steps.add(a["verify"], self._act(services.assignment_verify, story, w.inspector, comment=comment))
        if "close" in a:
            comment = rng.choice(phrases.CLOSE_COMMENTS)
            steps.add(a["close"], self._act(services.assignment_close, story, w.director, comment=comment))
            self._maybe_reopen(story, steps, a["close"])

    def _maybe_reopen(self, story: Story, steps: Steps, closed_at: dt.datetime) -> None:
        """回头看: a few long-closed problems turn out to have rebounded."""
        if self.reopens_left <= 0 or story.letter.all_closed or story.rng.random() > P_REOPEN:
            return
        at = max(timing.after(closed_at, story.rng, 5, 15), self.cut - dt.timedelta(days=story.rng.uniform(1, 6)))
        if at >= self.cut - dt.timedelta(hours=2):
            return
        self.reopens_left -= 1
        office = story.rng.choice((self.world.inspector, self.world.director))
        steps.add(
            at, self._act(services.assignment_reopen, story, office, reason=story.rng.choice(phrases.REOPEN_REASONS))
        )
        deadline = f"{story.item.deadline.month}月{story.item.deadline.day}日"
        steps.add(timing.after(at, story.rng, 0.3, 2), self._report(story, phrases.progress_text(story.rng, deadline)))

    def _extension(self, story: Story, steps: Steps, start: dt.datetime, end: dt.datetime, *, end_state: str) -> None:
        """延期申请, asked before the deadline. Pending ones are the story's last steps."""
        rng, m = story.rng, story.member
        if story.letter.all_closed or rng.random() > P_EXTENSION:
            return
        outcome = rng.choices(list(EXTENSION_OUTCOMES), weights=list(EXTENSION_OUTCOMES.values()))[0]
        deadline_end = timing.local(start).replace(
            year=story.item.deadline.year, month=story.item.deadline.month, day=story.item.deadline.day, hour=17
        )
        pending = outcome.startswith("awaiting")
        if pending and end_state not in EXTENDABLE_END:
            outcome, pending = "approved", False
        if pending:
            # After everything else the story does: nothing comes after a pending request.
            last = max((w[0] for w in steps.wanted), default=start)
            at = timing.after(last, rng, 0.05, 1.5)
            if at >= min(self.cut, deadline_end):
                return
        else:
            hi = min(end, deadline_end) - dt.timedelta(days=1)
            if hi - start < dt.timedelta(days=0.5):
                return
            at = start + (hi - start) * rng.uniform(0.1, 0.8)
        new_deadline = story.item.deadline + dt.timedelta(days=rng.choice((10, 15, 20, 30)))
        reason = rng.choice(phrases.EXTENSION_REASONS)
        steps.add(at, self._request_extension(story, new_deadline, reason), "extension_request")
        self.stats["extensions"] += 1
        if outcome == "awaiting_signoff":
            return
        at = timing.after(at, rng, 0.05, 1.5)
        if outcome == "refused":
            comment = rng.choice(phrases.EXTENSION_REFUSALS)
            steps.add(at, self._decide(services.extension_refuse, story, m.leader, comment), "extension")
            return
        comment = rng.choice(phrases.EXTENSION_SIGNS)
        steps.add(at, self._decide(services.extension_sign, story, m.leader, comment), "extension")
        if outcome == "awaiting_decision":
            return
        at = timing.after(at, rng, 0.3, 3)
        office = self.world.clerk if rng.random() < 0.6 else self.world.director
        if outcome == "approved":
            comment = rng.choice(phrases.EXTENSION_APPROVALS)
            steps.add(at, self._decide(services.extension_approve, story, office, comment), "extension")
        else:
            comment = rng.choice(phrases.EXTENSION_REJECTIONS)
            steps.add(at, self._decide(services.extension_reject, story, office, comment), "extension")

    # --- steps: each one service call -------------------------------------------------------------
    def _act(self, service: Callable[..., object], story: Story, actor: User, **kwargs: str) -> Action:
        def step() -> None:
            service(actor=actor, assignment=story.assignment_id, **kwargs)

        return step

    def _claim(self, story: Story) -> Action:
        person = story.rng.choice(story.member.responsible)
        return self._act(services.assignment_claim, story, story.member.liaison, responsible_person=person)

    def _report(self, story: Story, text: str, *, carry: bool = False) -> Action:
        with_file = story.rng.random() < P_EVIDENCE_PROGRESS

        def step() -> None:
            if carry:
                try:
                    services.assignment_carry_forward(actor=story.member.liaison, assignment=story.assignment_id)
                    self.stats["carried"] += 1
                    return
                except InvalidTransition:
                    pass  # already reported in this cycle, or nothing to carry: write it out
            files = self._files(story, text) if with_file else []
            services.assignment_report_progress(
                actor=story.member.liaison, assignment=story.assignment_id, text=text, files=files
            )
            self.stats["evidence"] += len(files)

        return step

    def _complete(self, story: Story, measures: str) -> Action:
        text = phrases.completion_text(story.rng, measures)
        with_file = story.rng.random() < P_EVIDENCE_COMPLETION

        def step() -> None:
            files = self._files(story, text) if with_file else []
            services.assignment_submit_completion(
                actor=story.member.liaison, assignment=story.assignment_id, text=text, files=files
            )
            self.stats["evidence"] += len(files)

        return step

    def _files(self, story: Story, text: str) -> list:
        # Evidence is the exception, not the rule (the 2024 rules against judging work by photos).
        return [evidence_file(story.rng, f"A{story.assignment_id}-{clock.now():%Y%m%d%H%M}", text)]

    def _request_extension(self, story: Story, new_deadline: dt.date, reason: str) -> Action:
        def step() -> None:
            ext = services.extension_request(
                actor=story.member.liaison,
                assignment=story.assignment_id,
                requested_deadline=new_deadline,
                reason=f"{reason}拟延期至{new_deadline.month}月{new_deadline.day}日。",
            )
            story.extension_id = ext.pk

        return step

    def _decide(self, service: Callable[..., object], story: Story, actor: User, comment: str) -> Action:
        def step() -> None:
            if story.extension_settled:
                return
            try:
                service(actor=actor, extension=story.extension_id, comment=comment)
            except InvalidTransition:
                # The unit finished before the request was decided (the steps' times move with
                # office hours and weekends): a leader or an office then turns the request down as
                # no longer needed, as they would on paper. Anything else is a real refusal.
                state = Assignment.objects.values_list("state", flat=True).get(pk=story.assignment_id)
                if service not in (services.extension_sign, services.extension_approve) or state in EXTENDABLE:
                    raise
                sign = service is services.extension_sign
                withdraw = services.extension_refuse if sign else services.extension_reject
                withdraw(actor=actor, extension=story.extension_id, comment=phrases.EXTENSION_NO_LONGER_NEEDED)
                story.extension_settled = True
                self.stats["extensions_overtaken"] += 1

        return step
