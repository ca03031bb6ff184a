"""Reminders by hand (催办): the issuing office chases an overdue or stalled assignment with a short
text, one at a time or every red assignment of a unit at once.

A reminder changes no state: it is the step table's REMIND step (who may send it, on which
assignments, at most once a day), one audit row carrying the text, and a notification to the
unit's liaison (the claimer once claimed, else every liaison) and its leaders. The audit row is
the record: the task page counts them (selectors/reminders.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from supervision.models import Assignment, Membership, Role, Unit, User
from supervision.selectors.search import Light, light_filter

from . import steps
from .audit import audit_record
from .errors import DomainError, NotAllowed
from .notify import notify
from .roles import has_role, role_refusal, roles_by_unit
from .steps import REMIND
from .transitions import assignment_lock, message_fields, reason_clean

# A reminder is a line in a bell and on the timeline, not a letter: a 催办函 is for more.
MAX_REMINDER = 200
# How many red assignments of one unit a single "remind all" takes on: the rest wait for the next.
MAX_UNIT_REMINDERS = 500


def _clean(text: str) -> str:
    return reason_clean(text, required=False, label=_("The reminder"), limit=MAX_REMINDER)


def _recipients(a: Assignment) -> list[int]:
    """The unit's leaders and the liaison who claimed it, or every liaison while nobody has (one query)."""
    members = Membership.objects.filter(
        unit_id=a.unit_id, role__in=[Role.LIAISON, Role.LEADER], user__is_active=True
    ).values_list("user_id", "role")
    leaders = {uid for uid, role in members if role == Role.LEADER}
    liaisons = {uid for uid, role in members if role == Role.LIAISON}
    if a.claimed_by_id in liaisons:
        liaisons = {a.claimed_by_id}
    return sorted(leaders | liaisons)


@transaction.atomic
def assignment_remind(*, actor: User, assignment: Assignment | int, text: str = "") -> Assignment:
    """催办: remind the unit of one overdue or stalled assignment. ``text`` is optional: without it
    the unit reads the usual request to get on with it."""
    a = assignment_lock(assignment)
    role = steps.require(REMIND, actor, a)
    said = _clean(text) or _("Please deal with it promptly and report your progress.")
    audit_record(
        actor=actor,
        role=role,
        unit_id=steps.where(REMIND, a),
        action=REMIND.action,
        # No from/to state: a reminder is not a change of the assignment (its version stays),
        # like a reminder letter's "assignment.chased".
        assignment=a,
        comment=said,
    )
    notify(
        recipients=_recipients(a),
        verb="assignment_reminded",
        assignment=a,
        exclude=actor.pk,
        text=_reminder_text(a, said),
    )
    return a


def _reminder_text(a: Assignment, said: str) -> str:
    fields = {**message_fields(a), "text": said}
    if a.parent_id is None:
        return _("Reminder from the office on %(number)s, %(item)s: %(text)s") % fields
    # A sub-task is chased by the unit that handed it down: the message says who.
    return _("Reminder from %(above)s on %(number)s, %(item)s: %(text)s") % {
        **fields,
        "above": a.parent.unit.display_name,
    }


@dataclass
class UnitReminders:
    """What a "remind all red assignments of a unit" did, assignment by assignment."""

    unit: Unit
    reminded: list[tuple[int, str]] = field(default_factory=list)  # (assignment id, item)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (assignment id, item, why)
    left: int = 0  # red assignments beyond MAX_UNIT_REMINDERS, not taken on


@transaction.atomic
def unit_remind_red(*, actor: User, unit: Unit | int, text: str = "") -> UnitReminders:
    """催办 every red (overdue) assignment of a unit that the actor's office issued, each through
    ``assignment_remind`` in its own savepoint: one refused (reminded today already, say) is left
    untouched and reported with its reason, the others go out."""
    said = _clean(text)
    offices = [u for u in roles_by_unit(actor) if has_role(actor, u, REMIND.roles)]
    if not offices or not actor.is_active:
        raise role_refusal(REMIND.roles)
    found = Unit.objects.filter(pk=unit.pk if isinstance(unit, Unit) else unit).first()
    if found is None:
        raise NotAllowed(_("This unit does not exist."))
    # The office's own tasks: a sub-task is reminded by the unit that handed it down.
    candidates = Assignment.objects.filter(unit_id=found.pk, letter__office_id__in=offices, parent__isnull=True).filter(
        light_filter(Light.RED)
    )
    # In id order, as every batch locks its rows, so two batches cannot deadlock.
    red = list(candidates.order_by("pk").values_list("pk", "item__description")[: MAX_UNIT_REMINDERS + 1])
    done = UnitReminders(unit=found)
    if len(red) > MAX_UNIT_REMINDERS:
        done.left = candidates.count() - MAX_UNIT_REMINDERS
    for pk, description in red[:MAX_UNIT_REMINDERS]:
        label = description[:40]
        try:
            with transaction.atomic():
                assignment_remind(actor=actor, assignment=pk, text=said)
        except DomainError as exc:
            done.refused.append((pk, label, str(exc)))
        else:
            done.reminded.append((pk, label))
    return done
