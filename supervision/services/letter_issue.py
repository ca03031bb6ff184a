"""Signing (签发) and issuing (印发) a letter: the readiness check, the gap-free numbering, and the
fan-out of an issued letter into one assignment per unit per item."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import (
    Assignment,
    AssignmentState,
    Item,
    Letter,
    LetterNumberCounter,
    LetterPrefix,
    Role,
    UnitRole,
    User,
)
from supervision.models.assignments import DEAD_STATES

from .audit import audit_event, audit_record, audit_record_many
from .errors import InvalidInput
from .issued_documents import issued_document_after_commit
from .letters import letter_lock
from .notify import notify, unit_members
from .steps import LETTER_ISSUE, LETTER_SIGN
from .steps import require as step_require

# The longest signing comment (签发意见) kept; a longer one is cut.
MAX_COMMENT = 2000


def letter_number(prefix: str, year: int, serial: int) -> str:
    """文号: 吕巩办督〔2023〕19号 — full year in 〔〕, no zero padding."""
    return f"{prefix}〔{year}〕{serial}号"


@transaction.atomic
def letter_sign(*, actor: User, letter: Letter, comment: str = "") -> Letter:
    """签发: a director signs a draft, or the director it was sent to signs it (送签, see
    services.document_routing), with an optional comment (签发意见). Four eyes: never the drafter."""
    letter = letter_lock(letter)
    role = step_require(LETTER_SIGN, actor, letter)
    letter_check_ready(letter)
    comment = (comment or "").strip()[:MAX_COMMENT]
    from_state = letter.state
    letter.sign()
    letter.signer = actor
    letter.signed_at = clock.now()
    letter.sign_comment = comment
    letter.save(update_fields=["state", "signer", "signed_at", "sign_comment", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=LETTER_SIGN.action,
        letter=letter,
        from_state=from_state,
        to_state=letter.state,
        comment=comment,
    )
    notify(
        recipients=[letter.drafter_id],
        verb="letter_signed",
        letter=letter,
        text=_("Letter “%(title)s” was signed by %(name)s.") % {"title": letter.title, "name": actor.display_name},
    )
    return letter


@dataclass(frozen=True)
class _Target:
    item: Item
    unit_id: int
    role: str


def letter_check_ready(letter: Letter) -> list[_Target]:
    """What issuing would create; raises if the letter is not complete (checked again when it is
    sent for signature, signed and issued)."""
    addressed = list(letter.addressees.values_list("pk", "name", "is_active"))
    if not addressed:
        raise InvalidInput(_("The letter has no addressed unit."), field="addressees")
    # A unit may have been merged or dissolved between drafting and issuing.
    inactive = [name for _pk, name, active in addressed if not active]
    if inactive:
        raise InvalidInput(
            _("The letter is addressed to a unit that is no longer active: %(unit)s.") % {"unit": "、".join(inactive)},
            field="addressees",
        )
    addressees = {pk for pk, _name, _active in addressed}
    items = list(letter.items.prefetch_related("item_units__unit").order_by("seq"))
    if not items:
        raise InvalidInput(_("The letter has no items."), field="items")
    targets: list[_Target] = []
    for item in items:
        links = list(item.item_units.all())
        if not links:
            # 共性: to every addressee as lead, and only to them: never to a copied unit, and
            # never as a cooperating task (tests/test_cooperation.py holds it).
            targets += [_Target(item, u, UnitRole.LEAD) for u in sorted(addressees)]
            continue
        # Several leads are fine (各县（市、区）: each leads on its own ground); none is not, when
        # units are named at all: cooperating units need someone to cooperate with.
        if not any(link.role == UnitRole.LEAD for link in links):
            raise InvalidInput(_("Item %(seq)d needs at least one lead unit.") % {"seq": item.seq}, field="items")
        stray = [link for link in links if link.unit_id not in addressees]
        if stray:
            raise InvalidInput(
                _("Item %(seq)d names a unit the letter is not addressed to: %(unit)s.")
                % {"seq": item.seq, "unit": stray[0].unit.name},
                field="items",
            )
        targets += [_Target(item, link.unit_id, link.role) for link in links]
    return targets


def _chased_assignments(chased: list[_Target]) -> list[tuple[int, int]]:
    """(assignment id, letter id) of each (chased item, unit) pair: the unit's live assignment of
    the item (one at most: assignment_item_unit_live), in the reminder's order. A pair whose
    assignment has since been handed to another unit or withdrawn has nothing left to chase."""
    if not chased:
        return []
    found = {
        (item_id, unit_id): (pk, letter_id)
        for pk, item_id, unit_id, letter_id in Assignment.objects.filter(
            item_id__in={t.item.chased_item_id for t in chased}, unit_id__in={t.unit_id for t in chased}
        )
        .exclude(state__in=DEAD_STATES)
        .values_list("pk", "item_id", "unit_id", "letter_id")
    }
    pairs = [found.get((t.item.chased_item_id, t.unit_id)) for t in chased]
    return [pair for pair in pairs if pair is not None]


def _next_serial(prefix: LetterPrefix, year: int) -> int:
    """Take the next number under a row lock; the caller's transaction keeps it gap-free."""
    try:
        with transaction.atomic():
            LetterNumberCounter.objects.get_or_create(prefix=prefix, year=year)
    except IntegrityError:
        pass  # another issuer created the row first: lock theirs below
    counter = LetterNumberCounter.objects.select_for_update(no_key=True).get(prefix=prefix, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def letter_issue(*, actor: User, letter: Letter) -> Letter:
    """印发: number the signed letter and create one assignment per unit per item, all or nothing."""
    letter = letter_lock(letter)
    role = step_require(LETTER_ISSUE, actor, letter)
    targets = letter_check_ready(letter)
    # A reminder's items that chase an overdue item create nothing: each unit they name goes on
    # with the assignment of that item it has, which gets an audit row saying it was chased.
    chased = [t for t in targets if t.item.chased_item_id]
    addressed = sorted({t.unit_id for t in targets})
    targets = [t for t in targets if not t.item.chased_item_id]
    now = clock.now()
    year = timezone.localdate(now).year
    prefix = LetterPrefix.objects.get(pk=letter.prefix_id)
    serial = _next_serial(prefix, year)
    from_state = letter.state
    letter.issue()
    letter.year, letter.serial = year, serial
    letter.number = letter_number(prefix.prefix, year, serial)
    letter.issued_at = now
    letter.save(update_fields=["state", "year", "serial", "number", "issued_at", "updated_at"])

    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                item=t.item,
                letter=letter,
                unit_id=t.unit_id,
                role=t.role,
                deadline=t.item.deadline,
                issued_at=now,
            )
            for t in targets
        ]
    )
    # The write-off and the extension of a lead task then know whether to look for cooperating
    # tasks (Item.has_cooperating): one UPDATE, and only for a letter that names any.
    cooperating = {t.item.pk for t in targets if t.role == UnitRole.COOPERATING}
    if cooperating:
        Item.objects.filter(pk__in=cooperating).update(has_cooperating=True)
    # One audit row for the letter, one per assignment it created.
    office = {"actor": actor, "role": role, "unit_id": letter.office_id, "at": now}
    events = [
        audit_event(
            **office,
            action=LETTER_ISSUE.action,
            letter=letter,
            from_state=from_state,
            to_state=letter.state,
            data={"number": letter.number, "assignments": len(assignments)},
        )
    ]
    events += [
        audit_event(
            **office,
            action="assignment.issued",
            letter=letter,
            assignment=a,
            to_state=AssignmentState.ISSUED,
            data={"unit": a.unit_id},
        )
        for a in assignments
    ]
    events += [
        audit_event(
            **office,
            action="assignment.chased",
            letter=letter_id,
            assignment=pk,
            data={"reminder": letter.pk, "number": letter.number},
        )
        for pk, letter_id in _chased_assignments(chased)
    ]
    audit_record_many(events)

    notify(
        recipients=unit_members(addressed, [Role.LIAISON, Role.LEADER]),
        verb="letter_issued",
        letter=letter,
        text=_("New letter %(number)s “%(title)s” has items for your unit.")
        % {"number": letter.number, "title": letter.title},
    )
    cc = list(letter.cc_units.values_list("pk", flat=True))
    if cc:
        notify(
            recipients=unit_members(cc, [Role.LIAISON, Role.LEADER]),
            verb="letter_copied",
            letter=letter,
            text=_("Letter %(number)s “%(title)s” was copied to your unit.")
            % {"number": letter.number, "title": letter.title},
        )
    # The PDF as issued is rendered and kept by the worker once this commits, not here.
    issued_document_after_commit(letter=letter)
    return letter
