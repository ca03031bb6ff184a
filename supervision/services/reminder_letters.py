"""Reminder letters (催办函) for overdue assignments: the draft the tick keeps for each letter,
written as the office's clerk through the letter services. Like a reminder an office writes by
hand, it is addressed to the units that have overdue tasks and lists each overdue item once,
with the units that are late on it (its lead units); each item names the item it chases. The
office's clerk reviews it, signs it off with the director and issues it (see services.cycles);
issuing chases each unit's own assignment and creates none.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import translation
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


def _reply_by(now: dt.datetime, office_id: int) -> dt.date:
    # Report by the cut-off of the open cycle of the office that issued the letter: the next time
    # it compiles progress (each office runs its own cycles; another's may lag or have stopped).
    cycle = Cycle.objects.filter(office_id=office_id, state=CycleState.OPEN).first()
    if cycle is not None and cycle.cutoff_at > now:
        return cycle_calendar.local_date(cycle.cutoff_at)
    return clock.today() + dt.timedelta(days=7)


@transaction.atomic
def reminder_draft_extend(*, letter_id: int, chased: list[tuple[int, int]], now: dt.datetime) -> Letter | None:
    """Add (assignment id, unit id) pairs of one letter to its draft reminder letter, drafting one
    (through the letter services, as the office's clerk) if none is waiting, addressed to those
    units. Each overdue item is one item of the draft naming its overdue units as leads, with the
    chased item's texts and the missed deadline (see ``_chase_items``); issuing the reminder
    chases the units' assignments rather than creating new ones."""
    # The office chases its own tasks only: a sub-task late below is chased by the unit that
    # handed it down (its reminder by hand), and its lateness shows on the parent's light.
    top = set(
        Assignment.objects.filter(pk__in=[pk for pk, _unit in chased], parent__isnull=True).values_list("pk", flat=True)
    )
    chased = [(pk, unit_id) for pk, unit_id in chased if pk in top]
    if not chased:
        return None
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
        # A letter is a document in the site's language (公文), whoever or whatever drafts it: the
        # tick runs in no request's language, and an English-speaking clerk still issues Chinese.
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Reminder on the overdue items of %(number)s") % {"number": letter.number or letter.title}
            body = _(
                "The items below of letter %(number)s “%(title)s” are past their deadline. Please finish "
                "them without delay and report the progress by the date given."
            ) % {"number": letter.number or "", "title": letter.title}
        draft = letter_create(
            actor=clerk,
            office=letter.office,
            kind=LetterKind.REMINDER,
            title=title,
            body=body,
            deadline=_reply_by(now, letter.office_id),
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
    """Put each overdue assignment on the draft as its unit under the item it chases: one
    reminder item per overdue item, naming every overdue unit of it as a lead unit. A unit that
    lapses while the draft waits joins its item's reminder item; a newly overdue item becomes a
    new one. Written in bulk (a deadline day can make hundreds overdue at once), with item_add's
    audit rows; the texts are the chased items' own, checked when they were first added."""
    draft = Letter.objects.select_for_update(no_key=True).get(pk=draft.pk)
    role = steps.require(LETTER_EDIT, actor, draft)
    # (chased item, unit) pairs already on the draft, and the draft's item for each chased item.
    on_draft = set(
        ItemUnit.objects.filter(item__letter=draft, item__chased_item__isnull=False).values_list(
            "item__chased_item_id", "unit_id"
        )
    )
    rows = [
        a
        for a in Assignment.objects.filter(pk__in=assignment_ids, unit__is_active=True)
        .select_related("item")
        .order_by("item__seq", "item_id", "unit__sort_order", "unit_id", "pk")
        if (a.item_id, a.unit_id) not in on_draft
    ]
    if not rows:
        return []
    by_item: dict[int, list[Assignment]] = {}
    for a in rows:
        by_item.setdefault(a.item_id, []).append(a)
    reminder_items = {
        item.chased_item_id: item for item in Item.objects.filter(letter=draft, chased_item_id__in=list(by_item))
    }
    seq = Item.objects.filter(letter=draft).aggregate(m=Max("seq"))["m"] or 0
    fresh = [item_id for item_id in by_item if item_id not in reminder_items]
    created = Item.objects.bulk_create(
        [
            Item(
                letter=draft,
                seq=seq + n,
                category=chased.category,
                source=chased.source,
                site=chased.site,
                description=chased.description,
                measures=chased.measures,
                # The missed deadline: the earliest of its units' (an extension may have moved one).
                deadline=min(a.deadline for a in by_item[item_id]),
                deadline_kind=chased.deadline_kind,
                problem_no=chased.problem_no,
                chased_item_id=item_id,
            )
            for n, (item_id, chased) in enumerate(((i, by_item[i][0].item) for i in fresh), start=1)
        ]
    )
    reminder_items.update({item.chased_item_id: item for item in created})
    ItemUnit.objects.bulk_create(
        [ItemUnit(item=reminder_items[a.item_id], unit_id=a.unit_id, role=UnitRole.LEAD) for a in rows]
    )
    # A unit joining an item already on the draft with an earlier missed deadline moves it.
    joined = [reminder_items[item_id] for item_id in by_item if item_id not in fresh]
    for item in joined:
        earliest = min(a.deadline for a in by_item[item.chased_item_id])
        if earliest < item.deadline:
            Item.objects.filter(pk=item.pk).update(deadline=earliest)
    now = clock.now()
    office = {"at": now, "actor": actor, "role": role, "unit_id": draft.office_id, "letter": draft}
    audit_record_many(
        [audit_event(**office, action="item.added", data={"item": item.pk, "seq": item.seq}) for item in created]
        + [
            audit_event(
                **office,
                action="item.edited",
                data={
                    "item": item.pk,
                    "seq": item.seq,
                    "changed": ["units"],
                    "units": [a.unit_id for a in by_item[item.chased_item_id]],
                },
            )
            for item in joined
        ]
    )
    return [reminder_items[item_id] for item_id in by_item]
