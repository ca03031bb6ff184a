"""Small helpers for the bare-SQL baselines: table names, row locks, values, multi-row INSERTs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

# Bound parameters per statement on SQLite (3.32+ allows 32,766).
SQLITE_MAX_PARAMS = 32_000


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def for_update(of: str | None = None) -> str:
    """A row lock clause; SQLite has none (its immediate transactions lock the whole file)."""
    if connection.vendor != "postgresql":
        return ""
    return f" FOR UPDATE OF {of}" if of else " FOR UPDATE"


def stamp(value: dt.datetime) -> Any:
    """A timestamp as the backend stores it (SQLite: naive UTC text; PostgreSQL: as is)."""
    return connection.ops.adapt_datetimefield_value(value)


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def batched(rows: Sequence[Any], size: int) -> list[Sequence[Any]]:
    # itertools.batched arrives only with Python 3.12.
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def insert_rows(
    cur: Any,
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: str | None = None,
) -> list[tuple[Any, ...]]:
    """INSERT many rows in one statement where the backend allows it.

    PostgreSQL: ``INSERT … SELECT * FROM UNNEST(%s::type[], …)``, one array per column, so
    the statement has as many parameters as columns whatever the row count (the fastest of
    multi-row VALUES, UNNEST and executemany when measured here). SQLite: multi-row VALUES.
    """
    if not rows:
        return []
    meta = model._meta
    columns = [meta.get_field(f).column for f in fields]
    head = f"INSERT INTO {table(model)} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
    tail = f" RETURNING {returning}" if returning else ""
    out: list[tuple[Any, ...]] = []
    if connection.vendor == "postgresql" and len(rows) > 1:
        types = [meta.get_field(f).db_type(connection) for f in fields]
        arrays = [list(col) for col in zip(*rows, strict=True)]
        unnest = ", ".join(f"%s::{t}[]" for t in types)
        cur.execute(f"{head}SELECT * FROM UNNEST({unnest}){tail}", arrays)
        return cur.fetchall() if returning else out
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for chunk in batched(rows, max(1, SQLITE_MAX_PARAMS // len(columns))):
        cur.execute(head + "VALUES " + ", ".join([one] * len(chunk)) + tail, [v for row in chunk for v in row])
        if returning:
            out += cur.fetchall()
    return out
