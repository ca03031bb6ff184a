"""Reminder letters (催办函) for overdue assignments: the draft the tick keeps for each letter,
written as the office's clerk through the letter services, one item per chased assignment. The
office's clerk reviews it, signs it off with the director and issues it (see services.cycles).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from supervision import clock, cycle_calendar
from supervision.models import (
    Assignment,
    Cycle,
    CycleState,
    Item,
    ItemUnit,
    Letter,
    LetterKind,
    LetterState,
    Membership,
    Role,
    UnitRole,
    User,
)

from . import steps
from .audit import audit_event, audit_record_many
from .errors import DomainError
from .letters import letter_create, letter_update_draft
from .steps import LETTER_EDIT


def _office_clerk(office_id: int) -> User | None:
    """Who the draft is for: the office's first active clerk."""
    membership = (
        Membership.objects.filter(unit_id=office_id, role=Role.CLERK, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    return membership.user if membership is not None else None


def _reply_by(now: dt.datetime) -> dt.date:
    # Report by the cut-off of the open cycle: the next time the office compiles progress.
    cycle = Cycle.objects.filter(state=CycleState.OPEN).first()
    if cycle is not None and cycle.cutoff_at > now:
        return cycle_calendar.local_date(cycle.cutoff_at)
    return clock.today() + dt.timedelta(days=7)


@transaction.atomic
def reminder_draft_extend(*, letter_id: int, chased: list[tuple[int, int]], now: dt.datetime) -> Letter | None:
    """Add (assignment id, unit id) pairs of one letter to its draft reminder letter, drafting one
    (through the letter services, as the office's clerk) if none is waiting. Each overdue
    assignment becomes one item naming its unit as lead, with the chased item's texts and the
    missed deadline; issuing the reminder chases it rather than creating a new assignment."""
    letter = Letter.objects.only("id", "office_id", "number", "title", "kind").get(pk=letter_id)
    clerk = _office_clerk(letter.office_id)
    if clerk is None:
        raise DomainError(_("The office has no active clerk to draft the reminder letter for."))
    units = sorted({unit_id for _pk, unit_id in chased})
    draft = (
        Letter.objects.filter(kind=LetterKind.REMINDER, parent_id=letter_id, state=LetterState.DRAFT)
        .order_by("pk")
        .first()
    )
    if draft is None:
        draft = letter_create(
            actor=clerk,
            office=letter.office,
            kind=LetterKind.REMINDER,
            title=_("Reminder on the overdue items of %(number)s") % {"number": letter.number or letter.title},
            body=_(
                "The items below of letter %(number)s “%(title)s” are past their deadline. Please finish "
                "them without delay and report the progress by the date given."
            )
            % {"number": letter.number or "", "title": letter.title},
            deadline=_reply_by(now),
            addressee_ids=units,
            parent=letter,
        )
    else:
        addressed = set(draft.addressees.values_list("pk", flat=True))
        if not set(units) <= addressed:
            letter_update_draft(actor=clerk, letter=draft, addressee_ids=sorted(addressed | set(units)))
    _chase_items(draft, [pk for pk, _unit in chased], actor=clerk)
    return draft


def _chase_items(draft: Letter, assignment_ids: list[int], *, actor: User) -> list[Item]:
    """Add one item per overdue assignment to the draft: item_add's rows (the item, its lead unit,
    an ``item.added`` audit row), written in bulk — a deadline day can make hundreds overdue at
    once. The texts are the chased items' own, checked when they were first added."""
    draft = Letter.objects.select_for_update(no_key=True).get(pk=draft.pk)
    role = steps.require(LETTER_EDIT, actor, draft)
    on_draft = set(Item.objects.filter(letter=draft).values_list("chased_assignment_id", flat=True))
    rows = list(
        Assignment.objects.filter(pk__in=assignment_ids, unit__is_active=True)
        .exclude(pk__in=[pk for pk in on_draft if pk])
        .select_related("item")
        .order_by("pk")
    )
    if not rows:
        return []
    seq = Item.objects.filter(letter=draft).aggregate(m=Max("seq"))["m"] or 0
    items = Item.objects.bulk_create(
        [
            Item(
                letter=draft,
                seq=seq + n,
                category=a.item.category,
                source=a.item.source,
                site=a.item.site,
                description=a.item.description,
                measures=a.item.measures,
                deadline=a.deadline,
                deadline_kind=a.item.deadline_kind,
                chased_assignment_id=a.pk,
            )
            for n, a in enumerate(rows, start=1)
        ]
    )
    ItemUnit.objects.bulk_create(
        [ItemUnit(item=item, unit_id=a.unit_id, role=UnitRole.LEAD) for item, a in zip(items, rows, strict=True)]
    )
    now = clock.now()
    audit_record_many(
        [
            audit_event(
                at=now,
                actor=actor,
                role=role,
                unit_id=draft.office_id,
                action="item.added",
                letter=draft,
                data={"item": item.pk, "seq": item.seq},
            )
            for item in items
        ]
    )
    return items
