"""The drafter's own line breaks of a letter's title (Letter.title_lines), checked.

GB/T 9704-2012 7.3.1 wants a title that wraps broken between words into a trapezoid or a
diamond; the printed letter does that by itself (notices/title_breaks.py), and a drafter who
wants other breaks types the title again, one printed line per line.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from .errors import InvalidInput

# 2号 (22 pt) characters across the 156 mm text block (notices.layout.TITLE_LINE_PT): 20.
TITLE_LINE_CHARS = 20
# Digits and Latin letters count for a little over half a character, as wide as fonts set them.
NARROW = 0.6


def _printed_width(line: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F") else NARROW for c in line)


def title_lines_clean(title: str, value: str | None) -> str:
    """The lines, trimmed, one per line; "" when fewer than two (the title is broken
    automatically). Refused when they do not spell the title or one is too long to print."""
    lines = [" ".join(line.split()) for line in (value or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 2:
        return ""
    if "".join("".join(lines).split()) != "".join(title.split()):
        raise InvalidInput(
            _("The title's lines, put together, must read exactly as the title (spaces aside)."),
            field="title_lines",
        )
    for number, line in enumerate(lines, start=1):
        if _printed_width(line) > TITLE_LINE_CHARS:
            raise InvalidInput(
                _("Line %(number)d of the title is too long to print on one line: at most %(limit)d characters.")
                % {"number": number, "limit": TITLE_LINE_CHARS},
                field="title_lines",
            )
    return "\n".join(lines)
