"""Stand-ins (授权代理): a user names a colleague of the same unit to act for them between two
dates; the principal, or a leader of the unit (in the office: a director), may end it early.

While it runs the deputy holds the principal's roles in that unit (services/roles.py), takes the
principal's claimed work, and every step they take is recorded as taken for the principal
(AuditEvent.on_behalf_of). Nothing needs to run when it ends: the dates are read at the moment
of acting, in the office's time zone (clock.today()).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Membership, Role, StandIn, Unit, User
from supervision.parsing import parse_id

from .audit import audit_record
from .errors import InvalidInput, InvalidTransition, NotAllowed
from .notify import notify
from .roles import has_role

# Longer absences are a change of roles (the admin's memberships), not a stand-in.
MAX_STAND_IN_DAYS = 366


def _own_role(user: User, unit_id: int) -> str | None:
    """A role the user holds in the unit on their own account (a stand-in lends none further:
    a deputy cannot name a deputy of their own for their principal)."""
    return (
        Membership.objects.filter(user_id=user.pk, unit_id=unit_id, unit__is_active=True)
        .order_by("role")
        .values_list("role", flat=True)
        .first()
    )


def _dates(starts_on: object, ends_on: object) -> tuple[dt.date, dt.date]:
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise InvalidInput(_("Give the first and the last day of the stand-in."), field="starts_on")
    if starts_on < clock.today():
        # What was done before it was named was done on one's own account: no back-dating.
        raise InvalidInput(_("A stand-in cannot start before today."), field="starts_on")
    if ends_on < starts_on:
        raise InvalidInput(_("The last day cannot be before the first day."), field="ends_on")
    if (ends_on - starts_on).days >= MAX_STAND_IN_DAYS:
        raise InvalidInput(_("A stand-in can last at most one year."), field="ends_on")
    return starts_on, ends_on


def _span(s: StandIn) -> dict[str, str]:
    return {"start": date_format(s.starts_on), "end": date_format(s.ends_on), "unit": s.unit.display_name}


@transaction.atomic
def standin_create(
    *, actor: User, deputy: User | int, unit: Unit | int, starts_on: dt.date, ends_on: dt.date
) -> StandIn:
    """The actor names ``deputy`` to act for them in ``unit`` from ``starts_on`` to ``ends_on``
    (both days included). Both must be members of the unit; one stand-in at a time per person
    and unit."""
    if not actor.is_active:
        raise NotAllowed(_("Your account is not active."))
    unit_id = parse_id(unit.pk if isinstance(unit, Unit) else unit)
    # The principal's row, locked: two stand-ins named at once cannot both pass the overlap check.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    role = _own_role(actor, unit_id) if unit_id is not None else None
    if role is None:
        raise NotAllowed(_("You can name a stand-in only in a unit where you hold a role yourself."))
    deputy_id = parse_id(deputy.pk if isinstance(deputy, User) else deputy)
    if deputy_id == actor.pk:
        raise InvalidInput(_("Name a colleague, not yourself."), field="deputy")
    deputy_user = User.objects.filter(pk=deputy_id, is_active=True).first() if deputy_id is not None else None
    if deputy_user is None or _own_role(deputy_user, unit_id) is None:
        raise InvalidInput(_("The stand-in must be an active colleague of the same unit."), field="deputy")
    starts_on, ends_on = _dates(starts_on, ends_on)
    clash = (
        StandIn.objects.filter(
            principal_id=actor.pk,
            unit_id=unit_id,
            ended_at__isnull=True,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        .select_related("deputy")
        .first()
    )
    if clash is not None:
        raise InvalidInput(
            _("%(name)s already stands in for you there from %(start)s to %(end)s: end that first.")
            % {
                "name": clash.deputy.display_name,
                "start": date_format(clash.starts_on),
                "end": date_format(clash.ends_on),
            },
            field="starts_on",
        )
    s = StandIn.objects.create(
        principal=actor,
        deputy=deputy_user,
        unit_id=unit_id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        role=role,
        unit_id=unit_id,
        action="stand_in.created",
        data={
            "stand_in": s.pk,
            "principal": actor.pk,
            "deputy": deputy_user.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )
    span = _span(s)
    # Both are told, the principal too: the bell keeps the dates they gave.
    notify(
        recipients=[deputy_user.pk],
        verb="stand_in",
        text=_("%(name)s named you as their stand-in in %(unit)s from %(start)s to %(end)s.")
        % {"name": actor.display_name, **span},
    )
    notify(
        recipients=[actor.pk],
        verb="stand_in",
        text=_("%(name)s stands in for you in %(unit)s from %(start)s to %(end)s.")
        % {"name": deputy_user.display_name, **span},
    )
    return s


def _end_role(actor: User, s: StandIn) -> str | None:
    """The role in which ``actor`` may end the stand-in: the principal's own, or the unit's
    leader (the office's director)."""
    if actor.pk == s.principal_id:
        return _own_role(actor, s.unit_id) or ""
    return has_role(actor, s.unit_id, [Role.DIRECTOR if s.unit.is_office else Role.LEADER])


@transaction.atomic
def standin_end(*, actor: User, stand_in: StandIn | int) -> StandIn:
    """End a stand-in before its last day (or call off one not yet begun)."""
    pk = parse_id(stand_in.pk if isinstance(stand_in, StandIn) else stand_in) or 0
    s = (
        StandIn.objects.select_for_update(of=("self",))
        .select_related("unit", "principal", "deputy")
        .filter(pk=pk)
        .first()
    )
    if s is None:
        raise NotAllowed(_("This stand-in does not exist or you may not change it."))
    role = _end_role(actor, s) if actor.is_active else None
    if role is None:
        raise NotAllowed(
            _("Only %(name)s or a leader of the unit can end this stand-in.") % {"name": s.principal.display_name}
        )
    if s.is_over(clock.today()):
        raise InvalidTransition(_("This stand-in has already ended."))
    s.ended_at, s.ended_by = clock.now(), actor
    s.save(update_fields=["ended_at", "ended_by"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=s.unit_id,
        action="stand_in.ended",
        data={"stand_in": s.pk, "principal": s.principal_id, "deputy": s.deputy_id},
    )
    notify(
        recipients=[s.principal_id, s.deputy_id],
        verb="stand_in",
        text=_("%(actor)s ended the stand-in of %(deputy)s for %(principal)s in %(unit)s.")
        % {
            "actor": actor.display_name,
            "deputy": s.deputy.display_name,
            "principal": s.principal.display_name,
            "unit": s.unit.display_name,
        },
    )
    return s
