"""Drafting, signing and issuing letters. Issuing fans a letter out into assignments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supervision import clock
from supervision.models import (
    Assignment,
    AssignmentState,
    DeadlineKind,
    Item,
    ItemCategory,
    ItemSource,
    ItemUnit,
    Letter,
    LetterAttachment,
    LetterKind,
    LetterNumberCounter,
    LetterPrefix,
    LetterState,
    Role,
    Unit,
    UnitRole,
    User,
)

from .audit import audit_event, audit_record, audit_record_many
from .errors import InvalidInput, InvalidTransition, NotAllowed
from .evidence import files_check, stored_file
from .notify import notify, unit_members
from .roles import require_role
from .steps import LETTER_CLOSE, LETTER_EDIT, LETTER_ISSUE, LETTER_REOPEN, LETTER_SIGN, LETTER_WITHDRAW, WITHDRAW
from .steps import refusal as step_refusal
from .steps import require as step_require

# Limits that keep one letter printable and one page of its table readable.
MAX_TITLE = 200
MAX_TEXT = 4000


def letter_number(prefix: str, year: int, serial: int) -> str:
    """文号: 吕巩办督〔2023〕19号 — full year in 〔〕, no zero padding."""
    return f"{prefix}〔{year}〕{serial}号"


def _lock_letter(letter: Letter | int) -> Letter:
    pk = letter.pk if isinstance(letter, Letter) else letter
    try:
        # NO KEY UPDATE: blocks other writers of the letter but not the KEY SHARE lock that an
        # audit row or notification referencing it takes (FOR UPDATE would deadlock a
        # withdrawal against the claims it races).
        return Letter.objects.select_for_update(no_key=True).get(pk=pk)
    except Letter.DoesNotExist:
        raise NotAllowed(_("This letter does not exist or you may not see it.")) from None


def _check_units(unit_ids: Iterable[int], *, field: str) -> list[int]:
    ids = list(dict.fromkeys(int(u) for u in unit_ids))
    found = set(Unit.objects.filter(pk__in=ids, is_active=True).exclude(kind="office").values_list("pk", flat=True))
    missing = [u for u in ids if u not in found]
    if missing:
        raise InvalidInput(_("Unknown or inactive responsible unit."), field=field)
    return ids


def _check_text(value: str, *, field: str, label: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("%(field)s is required.") % {"field": label}, field=field)
    if len(value) > limit:
        raise InvalidInput(
            _("%(field)s is too long: at most %(limit)d characters.") % {"field": label, "limit": limit},
            field=field,
        )
    return value


@transaction.atomic
def letter_create(
    *,
    actor: User,
    office: Unit,
    kind: str,
    title: str,
    body: str = "",
    deadline: dt.date | None = None,
    addressee_ids: Sequence[int] = (),
    cc_ids: Sequence[int] = (),
    prefix: LetterPrefix | None = None,
    parent: Letter | None = None,
) -> Letter:
    """A clerk starts a draft letter."""
    role = require_role(actor, office.pk, [Role.CLERK])
    if kind not in LetterKind.values:
        raise InvalidInput(_("Unknown letter kind."), field="kind")
    title = _check_text(title, field="title", label=_("Title"), limit=MAX_TITLE)
    body = _check_text(body, field="body", label=_("Body"), limit=20000, required=False)
    if prefix is None:
        prefix = LetterPrefix.objects.filter(office=office, kind=kind, is_active=True).order_by("pk").first()
        if prefix is None:
            raise InvalidInput(_("The office has no active number prefix for this kind of letter."), field="prefix")
    elif prefix.office_id != office.pk or not prefix.is_active or prefix.kind != kind:
        raise InvalidInput(
            _("This number prefix does not belong to the office or to this kind of letter."), field="prefix"
        )
    addressees = _check_units(addressee_ids, field="addressees")
    cc = [u for u in _check_units(cc_ids, field="cc_units") if u not in addressees]
    letter = Letter.objects.create(
        kind=kind,
        office=office,
        prefix=prefix,
        title=title,
        body=body,
        deadline=deadline,
        drafter=actor,
        parent=parent,
    )
    letter.addressees.set(addressees)
    letter.cc_units.set(cc)
    audit_record(
        actor=actor, role=role, unit_id=office.pk, action="letter.drafted", letter=letter, to_state=LetterState.DRAFT
    )
    return letter


@transaction.atomic
def letter_update_draft(
    *,
    actor: User,
    letter: Letter,
    title: str | None = None,
    body: str | None = None,
    deadline: dt.date | None = None,
    addressee_ids: Sequence[int] | None = None,
    cc_ids: Sequence[int] | None = None,
) -> Letter:
    letter = _lock_letter(letter)
    role = step_require(LETTER_EDIT, actor, letter)
    fields = ["updated_at"]
    if title is not None:
        letter.title = _check_text(title, field="title", label=_("Title"), limit=MAX_TITLE)
        fields.append("title")
    if body is not None:
        letter.body = _check_text(body, field="body", label=_("Body"), limit=20000, required=False)
        fields.append("body")
    if deadline is not None:
        letter.deadline = deadline
        fields.append("deadline")
    letter.save(update_fields=fields)
    if addressee_ids is not None:
        letter.addressees.set(_check_units(addressee_ids, field="addressees"))
    if cc_ids is not None:
        addressed = set(letter.addressees.values_list("pk", flat=True))
        letter.cc_units.set([u for u in _check_units(cc_ids, field="cc_units") if u not in addressed])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action="letter.edited",
        letter=letter,
        from_state=letter.state,
        to_state=letter.state,
    )
    return letter


MAX_ATTACHMENTS = 20


@transaction.atomic
def letter_attach(*, actor: User, letter: Letter | int, files: Sequence[UploadedFile]) -> list[LetterAttachment]:
    """Add files to a draft (附件). Every file is checked before any is stored."""
    letter = _lock_letter(letter)
    role = step_require(LETTER_EDIT, actor, letter)
    if not files:
        raise InvalidInput(_("Choose at least one file."), field="files")
    if letter.attachments.count() + len(files) > MAX_ATTACHMENTS:
        raise InvalidInput(_("A letter has at most %(n)d attachments.") % {"n": MAX_ATTACHMENTS}, field="files")
    files_check(files)
    added = []
    for upload in files:
        attachment = LetterAttachment(letter=letter)
        stored_file(attachment, upload, actor)
        attachment.save()
        added.append(attachment)
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action="letter.attached",
        letter=letter,
        data={"files": [a.original_name for a in added]},
    )
    return added


@transaction.atomic
def letter_detach(*, actor: User, attachment: LetterAttachment | int) -> None:
    """Remove a file from a draft. The stored file stays: its content may be shared."""
    pk = attachment.pk if isinstance(attachment, LetterAttachment) else attachment
    found = LetterAttachment.objects.filter(pk=pk).values_list("letter_id", "original_name").first()
    if found is None:
        raise NotAllowed(_("This attachment does not exist or you may not see it."))
    letter = _lock_letter(found[0])
    role = step_require(LETTER_EDIT, actor, letter)
    LetterAttachment.objects.filter(pk=pk).delete()
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action="letter.detached",
        letter=letter,
        data={"file": found[1]},
    )


@transaction.atomic
def item_add(
    *,
    actor: User,
    letter: Letter,
    description: str,
    deadline: dt.date,
    category: str = ItemCategory.SPECIFIC,
    source: str = ItemSource.SELF_INSPECTION,
    site: str = "",
    measures: str = "",
    deadline_kind: str = DeadlineKind.BY_DATE,
    lead_unit_id: int | None = None,
    cooperating_unit_ids: Sequence[int] = (),
) -> Item:
    """Add an item to a draft. With no units named it goes to every addressed unit as lead."""
    letter = _lock_letter(letter)
    role = step_require(LETTER_EDIT, actor, letter)
    if category not in ItemCategory.values:
        raise InvalidInput(_("Unknown problem category."), field="category")
    if source not in ItemSource.values:
        raise InvalidInput(_("Unknown problem source."), field="source")
    if deadline_kind not in DeadlineKind.values:
        raise InvalidInput(_("Unknown deadline kind."), field="deadline_kind")
    if not isinstance(deadline, dt.date):
        raise InvalidInput(_("The deadline must be a date."), field="deadline")
    description = _check_text(description, field="description", label=_("Problem description"))
    measures = _check_text(measures, field="measures", label=_("Rectification measures"), required=False)
    site = _check_text(site, field="site", label=_("Site"), limit=120, required=False)
    cooperating = _check_units(cooperating_unit_ids, field="cooperating_units")
    if cooperating and lead_unit_id is None:
        raise InvalidInput(_("Name a lead unit before cooperating units."), field="lead_unit")
    if lead_unit_id is not None:
        _check_units([lead_unit_id], field="lead_unit")
        if lead_unit_id in cooperating:
            raise InvalidInput(_("The lead unit cannot also be a cooperating unit."), field="cooperating_units")
    seq = (letter.items.aggregate(m=Max("seq"))["m"] or 0) + 1
    item = Item.objects.create(
        letter=letter,
        seq=seq,
        category=category,
        source=source,
        site=site,
        description=description,
        measures=measures,
        deadline=deadline,
        deadline_kind=deadline_kind,
    )
    links = []
    if lead_unit_id is not None:
        links.append(ItemUnit(item=item, unit_id=lead_unit_id, role=UnitRole.LEAD))
    links += [ItemUnit(item=item, unit_id=u, role=UnitRole.COOPERATING) for u in cooperating]
    ItemUnit.objects.bulk_create(links)
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action="item.added",
        letter=letter,
        data={"item": item.pk, "seq": seq},
    )
    return item


@transaction.atomic
def item_delete(*, actor: User, item: Item) -> None:
    letter = _lock_letter(item.letter_id)
    role = step_require(LETTER_EDIT, actor, letter)
    seq = item.seq
    Item.objects.filter(pk=item.pk).delete()
    # Keep numbering continuous: the printed attachment table counts 1, 2, 3…
    for later in Item.objects.filter(letter=letter, seq__gt=seq).order_by("seq"):
        Item.objects.filter(pk=later.pk).update(seq=F("seq") - 1)
    audit_record(
        actor=actor, role=role, unit_id=letter.office_id, action="item.removed", letter=letter, data={"seq": seq}
    )


@transaction.atomic
def letter_sign(*, actor: User, letter: Letter, comment: str = "") -> Letter:
    """签发: the director signs a draft. Four eyes: never the drafter."""
    letter = _lock_letter(letter)
    role = step_require(LETTER_SIGN, actor, letter)
    _check_ready(letter)
    from_state = letter.state
    letter.sign()
    letter.signer = actor
    letter.signed_at = clock.now()
    letter.save(update_fields=["state", "signer", "signed_at", "updated_at"])
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


def _check_ready(letter: Letter) -> list[_Target]:
    """What issuing would create; raises if the letter is not complete."""
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
            targets += [_Target(item, u, UnitRole.LEAD) for u in sorted(addressees)]
            continue
        if sum(1 for link in links if link.role == UnitRole.LEAD) != 1:
            raise InvalidInput(_("Item %(seq)d needs exactly one lead unit.") % {"seq": item.seq}, field="items")
        stray = [link for link in links if link.unit_id not in addressees]
        if stray:
            raise InvalidInput(
                _("Item %(seq)d names a unit the letter is not addressed to: %(unit)s.")
                % {"seq": item.seq, "unit": stray[0].unit.name},
                field="items",
            )
        targets += [_Target(item, link.unit_id, link.role) for link in links]
    return targets


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
    letter = _lock_letter(letter)
    role = step_require(LETTER_ISSUE, actor, letter)
    targets = _check_ready(letter)
    # A reminder's items that chase an overdue assignment create nothing: the unit goes on with
    # the assignment it has, which gets an audit row saying it was chased.
    chased = [t for t in targets if t.item.chased_assignment_id]
    addressed = sorted({t.unit_id for t in targets})
    targets = [t for t in targets if not t.item.chased_assignment_id]
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
    chased_letters = (
        dict(
            Assignment.objects.filter(pk__in=[t.item.chased_assignment_id for t in chased]).values_list("pk", "letter")
        )
        if chased
        else {}
    )
    events += [
        audit_event(
            **office,
            action="assignment.chased",
            letter=chased_letters[t.item.chased_assignment_id],
            assignment=t.item.chased_assignment_id,
            data={"reminder": letter.pk, "number": letter.number},
        )
        for t in chased
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
    return letter


def assignments_withdraw(*, actor: User, role: str, letter: Letter, reason: str) -> list[Assignment]:
    """Withdraw every assignment of a letter being withdrawn, as one bulk transition. Call under
    the letter's lock, inside its transaction, once the letter's own step has been allowed.

    Each row is locked and read against the table's WITHDRAW step (its state machine and its
    "nobody claimed it"); if any refuses, the whole withdrawal is refused and nothing is written.
    Then the rows are saved together and each gets its audit row, in one statement each."""
    # Locked in id order, as every writer of several assignments does, so two cannot deadlock.
    # A claim racing this waits for the lock, then finds its assignment withdrawn.
    held = list(Assignment.objects.select_for_update(no_key=True).filter(letter=letter).order_by("pk"))
    for a in held:
        a.letter = letter  # the locked letter: the step's role is judged in its office
    taken = sum(1 for a in held if step_refusal(WITHDRAW, actor, a) is not None)
    if taken:
        raise InvalidTransition(
            ngettext(
                "%(n)d of its assignments was already claimed or returned: the letter can no longer be withdrawn.",
                "%(n)d of its assignments were already claimed or returned: the letter can no longer be withdrawn.",
                taken,
            )
            % {"n": taken}
        )
    now = clock.now()
    events = []
    for a in held:
        from_state = a.state
        a.withdraw()
        a.version += 1
        # bulk_update does not apply auto_now: stamp it as save() would.
        a.updated_at = now
        events.append(
            audit_event(
                actor=actor,
                role=role,
                unit_id=letter.office_id,
                action=WITHDRAW.action,
                letter=letter,
                assignment=a,
                from_state=from_state,
                to_state=a.state,
                comment=reason,
                at=now,
            )
        )
    Assignment.objects.bulk_update(held, ["state", "version", "updated_at"], batch_size=500)
    audit_record_many(events)
    return held


@transaction.atomic
def letter_withdraw(*, actor: User, letter: Letter | int, reason: str) -> Letter:
    """撤回: take back a letter issued by mistake, while no unit has taken up any of its items.

    The letter keeps its number (numbers stay gap-free: a withdrawn letter is still on record)
    and every assignment it created ends as withdrawn, each with its audit row.
    """
    reason = _check_text(reason, field="reason", label=_("The reason for withdrawing"), limit=2000)
    letter = _lock_letter(letter)
    # The step's guard counts the taken assignments for a quick answer; a claim committed since
    # is caught again under the rows' locks, in assignments_withdraw.
    role = step_require(LETTER_WITHDRAW, actor, letter)
    withdrawn = assignments_withdraw(actor=actor, role=role, letter=letter, reason=reason)
    from_state = letter.state
    letter.withdraw()
    letter.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=LETTER_WITHDRAW.action,
        letter=letter,
        from_state=from_state,
        to_state=letter.state,
        comment=reason,
        data={"assignments": len(withdrawn)},
    )
    units = sorted({a.unit_id for a in withdrawn} | set(letter.addressees.values_list("pk", flat=True)))
    notify(
        recipients=unit_members(units, [Role.LIAISON, Role.LEADER]),
        verb="letter_withdrawn",
        letter=letter,
        text=_("Letter %(number)s “%(title)s” was withdrawn: %(reason)s")
        % {"number": letter.number, "title": letter.title, "reason": reason[:100]},
    )
    return letter


def letter_close_if_done(*, actor: User, role: str, letter_id: int) -> bool:
    """Close the letter once every live assignment is closed. Call inside the closing transaction.

    The letter is locked before counting: two directors closing the last two assignments at
    once would otherwise each see the other's still open and neither would close the letter.
    """
    # Only the columns the decision needs: this runs with every write-off.
    letter = Letter.objects.select_for_update(no_key=True).only("id", "state", "office_id").get(pk=letter_id)
    if not letter.close.can_proceed():
        return False
    live = Assignment.objects.filter(letter_id=letter_id).exclude(
        state__in=[AssignmentState.CLOSED, AssignmentState.REASSIGNED]
    )
    if live.exists():
        return False
    letter.close()
    letter.closed_at = clock.now()
    letter.save(update_fields=["state", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=LETTER_CLOSE.action,
        letter=letter,
        from_state=LetterState.ISSUED,
        to_state=LetterState.CLOSED,
    )
    return True


def letter_reopen_if_closed(*, actor: User, role: str, letter_id: int) -> bool:
    letter = _lock_letter(letter_id)
    if not letter.reopen.can_proceed():
        return False
    letter.reopen()
    letter.closed_at = None
    letter.save(update_fields=["state", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=LETTER_REOPEN.action,
        letter=letter,
        from_state=LetterState.CLOSED,
        to_state=LetterState.ISSUED,
    )
    return True
