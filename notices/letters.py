"""Letters (督办函 / 交办函 / 催办函) as GB/T 9704-2012 documents.

``letter_pdf(letter)`` is all a caller needs; the view and the command decide who may ask.
The issuing body printed in the red mark and as the signature is the letter prefix's
``issuing_body`` (a leading group often issues in its own name, not the office's); the office's
own name is the fallback, and is always the printing body (印发机关) of the 版记.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from supervision import clock
from supervision.models import ItemUnit, Letter, LetterKind, LetterState, UnitRole

from . import layout, wording
from .pdf import document_html, html_to_pdf

TEMPLATE = "notices/letter.html"


@dataclass(frozen=True)
class ItemRow:
    seq: int
    description: str
    measures: str
    lead: str
    cooperating: str
    deadline: str


def _local_date(at: dt.datetime | None) -> dt.date:
    return timezone.localdate(at) if at else clock.today()


def _items(letter: Letter) -> list[ItemRow]:
    links = ItemUnit.objects.select_related("unit").order_by("unit__kind", "unit__sort_order", "unit_id")
    rows = []
    for item in letter.items.order_by("seq").prefetch_related(Prefetch("item_units", queryset=links)):
        units = list(item.item_units.all())
        lead = [u.unit.name for u in units if u.role == UnitRole.LEAD]
        cooperating = [u.unit.name for u in units if u.role == UnitRole.COOPERATING]
        rows.append(
            ItemRow(
                seq=item.seq,
                description=item.description,
                measures=item.measures,
                # An item naming no unit goes to every addressee as lead (see ItemUnit).
                lead="、".join(lead) if units else wording.EVERY_ADDRESSEE,
                cooperating="、".join(cooperating),
                deadline=item.deadline_text,
            )
        )
    return rows


def _stamp(letter: Letter) -> str:
    """What a letter that has not gone out (or was taken back) says across its pages."""
    # Sent for signature (送签) is still a draft on paper.
    if letter.state in (LetterState.DRAFT, LetterState.PENDING_SIGNATURE):
        return wording.DRAFT
    if letter.state == LetterState.SIGNED:
        return wording.NOT_PUBLISHED
    if letter.state == LetterState.WITHDRAWN:
        return wording.WITHDRAWN
    return ""


def letter_context(letter: Letter) -> dict[str, Any]:
    """Everything the letter template prints; call with the document language active."""
    letter = Letter.objects.select_related("prefix", "office").get(pk=letter.pk)
    issuing_body = (letter.prefix.issuing_body or "").strip() or letter.office.name
    addressees = [u.name for u in letter.addressees.order_by("kind", "sort_order", "id")]
    cc = [u.name for u in letter.cc_units.order_by("kind", "sort_order", "id")]
    grid = layout.grid()
    kind_label = str(LetterKind(letter.kind).label)
    return {
        "letter": letter,
        "layout": layout,
        "grid": grid,
        "mark": layout.mark(issuing_body),
        "kind_mark": layout.mark(kind_label),
        "kind_label": kind_label,
        "issuing_body": issuing_body,
        "number": letter.number or "",
        "addressees": "、".join(addressees) + "：" if addressees else "",
        "paragraphs": [line.strip() for line in letter.body.splitlines() if line.strip()],
        "items": _items(letter),
        "signed_on": wording.chinese_date(_local_date(letter.signed_at or letter.issued_at)),
        "cc": "，".join(cc) + "。" if cc else "",
        # No inner spaces: the one space before the date is what pushes it to the right.
        "printer": "".join(letter.office.name.split()),
        "printed_on": wording.chinese_date(_local_date(letter.issued_at)),
        "stamp": _stamp(letter),
        "w": wording,
    }


def letter_html(letter: Letter) -> str:
    with wording.document_language():
        return document_html(TEMPLATE, letter_context(letter))


def letter_pdf(letter: Letter) -> bytes:
    return html_to_pdf(letter_html(letter))


def letter_filename(letter: Letter) -> str:
    """What the downloaded file is called: its number, or the title of a draft."""
    name = letter.number or letter.title
    return f"{name}.pdf".replace("/", "_").replace("\\", "_")
