"""Laying out one assignment's story in time: the state it aims at, the main path to it, and the
detours on the way (returns and reassignments, rework, regular reports, sign-offs and
write-offs, 回头看 reopenings, extension requests).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from supervision import clock, services
from supervision.models import Assignment, AssignmentState, UnitKind

from . import phrases, timing
from .stories import (
    DONE_BY_DEADLINE,
    EXTENDABLE_END,
    EXTENSION_OUTCOMES,
    LADDER,
    P_CARRY_FORWARD,
    P_DEADLINE_PUSH,
    P_EXTENSION,
    P_REFUSAL,
    P_REJECTION,
    P_REOPEN,
    P_RETURN_COOPERATING,
    P_RETURN_LEAD,
    RETURN_OUTCOMES_OLD,
    RETURN_OUTCOMES_RECENT,
    TARGETS_BY_AGE,
    Steps,
    Story,
    World,
)
from .themes import THEMES_BY_KEY

S = AssignmentState


class Storyteller:
    """The story methods of ``Replay``, which mixes them in and supplies what they use: the queue
    (``at``), the step builders (``_act``, ``_claim``, ``_report``, ``_complete``,
    ``_request_extension``, ``_decide``) and the state below."""

    world: World
    cut: dt.datetime
    stats: Counter[str]
    reopens_left: int

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
        extra = dt.timedelta(days=rng.choice((10, 15, 20, 30)))
        reason = rng.choice(phrases.EXTENSION_REASONS)
        steps.add(at, self._request_extension(story, extra, reason), "extension_request")
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
