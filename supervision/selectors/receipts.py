"""Reads of read receipts (已阅): which units a document reaches, and who in each has opened it.

Only the issuing office sees receipts (every office role: the observer too); a unit sees nobody's,
not even its own unit's list, so nothing here answers for a unit. Each page costs a fixed number
of queries whatever the number of units and readers: the units in one, the receipts in another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from supervision.models import (
    OFFICE_ROLES,
    Assignment,
    Letter,
    Notice,
    NoticeState,
    PeerGroup,
    ReadReceipt,
    Unit,
    UnitResult,
    User,
)
from supervision.services.roles import has_role


@dataclass
class UnitReceipts:
    """One receiving unit and its members who opened the document, first reader first."""

    unit: Unit
    readers: list[ReadReceipt] = field(default_factory=list)
    copied: bool = False  # a letter's copied (抄送) unit rather than an addressee

    @property
    def opened(self) -> bool:
        return bool(self.readers)


@dataclass
class Receipts:
    units: list[UnitReceipts]

    @property
    def unread(self) -> list[Unit]:
        """The units where nobody has opened it yet (未阅)."""
        return [u.unit for u in self.units if not u.opened]

    @property
    def opened_count(self) -> int:
        return sum(1 for u in self.units if u.opened)


def letter_reading_units(letter: Letter) -> QuerySet[Unit]:
    """The units an issued letter went to: its addressed and copied units and any unit holding one
    of its assignments (a reassignment reaches beyond the addressees), a city office among them;
    never the issuing office. Each annotated ``addressed`` and ``copied``."""
    addressed = Letter.addressees.through.objects.filter(letter_id=letter.pk, unit_id=OuterRef("pk"))
    copied = Letter.cc_units.through.objects.filter(letter_id=letter.pk, unit_id=OuterRef("pk"))
    holding = Assignment.objects.filter(letter_id=letter.pk, unit_id=OuterRef("pk"))
    return (
        Unit.objects.annotate(addressed=Exists(addressed), copied=Exists(copied))
        .filter(Q(addressed=True) | Q(copied=True) | Exists(holding))
        # Not the issuing office; a city office the province's letter went to reads it as a unit.
        .exclude(pk=letter.office_id)
    )


def notice_reading_units(notice: Notice) -> QuerySet[UnitResult]:
    """The units a published notice ranks (its cycle's ranked results), with their unit."""
    return (
        UnitResult.objects.filter(cycle_id=notice.cycle_id, ranked_by_id=notice.office_id, ranked=True)
        .exclude(peer_group=PeerGroup.OFFICE)
        .select_related("unit")
    )


def _sees_receipts(user: User, office_id: int) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or has_role(user, office_id, OFFICE_ROLES) is not None


def _group(units: list[UnitReceipts], receipts: QuerySet[ReadReceipt]) -> Receipts:
    by_unit = {u.unit.pk: u for u in units}
    for r in receipts.select_related("user").order_by("opened_at", "id"):
        row = by_unit.get(r.unit_id)
        if row is not None:
            row.readers.append(r)
    return Receipts(units=units)


def letter_receipts(user: User, letter: Letter) -> Receipts | None:
    """Who in each unit opened the letter and when, for its office; None for anyone else and for a
    letter never issued. Two queries (the units, the receipts with their readers)."""
    if letter.issued_at is None or not _sees_receipts(user, letter.office_id):
        return None
    units = [
        UnitReceipts(unit=u, copied=u.copied and not u.addressed)
        # Addressees first, then copied units, then units reached by a reassignment.
        for u in letter_reading_units(letter).order_by("-addressed", "-copied", "kind", "sort_order", "id")
    ]
    return _group(units, ReadReceipt.objects.filter(letter_id=letter.pk))


def notice_receipts(user: User, notice: Notice) -> Receipts | None:
    """Who in each ranked unit opened the published notice and when, for its office; None for
    anyone else and for a notice not published. Two queries."""
    if notice.state != NoticeState.PUBLISHED or not _sees_receipts(user, notice.office_id):
        return None
    units = [
        UnitReceipts(unit=r.unit)
        for r in notice_reading_units(notice).order_by("unit__kind", "unit__sort_order", "unit_id")
    ]
    return _group(units, ReadReceipt.objects.filter(notice_id=notice.pk))
