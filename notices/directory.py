"""Responsible units by the names people write in spreadsheets: full name or short name.

Matching ignores spaces and the width of brackets (（市） and (市) are the same). A name that
matches nothing gets the closest active names suggested; a short name two units share is
ambiguous and must be written in full.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from supervision.models import Unit, UnitKind

SUGGESTIONS = 3
# How alike a suggestion must be (difflib's ratio): low enough for 甲县 → 甲县人民政府.
CUTOFF = 0.4


def normalise(name: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", name or ""))


@dataclass
class Lookup:
    unit: Unit | None
    ambiguous: bool = False
    suggestions: tuple[str, ...] = ()


class UnitDirectory:
    """Active responsible units (offices do not take items), loaded once per import."""

    def __init__(self, units: list[Unit]):
        self._by_name: dict[str, list[Unit]] = {}
        for unit in units:
            for name in {normalise(unit.name), normalise(unit.short_name)} - {""}:
                self._by_name.setdefault(name, []).append(unit)
        self._names = sorted({u.name for u in units} | {u.short_name for u in units if u.short_name})
        self._normalised = {normalise(n): n for n in self._names}
        self._seen: dict[str, Lookup] = {}

    @classmethod
    def load(cls) -> UnitDirectory:
        return cls(list(Unit.objects.filter(is_active=True).exclude(kind=UnitKind.OFFICE).order_by("pk")))

    def lookup(self, name: str) -> Lookup:
        key = normalise(name)
        if key not in self._seen:
            # A sheet names the same units row after row: each name is looked up once.
            self._seen[key] = self._lookup(key)
        return self._seen[key]

    def _lookup(self, key: str) -> Lookup:
        found = {u.pk: u for u in self._by_name.get(key, [])}
        if len(found) == 1:
            return Lookup(next(iter(found.values())))
        if found:
            return Lookup(None, ambiguous=True, suggestions=tuple(sorted(u.name for u in found.values())))
        close = difflib.get_close_matches(key, list(self._normalised), n=SUGGESTIONS, cutoff=CUTOFF)
        return Lookup(None, suggestions=tuple(self._normalised[c] for c in close))
