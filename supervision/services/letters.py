"""Drafting letters: the draft itself, its attachments (附件) and its items. Signing and issuing
are in letter_issue; withdrawing, closing and reopening an issued letter in letter_lifecycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils.translation import gettext as _

from supervision.models import (
    DeadlineKind,
    Item,
    ItemCategory,
    ItemSource,
    ItemUnit,
    Letter,
    LetterAttachment,
    LetterKind,
    LetterPrefix,
    LetterState,
    Role,
    Unit,
    UnitRole,
    User,
)

from .audit import audit_record
from .errors import InvalidInput, NotAllowed
from .evidence import files_check, stored_file
from .letter_titles import title_lines_clean
from .roles import require_role
from .steps import LETTER_EDIT
from .steps import require as step_require

# Limits that keep one letter printable and one page of its table readable.
MAX_TITLE = 200
MAX_TEXT = 4000


def letter_lock(letter: Letter | int) -> Letter:
    """Lock the letter's row for its writer; NotAllowed when there is no such letter."""
    pk = letter.pk if isinstance(letter, Letter) else letter
    try:
        # NO KEY UPDATE: blocks other writers of the letter but not the KEY SHARE lock that an
        # audit row or notification referencing it takes (FOR UPDATE would deadlock a
        # withdrawal against the claims it races).
        return Letter.objects.select_for_update(no_key=True).get(pk=pk)
    except Letter.DoesNotExist:
        raise NotAllowed(_("This letter does not exist or you may not see it.")) from None


def _check_units(unit_ids: Iterable[int], *, field: str, office_id: int | None = None) -> list[int]:
    """The units as given, each once, when every one may receive a letter: an active responsible
    unit, or an office below another office (a city office receives the province's letters as a
    unit) — below the issuing office itself when it is known (``office_id``), never that office."""
    ids = list(dict.fromkeys(int(u) for u in unit_ids))
    below = Q(kind="office", parent__kind="office")
    if office_id is not None:
        below &= Q(parent_id=office_id)
    found = set(
        Unit.objects.filter(pk__in=ids, is_active=True).filter(~Q(kind="office") | below).values_list("pk", flat=True)
    )
    missing = [u for u in ids if u not in found]
    if missing:
        raise InvalidInput(_("Unknown or inactive responsible unit."), field=field)
    return ids


