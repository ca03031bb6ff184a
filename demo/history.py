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

The odds and the records the replay works with are in ``stories``; how one story is laid out in
time, in ``storytelling``.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections import Counter
from collections.abc import Callable

from django.utils.translation import gettext as _

from supervision import clock, services
from supervision.models import Assignment, AuditEvent, UnitRole, User
from supervision.services import EXTENDABLE, DomainError, InvalidTransition
from supervision.services.steps import CLOSE_WITH_LEAD

from . import office_clock, phrases, timing
from .evidence import evidence_file
from .handing_down import SHOWCASES, HandDownTeller
from .plan import Campaign
from .stories import P_EVIDENCE_COMPLETION, P_EVIDENCE_PROGRESS, REOPENS, Action, LetterRun, Story, World
from .storytelling import Storyteller


class Replay(Storyteller, HandDownTeller):
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
        # 离石区's tasks handed down to its townships (分解、转办): one story of each, see handing_down.
        self.hand_downs_left = list(SHOWCASES)

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
                        if not story.lead and self._closed_with_lead(story):
                            # The lead's write-off closed this cooperating task first: its own
                            # later steps have nothing left to do, as in an office.
                            self.stats["closed_with_lead"] += 1
                        else:
                            self.failures.append(f"assignment {story.assignment_id}: {exc}")
            self.stats["steps"] += 1
        self._progress(week)

    @staticmethod
    def _closed_with_lead(story: Story) -> bool:
        return AuditEvent.objects.filter(assignment_id=story.assignment_id, action=CLOSE_WITH_LEAD.action).exists()

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
            if self._hand_down(story, run, clock.now()):
                continue
            forced = None
            if showcase and story.may_return and story.lead and self.showcase_returns:
                forced = self.showcase_returns.pop(0)
            self._tell(story, clock.now(), claimed=False, return_outcome=forced)

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

    def _request_extension(self, story: Story, extra: dt.timedelta, reason: str) -> Action:
        def step() -> None:
            # Counted from the task's deadline when the request is made: a cooperating unit's may
            # have moved with its lead unit's approved extension since the story was planned.
            current = Assignment.objects.values_list("deadline", flat=True).get(pk=story.assignment_id)
            new_deadline = max(current, story.item.deadline) + extra
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
