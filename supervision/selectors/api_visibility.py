"""What the API lists beyond what the pages' selectors already decide: units, cycles, and the
event feed. Each is built on the pages' own rules (visibility.py, rankings.py), so the API never
shows more than a person's pages do.

- Units: the office sees every unit (it picks addressees, reassigns, ranks); a unit member sees
  the units they hold a role in; someone with no role sees none.
- Cycles: the calendar of the campaign, for anyone with a role (as the ranking page).
- Events: the outbox's events concerning what the person may see: an event about a task is
  theirs if they see the task, one about a letter (and no task) if they see the letter, one about
  a notice if they see the notice; one about units only (a stand-in, an escalation) if they hold
  a role in one of those units, or it belongs to an office where they hold an office role (the
  outbox's rule, outbox/expand.py: its cycles, the units it keeps); and any event they were told
  of in their inbox.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from supervision.models import Cycle, OutboxEvent, Unit, User
from supervision.outbox.expand import event_office_scope, lists_any
from supervision.outbox.write import INTERNAL_EVENTS
from supervision.services.roles import office_ids, roles_by_unit, unit_ids

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
        | lists_any("recipient_ids", [user.pk])
        | (no_object & lists_any("unit_ids", unit_ids(user)))
    )
    # An office's roles see the events about units (a stand-in, an escalation) that belong to
    # their offices by the outbox's rule (its cycles' rankings, the units it keeps), not every
    # office's: a city's clerk reads nothing of another city's units.
    offices = office_ids(user)
    if offices:
        seen |= no_object & ~Q(unit_ids=[]) & event_office_scope(offices)
    # A channel's test message and a person's digest are deliveries of their own, not events.
    return OutboxEvent.objects.filter(seen).exclude(name__in=INTERNAL_EVENTS)
