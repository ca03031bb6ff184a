"""How offices write what a unit directory holds: names of units and people, phone numbers, the
kind a unit's name suggests, choices by their code, English or Chinese label. Used by
``notices.contacts`` when it checks the rows.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils import translation

from supervision.models import UnitKind
from supervision.selectors.directory import name_key

from . import wording
from .contacts_layout import heading_key

# Phone numbers as offices write them: a mobile (+86 allowed), a landline with its area code
# (a hyphen, brackets or an extension allowed), or a local number of 7-8 digits.
PHONE_PATTERNS = (
    re.compile(r"(?:\+?86)?1[3-9]\d{9}"),
    re.compile(r"0\d{2,3}-?\d{7,8}(?:(?:-|转)\d{1,6})?"),
    re.compile(r"\d{7,8}(?:(?:-|转)\d{1,6})?"),
)
# What a unit's name ends with, and the kind that usually means (after 人民政府 and the like).
GOVERNMENT_SUFFIX = re.compile(r"(人民政府|政府|办事处|党委|党工委)$")
KIND_ENDINGS = (
    (("专班",), UnitKind.WORK_TEAM),
    (("街道", "乡", "镇"), UnitKind.TOWNSHIP),
    (("县", "区", "市", "旗"), UnitKind.COUNTY),
    (
        ("局", "委", "办", "科", "委员会", "中心", "厅", "署", "院", "所", "站", "队", "处", "室", "部"),
        UnitKind.DEPARTMENT,
    ),
)


def choice_table(choices: type, aliases: dict[str, str]) -> dict[str, str]:
    """Every way a choice may be written: its code, its English and Chinese labels, aliases."""
    table: dict[str, str] = {}
    for language in ("en", wording.DOCUMENT_LANGUAGE):
        with translation.override(language):
            table.update({heading_key(str(c.label)): c.value for c in choices})
    table.update({heading_key(c.value): c.value for c in choices})
    table.update({heading_key(k): v for k, v in aliases.items()})
    return table


def choice_labels(choices: type, values: tuple[str, ...]) -> str:
    with translation.override(wording.DOCUMENT_LANGUAGE):
        return "、".join(str(choices(v).label) for v in values)


def infer_kind(name: str) -> str:
    """The kind a unit's name suggests by its ending (县/区/市 county, 局/委/办 department, 专班
    work team, 乡/镇/街道 township), "" when it suggests none."""
    base = GOVERNMENT_SUFFIX.sub("", name_key(name))
    for endings, kind in KIND_ENDINGS:
        if base.endswith(endings):
            return kind
    return ""


def unit_name(text: str) -> str:
    """A unit's name as stored: as typed, without spaces (Chinese unit names have none)."""
    return re.sub(r"\s", "", text)


def person_name(text: str) -> str:
    """A person's name as stored: spaces removed between Chinese characters, one kept between
    words in Latin letters."""
    text = " ".join(text.split())
    return text if re.search(r"[A-Za-z]", text) else text.replace(" ", "")


def phone_looks_right(phone: str) -> bool:
    plain = re.sub(r"[\s()（）]", "", phone)
    pieces = [p for p in re.split(r"[/、,，;；]+", plain) if p]
    return bool(pieces) and all(any(p.fullmatch(piece) for p in PHONE_PATTERNS) for piece in pieces)


def phone_text(text: str) -> str:
    # Full-width digits and brackets as offices type them, spaces dropped.
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
