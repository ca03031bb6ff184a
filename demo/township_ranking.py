"""离石区 ranks its townships (县对乡镇排队) and issues its own notice of that ranking.

When the campaign is launched the office's director marks 离石区 to rank its townships, so every
cycle close after it also ranks 信义镇、吴城镇、枣林乡、坪头乡 over the sub-tasks 离石区 handed down
to them (see handing_down). After a close in which 离石区 ranked at least one township, its
liaison drafts the district's notice once the office's own notice is out, sends it to the
district's leader, who signs it with a comment, and the liaison publishes it to the townships.

Every step is the service the pages call, by the person whose job it is, at office hours; steps
after "now" are not taken, so the latest notice may still be a draft or awaiting signature.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.utils import timezone

from supervision import services
from supervision.models import Cycle, Notice, UnitResult
from supervision.services import document_routing
from supervision.services.rule_sets import unit_sub_ranking_set

from . import phrases, timing
from .handing_down import COUNTY

if TYPE_CHECKING:
    from .history import Replay

LAUNCH = dt.time(9, 0)


def schedule_marking(replay: Replay) -> None:
    """The director sets 离石区 to rank its townships on the campaign's first working morning,
    long before any task is handed down (the first hand-down story is weeks later)."""
    rng = random.Random(f"{replay.seed}|{COUNTY}|ranks")
    moment = timing.office_hours(timezone.make_aware(dt.datetime.combine(replay.campaign.start, LAUNCH)), rng)
    if moment >= replay.cut:
        return
    w = replay.world

    def mark() -> None:
        unit_sub_ranking_set(actor=w.director, unit=w.members[COUNTY].unit, ranks=True)

    replay.at(moment, mark)


def schedule_notice(replay: Replay, cutoff: dt.datetime, office_published_at: dt.datetime) -> None:
    """离石区's notice of the cycle closed at ``cutoff``, on the working days after the office's."""
    rng = random.Random(f"{replay.seed}|{COUNTY}|notice|{cutoff.isoformat()}")
    draft_at = timing.office_hours(timing.after(office_published_at, rng, 0.6, 1.2), rng)
    send_at = timing.office_hours(timing.after(draft_at, rng, 0.03, 0.15), rng)
    sign_at = timing.office_hours(timing.after(send_at, rng, 0.2, 0.9), rng)
    publish_at = timing.office_hours(timing.after(sign_at, rng, 0.05, 0.3), rng)
    county = replay.world.members[COUNTY]
    found: dict[str, Notice] = {}

    def draft() -> None:
        cycle = Cycle.objects.get(cutoff_at=cutoff)
        # Only a cycle in which 离石区 placed a township (one holding a sub-task) has a notice; the
        # townships holding nothing are listed unranked and make no notice of their own.
        if not UnitResult.objects.filter(cycle=cycle, ranked_by=county.unit, ranked=True).exists():
            return
        span = phrases.cycle_period(cycle.starts_on, cycle.ends_on)
        found["notice"] = services.notice_draft(
            actor=county.liaison,
            office=county.unit,
            cycle=cycle,
            title=f"离石区乡镇巩固衔接问题整改双周排队通报（第{cycle.number}期）",
            opening=(
                f"按照市巩固衔接办“双周调度、双周通报、双周排队”工作要求，现将第{cycle.number}期（{span}）"
                "各乡镇承办区分解、转办任务的整改进展情况通报如下。排名末位的乡镇要认真查找原因，"
                "限期赶上；连续两期排名末位的，由区分管领导约谈乡镇主要负责人。"
            ),
        )

    def send() -> None:
        if "notice" in found:
            document_routing.notice_send(actor=county.liaison, notice=found["notice"], director=county.leader)

    def sign() -> None:
        if "notice" in found:
            services.notice_sign(actor=county.leader, notice=found["notice"], comment="同意印发，请各乡镇对照整改。")

    def publish() -> None:
        if "notice" in found:
            services.notice_publish(actor=county.liaison, notice=found["notice"])

    for moment, action in ((draft_at, draft), (send_at, send), (sign_at, sign), (publish_at, publish)):
        if moment >= replay.cut:
            return
        replay.at(moment, action)
