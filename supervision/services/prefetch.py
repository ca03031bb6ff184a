"""Reads made once for many objects instead of once per object, for a batch preview.

A batch preview (services/batches.py) reads one step against hundreds of objects through the
step table's own ``steps.refusal``. A few of its checks read the database per object (who made
the submission being signed off, the last progress report, whether this cycle was reported).
Inside ``reading(table)`` those reads answer from ``table``, which the preview fills beforehand
with one query per kind; a key not in it reads the database as always. Nothing under a row lock
runs inside ``reading``: the services always read afresh.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# What ``prefetched`` answers when the table has no such key (None is a value: "no report").
MISSING: Any = object()

_TABLE: ContextVar[dict[Hashable, Any] | None] = ContextVar("supervision_prefetched_reads", default=None)


def prefetched(key: Hashable) -> Any:
    """The value read beforehand for ``key``, or MISSING (then read it as usual)."""
    table = _TABLE.get()
    if table is None:
        return MISSING
    return table.get(key, MISSING)


@contextmanager
def reading(table: dict[Hashable, Any]) -> Iterator[None]:
    token = _TABLE.set(table)
    try:
        yield
    finally:
        _TABLE.reset(token)
