"""The office's overview (挂图作战, the part that needs no cycles): open work by state and
light, overdue, and what waits on whom — a fixed handful of aggregate queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q

from supervision import clock
from supervision.models import OPEN_STATES, Assignment, AssignmentState, Letter, LetterState, Role, Unit, User
from supervision.queues import extensions_to_decide, units_where


@dataclass
class Overview:
    by_state: list[tuple[str, str, int]]  # (state, label, count) for open states
    lights: dict[str, int]  # red / yellow / green among open assignments
    overdue: int
    open_total: int
    closed_total: int
    letters_to_sign: int
    letters_to_issue: int
    to_verify: int
    to_close: int
    returned: int
    extensions: int
    worst_units: list[dict]  # the units with most overdue open assignments


def office_overview(user: User, today: dt.date | None = None) -> Overview | None:
    """None when the user holds no role in any office."""
    offices = units_where(user, Role.CLERK, Role.INSPECTOR, Role.DIRECTOR, Role.OBSERVER)
    offices = list(Unit.objects.filter(pk__in=offices, kind="office").values_list("pk", flat=True))
    if not offices:
        return None
    today = today or clock.today()
    soon = today + dt.timedelta(days=settings.LIGHT_YELLOW_DAYS)
    mine = Assignment.objects.filter(letter__office_id__in=offices)
    open_ = Q(state__in=OPEN_STATES)
    totals = mine.aggregate(
        red=Count("pk", filter=open_ & Q(deadline__lt=today)),
        yellow=Count("pk", filter=open_ & Q(deadline__gte=today, deadline__lte=soon)),
        green=Count("pk", filter=open_ & Q(deadline__gt=soon)),
        open_total=Count("pk", filter=open_),
        closed_total=Count("pk", filter=Q(state=AssignmentState.CLOSED)),
        to_verify=Count("pk", filter=Q(state=AssignmentState.AWAITING_VERIFICATION)),
        to_close=Count("pk", filter=Q(state=AssignmentState.VERIFIED)),
        returned=Count("pk", filter=Q(state=AssignmentState.RETURNED)),
    )
    counts = dict(mine.filter(open_).order_by().values_list("state").annotate(n=Count("pk")))
    labels = dict(AssignmentState.choices)
    letters = Letter.objects.filter(office_id__in=offices).aggregate(
        drafts=Count("pk", filter=Q(state=LetterState.DRAFT)),
        signed=Count("pk", filter=Q(state=LetterState.SIGNED)),
    )
    worst = list(
        mine.filter(open_, deadline__lt=today)
        .values("unit_id", "unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit__name")[:10]
    )
    return Overview(
        by_state=[(s, str(labels[s]), counts.get(s, 0)) for s in OPEN_STATES],
        lights={"red": totals["red"], "yellow": totals["yellow"], "green": totals["green"]},
        overdue=totals["red"],
        open_total=totals["open_total"],
        closed_total=totals["closed_total"],
        letters_to_sign=letters["drafts"],
        letters_to_issue=letters["signed"],
        to_verify=totals["to_verify"],
        to_close=totals["to_close"],
        returned=totals["returned"],
        extensions=extensions_to_decide(user).count(),
        worst_units=worst,
    )
