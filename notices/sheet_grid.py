"""A sheet's rows with merged cells filled in: every cell of a merged range reads as the value
written in its first cell, as a person sees the sheet.

Offices merge a problem's cell down over the rows of its measures, the category over a whole
section, a heading over two columns, a section title across the sheet. The rows come from
``notices.workbook`` as tuples; a ``Row`` is the filled list plus which of its cells were filled
from a merge (the importer tells "written again" from "merged down" by it).

Cost: the merged ranges are sorted once; each row fills only the ranges that cover it, clipped
to ``MAX_COLUMNS``, so a 5,000-row sheet with thousands of merges stays linear.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .workbook import MAX_COLUMNS, Merge, cell_text


@dataclass
class Row:
    number: int  # the sheet's row number
    values: list[Any]
    covered: frozenset[int]  # 0-based columns whose value came from a merged range above or left
    # 0-based columns of a range merged across several columns, anchored on this row:
    # first column → last column
    spans: dict[int, int]

    def get(self, index: int) -> Any:
        return self.values[index] if index < len(self.values) else None

    @functools.cached_property
    def texts(self) -> list[str]:
        """Each cell as text (``cell_text``), worked out once: every reader of the row asks."""
        return [cell_text(v) for v in self.values]

    def text(self, index: int) -> str:
        texts = self.texts
        return texts[index] if index < len(texts) else ""


def filled_rows(rows: Iterable[tuple[Any, ...]], merges: list[Merge]) -> Iterator[Row]:
    pending = sorted(
        (m for m in merges if m.first_col <= MAX_COLUMNS and (m.last_row > m.first_row or m.last_col > m.first_col)),
        key=lambda m: m.first_row,
        reverse=True,
    )
    active: list[tuple[Merge, Any]] = []
    for number, raw in enumerate(rows, start=1):
        values = list(raw)
        spans: dict[int, int] = {}
        while pending and pending[-1].first_row <= number:
            merge = pending.pop()
            if merge.first_row < number:
                continue  # its first row was never read (cannot happen with rows from row 1)
            value = values[merge.first_col - 1] if merge.first_col - 1 < len(values) else None
            active.append((merge, value))
            if merge.last_col > merge.first_col:
                spans[merge.first_col - 1] = min(merge.last_col, MAX_COLUMNS) - 1
        covered: set[int] = set()
        if active:
            active = [(m, v) for m, v in active if m.last_row >= number]
            for merge, value in active:
                last = min(merge.last_col, MAX_COLUMNS)
                if len(values) < last:
                    values.extend([None] * (last - len(values)))
                for col in range(merge.first_col, last + 1):
                    if (number, col) != (merge.first_row, merge.first_col):
                        values[col - 1] = value
                        covered.add(col - 1)
        yield Row(number, values, frozenset(covered), spans)
