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

from django.utils import timezone

from supervision import clock
from supervision.models import Letter, LetterKind, LetterState, Unit

from . import layout, metrics, title_breaks, wording
from .fonts import FontStacks, font_stacks
from .letter_items import ItemRow as ItemRow  # the rows of the attachment table, built there
from .letter_items import ItemTable, item_table
from .pdf import document_html, html_to_pdf
from .typeset import Setter

TEMPLATE = "notices/letter.html"


def _local_date(at: dt.datetime | None) -> dt.date:
    return timezone.localdate(at) if at else clock.today()


def _items(letter: Letter) -> ItemTable:
    """The attachment table (see notices/letter_items.py); a reminder counts overdue days to the
    letter's date, as printed under the signature."""
    return item_table(letter, as_of=_local_date(letter.signed_at or letter.issued_at))


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


@dataclass(frozen=True)
class Type:
    """The fonts of a letter, measured (notices/metrics.py), and the setter of its body."""

    body: metrics.Font
    title: metrics.Font
    grid: layout.Grid

    @classmethod
    def of(cls, fonts: FontStacks) -> Type:
        return cls(
            body=metrics.Font(str(fonts.serif)),
            title=metrics.Font(str(fonts.title), fonts.title_weight),
            grid=layout.grid(),
        )

    @property
    def setter(self) -> Setter:
        return Setter(self.body, layout.BODY_PT, self.grid.letter_spacing_pt, layout.BLOCK_WIDTH_MM * layout.MM)

    def body_width(self, text: str) -> float:
        return self.setter.natural(text)

    def title_width(self, text: str) -> float:
        return metrics.width_pt(self.title, text, size_pt=layout.TITLE_PT)

    def imprint_width(self, text: str) -> float:
        return metrics.width_pt(self.body, text, size_pt=layout.FOLIO_PT)


def _title_lines(letter: Letter, t: Type) -> list[str]:
    """7.3.1: the drafter's own line breaks if they spell the title, else breaks between words."""
    drafted = title_breaks.drafted_lines(letter.title, letter.title_lines or "")
    if drafted:
        return drafted
    return title_breaks.balanced_lines(
        letter.title, width=t.title_width, limit=layout.TITLE_LINE_PT, em=layout.TITLE_PT
    )


def _short_name(issuing_body: str, office: Unit) -> str:
    """规范化简称 of the issuing body: its own if it is a unit that has one, else the office's (a
    leading group named only in the letter prefix has no short form of its own)."""
    if issuing_body != office.name:
        own = Unit.objects.filter(name=issuing_body).exclude(short_name="").values_list("short_name", flat=True)
        if short := next(iter(own[:1]), ""):
            return short
    return office.short_name.strip()


def _signature(issuing_body: str, office: Unit, signed_on: str, t: Type) -> layout.Signature:
    def wrap(name: str, limit: float) -> list[str]:
        return title_breaks.balanced_lines(name, width=t.body_width, limit=limit, em=layout.BODY_PT, shape=False)

    return layout.signature(
        [issuing_body, _short_name(issuing_body, office)],
        signed_on,
        width=t.body_width,
        cell_pt=t.grid.cell_pt,
        wrap=wrap,
    )


def _printer(office: Unit, printed_on: str, t: Type) -> str:
    """印发机关 of the 版记 (7.4.3): on one line with the date, each a character in from its edge;
    a name too long for that is printed in its short form."""
    name = "".join(office.name.split())
    short = "".join(office.short_name.split())
    room = layout.BLOCK_WIDTH_MM * layout.MM - 3 * layout.FOLIO_PT  # two margins and a space at least
    if short and t.imprint_width(name + printed_on + str(wording.PRINTED)) > room:
        return short
    return name


def letter_context(letter: Letter) -> dict[str, Any]:
    """Everything the letter template prints; call with the document language active."""
    letter = Letter.objects.select_related("prefix", "office").get(pk=letter.pk)
    issuing_body = " ".join(((letter.prefix.issuing_body or "").strip() or letter.office.name).split())
    addressees = [u.name for u in letter.addressees.order_by("kind", "sort_order", "id")]
    cc = [u.name for u in letter.cc_units.order_by("kind", "sort_order", "id")]
    fonts = font_stacks()
    t = Type.of(fonts)
    grid = t.grid
    setter = t.setter
    indent = 2 * grid.cell_pt  # 每个自然段左空二字
    kind_label = str(LetterKind(letter.kind).label)
    items = _items(letter)
    signed_on = wording.chinese_date(_local_date(letter.signed_at or letter.issued_at))
    printed_on = wording.chinese_date(_local_date(letter.issued_at))
    note = f"{wording.ATTACHMENT_NOTE}{wording.ITEMS_TITLE}"
    return {
        "letter": letter,
        "fonts": fonts,
        "layout": layout,
        "grid": grid,
        "mark": layout.mark(issuing_body),
        "kind_mark": layout.mark(kind_label),
        "kind_label": kind_label,
        "issuing_body": issuing_body,
        "number": letter.number or "",
        "title_lines": _title_lines(letter, t),
        # 主送机关 (7.3.2): flush left, a wrapped line flush left too.
        "addressees": setter.paragraph("、".join(addressees) + "：") if addressees else [],
        "paragraphs": [
            setter.paragraph(line.strip(), first_indent_pt=indent) for line in letter.body.splitlines() if line.strip()
        ],
        # 附件说明 (7.3.4): a name that wraps aligns under its first character, after 附件：.
        "attachment_note": (
            setter.paragraph(
                note, first_indent_pt=indent, indent_pt=indent + setter.natural(str(wording.ATTACHMENT_NOTE))
            )
            if items
            else []
        ),
        "items": items,
        "signed_on": signed_on,
        "signature": _signature(issuing_body, letter.office, signed_on, t),
        "cc": "，".join(cc) + "。" if cc else "",
        # No inner spaces: the one space before the date is what pushes it to the right.
        "printer": _printer(letter.office, printed_on, t),
        "printed_on": printed_on,
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
