"""Recording read receipts (已阅): the first time a member of a receiving unit opens an issued
letter or a published notice, on its page or as its PDF.

Called on every view of those pages, so the common case costs one indexed look-up and no write:
people with no role in a unit (the office, outsiders) are answered from the roles already read
for the page, and a person who has opened the document before by one EXISTS on the unique
(document, person) index. Only a first opening inserts, and a second tab racing it is absorbed
by that unique index: the insert is idempotent, never an error page.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from supervision import clock
from supervision.models import UNIT_ROLES, Letter, LetterState, Notice, NoticeState, ReadReceipt, User
from supervision.selectors.receipts import letter_reading_units, notice_reading_units

from .roles import roles_by_unit

# A letter is read as issued while it is live; a withdrawn one is no longer sent to anybody.
READ_LETTER_STATES = (LetterState.ISSUED, LetterState.CLOSED)


def _member_units(actor: User) -> list[int]:
    """The units where the actor holds a unit role (liaison, leader)."""
    if not actor.is_authenticated or not actor.is_active:
        return []
    return [unit_id for unit_id, roles in roles_by_unit(actor).items() if roles & UNIT_ROLES]


def _first_opening(receipt: ReadReceipt) -> bool:
    try:
        with transaction.atomic():
            receipt.save(force_insert=True)
    except IntegrityError:
        return False  # opened in another tab a moment ago: that one is the first
    return True


def letter_mark_read(*, actor: User, letter: Letter) -> bool:
    """Record that ``actor`` opened the letter, if it is the first time and they are a member of a
    unit it went to. True when a receipt was written. The caller has checked the actor may see it."""
    mine = _member_units(actor)
    if not mine or letter.state not in READ_LETTER_STATES:
        return False
    if ReadReceipt.objects.filter(letter_id=letter.pk, user_id=actor.pk).exists():
        return False
    unit_id = letter_reading_units(letter).filter(pk__in=mine).order_by("pk").values_list("pk", flat=True).first()
    if unit_id is None:
        return False  # reads it through a share, not as one of its units
    return _first_opening(ReadReceipt(user=actor, unit_id=unit_id, letter=letter, opened_at=clock.now()))


def notice_mark_read(*, actor: User, notice: Notice) -> bool:
    """Record that ``actor`` opened the published notice, if it is the first time and they are a
    member of a unit it ranks. True when a receipt was written."""
    mine = _member_units(actor)
    if not mine or notice.state != NoticeState.PUBLISHED:
        return False
    if ReadReceipt.objects.filter(notice_id=notice.pk, user_id=actor.pk).exists():
        return False
    unit_id = (
        notice_reading_units(notice)
        .filter(unit_id__in=mine)
        .order_by("unit_id")
        .values_list("unit_id", flat=True)
        .first()
    )
    if unit_id is None:
        return False
    return _first_opening(ReadReceipt(user=actor, unit_id=unit_id, notice=notice, opened_at=clock.now()))
