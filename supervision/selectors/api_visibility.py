"""What the API lists beyond what the pages' selectors already decide: units, cycles, and the
event feed. Each is built on the pages' own rules (visibility.py, rankings.py), so the API never
shows more than a person's pages do.

- Units: the office sees every unit (it picks addressees, reassigns, ranks); a unit member sees
  the units they hold a role in; someone with no role sees none.
- Cycles: the calendar of the campaign, for anyone with a role (as the ranking page).
- Events: the outbox's events concerning what the person may see: an event about a task is
  theirs if they see the task, one about a letter (and no task) if they see the letter, one about
  a notice if they see the notice; one about units only (an escalation) if they see those units'
  results; and any event they were told of in their inbox.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from supervision.models import Cycle, OutboxEvent, Unit, User
from supervision.outbox.write import INTERNAL_EVENTS
from supervision.services.roles import roles_by_unit, unit_ids

from .rankings import notices_visible_to, sees_all_units
from .visibility import assignments_visible_to, letters_visible_to


def _active(user: User) -> bool:
    return user.is_authenticated and user.is_active


def units_visible_to(user: User) -> QuerySet[Unit]:
    if not _active(user):
        return Unit.objects.none()
    if sees_all_units(user):
        return Unit.objects.all()
    return Unit.objects.filter(pk__in=unit_ids(user))


def cycles_visible_to(user: User) -> QuerySet[Cycle]:
    if not _active(user) or not (user.is_superuser or roles_by_unit(user)):
        return Cycle.objects.none()
    return Cycle.objects.all()


def _lists_any(column: str, values: Iterable[int]) -> Q:
    """The event's JSON list ``column`` holds one of ``values`` (ints). PostgreSQL asks its jsonb
    containment; SQLite has no JSON containment in Django, so it asks json_each."""
    values = sorted({int(v) for v in values})
    if not values:
        return Q(pk__in=[])
    if connection.vendor == "postgresql":
        found = Q(pk__in=[])
        for v in values:
            found |= Q(**{f"{column}__contains": [v]})
        return found
    table = OutboxEvent._meta.db_table
    marks = ", ".join(["%s"] * len(values))
    sql = f'EXISTS (SELECT 1 FROM json_each("{table}"."{column}") WHERE json_each.value IN ({marks}))'
    return Q(RawSQL(sql, values, output_field=BooleanField()))


def events_visible_to(user: User) -> QuerySet[OutboxEvent]:
    if not _active(user):
        return OutboxEvent.objects.none()
    if user.is_superuser:
        return OutboxEvent.objects.exclude(name__in=INTERNAL_EVENTS)
    no_task = Q(assignment__isnull=True)
    no_letter = no_task & Q(letter__isnull=True)
    no_object = no_letter & Q(notice__isnull=True)
    seen = (
        Q(assignment__in=assignments_visible_to(user).values("pk"))
        | (no_task & Q(letter__in=letters_visible_to(user).values("pk")))
        | (no_letter & Q(notice__in=notices_visible_to(user).values("pk")))
        | _lists_any("recipient_ids", [user.pk])
    )
    if sees_all_units(user):
        seen |= no_object & ~Q(unit_ids=[])
    else:
        seen |= no_object & _lists_any("unit_ids", unit_ids(user))
    # A channel's test message and a person's digest are deliveries of their own, not events.
    return OutboxEvent.objects.filter(seen).exclude(name__in=INTERNAL_EVENTS)
