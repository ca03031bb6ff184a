"""Stand-ins a person sees on their stand-in page: their own (given and held), and in the units
they lead (in the office: where they are a director) everyone's, which they may end early."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from supervision import clock
from supervision.models import Membership, Role, StandIn, Unit, User

# Stand-ins that ended longer ago than this drop off the page (the admin and the audit keep them).
SHOWN_AFTER_END = dt.timedelta(days=90)


@dataclass(frozen=True)
class Colleague:
    unit: Unit
    user: User


def _led_units(user: User) -> list[int]:
    """Units where the user may end anyone's stand-in: as a leader, or as the office's director."""
    return list(
        Membership.objects.filter(
            Q(role=Role.LEADER) | Q(role=Role.DIRECTOR, unit__kind="office"),
            user_id=user.pk,
            unit__is_active=True,
        ).values_list("unit_id", flat=True)
    )


def stand_ins_for_page(user: User, today: dt.date | None = None) -> list[StandIn]:
    """The stand-ins of the page, the running and coming ones first (one query)."""
    if not (user.is_authenticated and user.is_active):
        return []
    today = today or clock.today()
    mine = Q(principal_id=user.pk) | Q(deputy_id=user.pk)
    led = _led_units(user)
    if led:
        mine |= Q(unit_id__in=led)
    return list(
        StandIn.objects.filter(mine, ends_on__gte=today - SHOWN_AFTER_END)
        .select_related("principal", "deputy", "unit", "ended_by")
        .order_by("-ends_on", "-id")
    )


def endable_ids(user: User, stand_ins: list[StandIn], today: dt.date | None = None) -> set[int]:
    """Which of ``stand_ins`` the user may end now (the rule of services.stand_ins.standin_end,
    read for the page's buttons; one query)."""
    today = today or clock.today()
    led = set(_led_units(user))
    return {s.pk for s in stand_ins if not s.is_over(today) and (s.principal_id == user.pk or s.unit_id in led)}


def colleagues_of(user: User) -> list[Colleague]:
    """Who the user may name as a stand-in: the active members of each unit they hold a role in
    themselves, by unit (one query)."""
    if not (user.is_authenticated and user.is_active):
        return []
    units = Membership.objects.filter(user_id=user.pk, unit__is_active=True).values("unit_id")
    rows = (
        Membership.objects.filter(unit_id__in=units, user__is_active=True)
        .exclude(user_id=user.pk)
        .select_related("unit", "user")
        .order_by("unit__kind", "unit__sort_order", "unit_id", "user__full_name", "user__username")
    )
    seen: set[tuple[int, int]] = set()
    found = []
    for m in rows:
        if (m.unit_id, m.user_id) not in seen:  # one entry per person, whatever roles they hold
            seen.add((m.unit_id, m.user_id))
            found.append(Colleague(m.unit, m.user))
    return found
