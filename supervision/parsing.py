"""Ids and free text that come from outside (a query string, a form, a command line), made safe
to hand to the database. The web layer's ``workflows.params`` reads requests through these;
the documents' filters use them directly.

- An id is ASCII digits naming a positive value a 64-bit column holds. ``str.isdigit()`` is not
  that test: it passes "²" and "①", which ``int()`` rejects; and ``int()`` accepts "٣", " 7 "
  and "1_000", and numbers past a 64-bit column, which the database rejects (SQLite with an
  OverflowError, so a 500).
- Free text loses its control characters: PostgreSQL refuses a NUL in a text parameter (a
  database error, so a 500), and nobody types the others into a filter.
"""

from __future__ import annotations

import re
from typing import Any

# The largest value of a 64-bit signed column (every id here is a BigAutoField).
MAX_ID = 2**63 - 1
_MAX_ID_DIGITS = len(str(MAX_ID))
# A free-text filter longer than this is not a person's search (the list forms take 100 or 120).
MAX_TEXT_PARAM = 200
# C0 controls and DEL. Tabs and line breaks become spaces (a value pasted from a spreadsheet
# cell keeps its words apart); the rest, NUL included, too, then the ends are trimmed.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_id(raw: Any) -> int | None:
    """A positive id written in ASCII digits and within a 64-bit column, else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 < raw <= MAX_ID else None
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    # Longer than MAX_ID's digits is refused before int() spends time on it.
    if not raw or len(raw) > _MAX_ID_DIGITS or not (raw.isascii() and raw.isdecimal()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def clean_text(value: Any, max_length: int = MAX_TEXT_PARAM) -> str:
    """Free text as a filter may use it: no control characters, trimmed, at most ``max_length``."""
    if value is None:
        return ""
    # Bounded before the substitution (a megabyte of query string is not read), then the result.
    text = str(value)[: max_length * 2 + 64]
    return _CONTROL.sub(" ", text).strip()[:max_length]