def text_clean(value: str, *, field: str, label: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    """What was typed in a letter's field, stripped; refused when missing or too long."""
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
    title_lines: str = "",
) -> Letter:
    """A clerk starts a draft letter. ``title_lines``: the title again, one printed line per line,
    where the drafter wants it broken (empty: broken between words by itself)."""
    role = require_role(actor, office.pk, [Role.CLERK])
    if kind not in LetterKind.values:
        raise InvalidInput(_("Unknown letter kind."), field="kind")
    title = text_clean(title, field="title", label=_("Title"), limit=MAX_TITLE)
    title_lines = title_lines_clean(title, title_lines)
    body = text_clean(body, field="body", label=_("Body"), limit=20000, required=False)
    if prefix is None:
        prefix = LetterPrefix.objects.filter(office=office, kind=kind, is_active=True).order_by("pk").first()
        if prefix is None:
            raise InvalidInput(_("The office has no active number prefix for this kind of letter."), field="prefix")
    elif prefix.office_id != office.pk or not prefix.is_active or prefix.kind != kind:
        raise InvalidInput(
            _("This number prefix does not belong to the office or to this kind of letter."), field="prefix"
        )
    addressees = _check_units(addressee_ids, field="addressees", office_id=office.pk)
    cc = [u for u in _check_units(cc_ids, field="cc_units", office_id=office.pk) if u not in addressees]
    letter = Letter.objects.create(
        kind=kind,
        office=office,
        prefix=prefix,
        title=title,
        title_lines=title_lines,
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


class _Keep(Enum):
    KEEP = "keep"


# For letter_update_draft's deadline: leave it as it is (None clears it).
KEEP = _Keep.KEEP


@transaction.atomic
def letter_update_draft(
    *,
    actor: User,
    letter: Letter,
    title: str | None = None,
    body: str | None = None,
    deadline: dt.date | None | _Keep = KEEP,
    addressee_ids: Sequence[int] | None = None,
    cc_ids: Sequence[int] | None = None,
    title_lines: str | None = None,
) -> Letter:
    """Change a draft. A field left out (None; for the reply deadline, KEEP) stays as it is; the
    reply deadline is optional, so None takes it off. Line breaks of the title that no longer
    spell a changed title are dropped: the new title is broken by itself."""
    letter = letter_lock(letter)
    role = step_require(LETTER_EDIT, actor, letter)
    fields = ["updated_at"]
    if title is not None:
        letter.title = text_clean(title, field="title", label=_("Title"), limit=MAX_TITLE)
        fields.append("title")
    if title_lines is not None:
        letter.title_lines = title_lines_clean(letter.title, title_lines)
        fields.append("title_lines")
    elif title is not None and letter.title_lines:
        try:
            letter.title_lines = title_lines_clean(letter.title, letter.title_lines)
        except InvalidInput:
            letter.title_lines = ""
        fields.append("title_lines")
    if body is not None:
        letter.body = text_clean(body, field="body", label=_("Body"), limit=20000, required=False)
        fields.append("body")
    if deadline is not KEEP:
        if deadline is not None and not isinstance(deadline, dt.date):
            raise InvalidInput(_("The deadline must be a date."), field="deadline")
        letter.deadline = deadline
        fields.append("deadline")
    letter.save(update_fields=fields)
    if addressee_ids is not None:
        letter.addressees.set(_check_units(addressee_ids, field="addressees", office_id=letter.office_id))
    if cc_ids is not None:
        addressed = set(letter.addressees.values_list("pk", flat=True))
        letter.cc_units.set(
            [u for u in _check_units(cc_ids, field="cc_units", office_id=letter.office_id) if u not in addressed]
        )
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
    letter = letter_lock(letter)
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
    letter = letter_lock(found[0])
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


# The highest problem number (问题一, 问题二…) an item may carry: a sanity bound, not a quota.
MAX_PROBLEM_NO = 100_000


@dataclass(frozen=True)
class _ItemFields:
    category: str
    source: str
    site: str
    description: str
    measures: str
    deadline: dt.date
    deadline_kind: str
    leads: list[int]
    cooperating: list[int]
    problem_no: int | None

    def unit_links(self, item: Item) -> list[ItemUnit]:
        """The item's ItemUnit rows: one per lead unit (several when the sheet names them together,
        各县（市、区）: each leads on its own ground), one per cooperating unit."""
        links = [ItemUnit(item=item, unit_id=u, role=UnitRole.LEAD) for u in self.leads]
        links += [ItemUnit(item=item, unit_id=u, role=UnitRole.COOPERATING) for u in self.cooperating]
        return links


def _lead_ids(lead_unit_id: int | None, lead_unit_ids: Sequence[int]) -> list[int]:
    """The lead units asked for: ``lead_unit_ids``, and the single ``lead_unit_id`` older callers
    pass, in the order given, each once."""
    ids = list(lead_unit_ids or ())
    if lead_unit_id is not None:
        ids.insert(0, lead_unit_id)
    return ids


def _problem_no(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PROBLEM_NO:
        raise InvalidInput(
            _("The problem number must be a whole number from 1 to %(n)d.") % {"n": MAX_PROBLEM_NO},
            field="problem_no",
        )
    return value


def _item_clean(
    *,
    description: str,
    deadline: dt.date,
    category: str,
    source: str,
    site: str,
    measures: str,
    deadline_kind: str,
    lead_unit_ids: Sequence[int],
    cooperating_unit_ids: Sequence[int],
    problem_no: int | None,
) -> _ItemFields:
    """An item's fields as typed, checked the same way when it is added and when it is changed."""
    if category not in ItemCategory.values:
        raise InvalidInput(_("Unknown problem category."), field="category")
    if source not in ItemSource.values:
        raise InvalidInput(_("Unknown problem source."), field="source")
    if deadline_kind not in DeadlineKind.values:
        raise InvalidInput(_("Unknown deadline kind."), field="deadline_kind")
    if not isinstance(deadline, dt.date):
        raise InvalidInput(_("The deadline must be a date."), field="deadline")
    description = text_clean(description, field="description", label=_("Problem description"))
    measures = text_clean(measures, field="measures", label=_("Rectification measures"), required=False)
    site = text_clean(site, field="site", label=_("Site"), limit=120, required=False)
    cooperating = _check_units(cooperating_unit_ids, field="cooperating_units")
    leads = _check_units(lead_unit_ids, field="lead_unit")
    if cooperating and not leads:
        raise InvalidInput(_("Name a lead unit before cooperating units."), field="lead_unit")
    if set(leads) & set(cooperating):
        raise InvalidInput(_("The lead unit cannot also be a cooperating unit."), field="cooperating_units")
    return _ItemFields(
        category=category,
        source=source,
        site=site,
        description=description,
        measures=measures,
        deadline=deadline,
        deadline_kind=deadline_kind,
        leads=leads,
        cooperating=cooperating,
        problem_no=_problem_no(problem_no),
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
    lead_unit_ids: Sequence[int] = (),
    problem_no: int | None = None,
) -> Item:
    """Add an item to a draft. With no units named it goes to every addressed unit as lead.

    Lead units: ``lead_unit_ids`` (several when a sheet names them together: each leads on its
    own ground), or the one ``lead_unit_id``. ``problem_no``: the problem (问题一…) the item is
    a measure of, shared by that problem's items; None for an item that stands alone."""
    letter = letter_lock(letter)
    role = step_require(LETTER_EDIT, actor, letter)
    f = _item_clean(
        description=description,
        deadline=deadline,
        category=category,
        source=source,
        site=site,
        measures=measures,
        deadline_kind=deadline_kind,
        lead_unit_ids=_lead_ids(lead_unit_id, lead_unit_ids),
        cooperating_unit_ids=cooperating_unit_ids,
        problem_no=problem_no,
    )
    seq = (letter.items.aggregate(m=Max("seq"))["m"] or 0) + 1
    item = Item.objects.create(
        letter=letter,
        seq=seq,
        category=f.category,
        source=f.source,
        site=f.site,
        description=f.description,
        measures=f.measures,
        deadline=f.deadline,
        deadline_kind=f.deadline_kind,
        problem_no=f.problem_no,
    )
    ItemUnit.objects.bulk_create(f.unit_links(item))
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action="item.added",
        letter=letter,
        data={"item": item.pk, "seq": seq},
    )
    return item


# What item_update may change, in the order the audit row lists them.
ITEM_FIELDS = ("category", "source", "site", "description", "measures", "deadline", "deadline_kind", "problem_no")


@transaction.atomic
def item_update(
    *,
    actor: User,
    item: Item | int,
    description: str,
    deadline: dt.date,
    category: str = ItemCategory.SPECIFIC,
    source: str = ItemSource.SELF_INSPECTION,
    site: str = "",
    measures: str = "",
    deadline_kind: str = DeadlineKind.BY_DATE,
    lead_unit_id: int | None = None,
    cooperating_unit_ids: Sequence[int] = (),
    lead_unit_ids: Sequence[int] = (),
    problem_no: int | None | _Keep = KEEP,
) -> Item:
    """Change an item of a draft in place: every field as the form holds it, checked as item_add
    checks them; it keeps its number. The audit row names the fields that changed. The lead
    units are ``lead_unit_ids`` and/or ``lead_unit_id``, as for item_add; the problem number stays
    as it is unless ``problem_no`` is given (None takes it off)."""
    pk = item.pk if isinstance(item, Item) else item
    letter_id = Item.objects.filter(pk=pk).values_list("letter_id", flat=True).first()
    if letter_id is None:
        raise NotAllowed(_("This item does not exist or you may not see it."))
    letter = letter_lock(letter_id)
    role = step_require(LETTER_EDIT, actor, letter)
    item = Item.objects.get(pk=pk)
    f = _item_clean(
        description=description,
        deadline=deadline,
        category=category,
        source=source,
        site=site,
        measures=measures,
        deadline_kind=deadline_kind,
        lead_unit_ids=_lead_ids(lead_unit_id, lead_unit_ids),
        cooperating_unit_ids=cooperating_unit_ids,
        problem_no=item.problem_no if problem_no is KEEP else problem_no,
    )
    before = {(u, r) for u, r in item.item_units.values_list("unit_id", "role")}
    after = {(link.unit_id, link.role) for link in f.unit_links(item)}
    if item.chased_item_id and after != before:
        # A reminder's item chases the overdue tasks of the units it names: issuing it creates
        # nothing new, so a unit may be taken off it (it caught up meanwhile) but none added.
        before_units = {u for u, _role in before}
        if not after or any(u not in before_units or r != UnitRole.LEAD for u, r in after):
            raise InvalidInput(
                _("This item chases the overdue tasks of the units it names: units can be taken off it, not added."),
                field="lead_unit",
            )
    changed = [name for name in ITEM_FIELDS if getattr(item, name) != getattr(f, name)]
    for name in changed:
        setattr(item, name, getattr(f, name))
    if changed:
        item.save(update_fields=changed)
    if after != before:
        ItemUnit.objects.filter(item=item).delete()
        ItemUnit.objects.bulk_create(f.unit_links(item))
        changed.append("units")
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action="item.edited",
        letter=letter,
        data={"item": item.pk, "seq": item.seq, "changed": changed},
    )
    return item


@transaction.atomic
def item_delete(*, actor: User, item: Item) -> None:
    letter = letter_lock(item.letter_id)
    role = step_require(LETTER_EDIT, actor, letter)
    seq = item.seq
    Item.objects.filter(pk=item.pk).delete()
    # Keep numbering continuous: the printed attachment table counts 1, 2, 3…
    for later in Item.objects.filter(letter=letter, seq__gt=seq).order_by("seq"):
        Item.objects.filter(pk=later.pk).update(seq=F("seq") - 1)
    audit_record(
        actor=actor, role=role, unit_id=letter.office_id, action="item.removed", letter=letter, data={"seq": seq}
    )
