"""Where the generated rows go: one buffer per table, written in bulk and emptied at each flush.

On PostgreSQL a flush is one ``COPY … FROM STDIN`` per table (psycopg's ``cursor.copy``); elsewhere
(SQLite, for the tests) one multi-row INSERT per batch. Every flush is one transaction, in the
order the tables were opened (parents before children), so memory stays bounded by one chunk of
rows and every foreign key and index is checked as the rows go in: nothing is dropped or disabled.

A table is opened with the columns the generator fills; every other column must be nullable, have
a database default, or have a plain Python default (filled here with it). A NOT NULL column added
to a model later without either makes ``open`` fail at once, before anything is written, instead of
a load that breaks after minutes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, connections, models, transaction
from django.db.models.fields import NOT_PROVIDED

# Bound parameters per statement on SQLite (3.32+ allows 32,766).
SQLITE_MAX_PARAMS = 32_000


class MissingColumn(Exception):
    """A NOT NULL column the generator does not fill and the model gives no default for."""


@dataclass
class Table:
    model: type[models.Model]
    fields: list[str]  # attribute names (``unit_id``), in row order
    columns: list[str]
    constants: list[Any]  # values of the defaulted columns, appended to each row
    adapters: list[Callable[[Any], Any] | None]
    rows: list[tuple] = field(default_factory=list)
    written: int = 0

    def add(self, *row: Any) -> None:
        self.rows.append(row)


def _defaulted(model: type[models.Model], given: set[str]) -> tuple[list[str], list[Any]]:
    """The NOT NULL columns not given, each with the constant that fills it."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in given or f.primary_key or f.null or f.db_default is not NOT_PROVIDED:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            raise MissingColumn(f"{model.__name__}.{f.name} is set on save: give it")
        if f.default is NOT_PROVIDED or callable(f.default):
            raise MissingColumn(f"{model.__name__}.{f.name} is NOT NULL and has no plain default: give it")
        names.append(f.attname)
        values.append(f.get_db_prep_save(f.default, connection))
    return names, values


class Sink:
    def __init__(self, *, keys_later: bool = True) -> None:
        self.tables: list[Table] = []
        self.postgres = connection.vendor == "postgresql"
        # Checking foreign keys row by row is almost half of what a COPY costs (measured: 200,000
        # audit rows, 5.2 s to copy and 4.2 s more for their key checks). On PostgreSQL, when we may,
        # the per-row checks are skipped inside each flush and the keys are checked once at the end
        # for whole tables (``check_keys``), which costs a few index lookups.
        # Never inside a caller's transaction (a test's): SET LOCAL would outlast the flush there.
        self.keys_later = keys_later and self.postgres and not connection.in_atomic_block and _superuser()
        # With the keys checked at the end, the order tables are written in no longer matters: the
        # audit rows (half of all rows) go through a second connection while the rest goes through
        # a first, and the generator goes on with the next chunk meanwhile (three processes busy
        # instead of one on a database bound by index upkeep).
        self.lanes = [_Lane(self), _Lane(self)] if self.keys_later else []

    def open(self, model: type[models.Model], fields: Sequence[str]) -> Table:
        meta = model._meta
        given = list(fields)
        extra, constants = _defaulted(model, set(given))
        adapters: list[Callable[[Any], Any] | None] = []
        for name in given:
            f = meta.get_field(_field_name(meta, name))
            adapters.append(None if self.postgres or f.is_relation else _adapter(f))
        columns = [meta.get_field(_field_name(meta, n)).column for n in given + extra]
        table = Table(model=model, fields=given, columns=columns, constants=constants, adapters=adapters)
        self.tables.append(table)
        return table

    @property
    def pending(self) -> int:
        return sum(len(t.rows) for t in self.tables)

    def flush(self) -> None:
        """Write every buffer, parents first, in one transaction; empty them. With lanes, hand the
        buffers to them (after the previous chunk is written) and return at once."""
        if self.lanes:
            self.wait()
            jobs: list[list[tuple[Table, list[tuple]]]] = [[], []]
            for table in self.tables:
                if table.rows:
                    # The largest table alone in the second lane, the others together in the first.
                    jobs[table is self.tables[-1]].append((table, table.rows))
                    table.written += len(table.rows)
                    table.rows = []
            for lane, job in zip(self.lanes, jobs, strict=True):
                lane.submit(job)
            return
        self._write([(t, t.rows) for t in self.tables if t.rows])
        for table in self.tables:
            table.written += len(table.rows)
            table.rows = []

    def wait(self) -> None:
        """Wait for the lanes to finish what they were given; raise what went wrong there."""
        for lane in self.lanes:
            lane.join()

    def close(self) -> None:
        """Write what is left, wait for it and end the lanes (their connections closed)."""
        self.flush()
        self.wait()
        for lane in self.lanes:
            lane.stop()
        self.lanes = []

    def _write(self, job: list[tuple[Table, list[tuple]]]) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if self.keys_later:
                # For this transaction only (LOCAL: back to normal at its end, whatever happens).
                cursor.execute("SET LOCAL session_replication_role = replica")
            for table, rows in job:
                (self._copy if self.postgres else self._insert)(cursor, table, rows)

    def _copy(self, cursor: Any, table: Table, rows: list[tuple]) -> None:
        cols = ", ".join(connection.ops.quote_name(c) for c in table.columns)
        sql = f"COPY {connection.ops.quote_name(table.model._meta.db_table)} ({cols}) FROM STDIN"
        constants = tuple(table.constants)
        with cursor.cursor.copy(sql) as copy:
            write = copy.write_row
            if constants:
                for row in rows:
                    write(row + constants)
            else:
                for row in rows:
                    write(row)

    def _insert(self, cursor: Any, table: Table, rows: list[tuple]) -> None:
        quote = connection.ops.quote_name
        cols = ", ".join(quote(c) for c in table.columns)
        one = "(" + ", ".join(["%s"] * len(table.columns)) + ")"
        head = f"INSERT INTO {quote(table.model._meta.db_table)} ({cols}) VALUES "
        per = max(1, SQLITE_MAX_PARAMS // len(table.columns))
        constants = list(table.constants)
        adapters = table.adapters
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            params: list[Any] = []
            for row in chunk:
                params += [v if a is None or v is None else a(v) for v, a in zip(row, adapters, strict=True)]
                params += constants
            cursor.execute(head + ", ".join([one] * len(chunk)), params)

    def check_keys(self) -> None:
        """Every foreign key of every table written points at a row: the values span a range of
        ids that the referenced table holds without a gap (min, max and a count on indexes), or
        else no value lacks its row (an anti-join). Raises ``BrokenKey`` otherwise."""
        if not self.keys_later:
            return  # checked row by row as they went in
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in self.tables:
                if not table.written:
                    continue
                child = quote(table.model._meta.db_table)
                for f in table.model._meta.concrete_fields:
                    if not f.is_relation:
                        continue
                    parent = quote(f.related_model._meta.db_table)
                    pk = quote(f.target_field.column)
                    col = quote(f.column)
                    cursor.execute(f"SELECT MIN({col}), MAX({col}) FROM {child}")
                    low, high = cursor.fetchone()
                    if low is None:
                        continue
                    cursor.execute(f"SELECT COUNT(*) FROM {parent} WHERE {pk} BETWEEN %s AND %s", [low, high])
                    if cursor.fetchone()[0] == high - low + 1:
                        continue
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {child} C WHERE C.{col} IS NOT NULL AND NOT EXISTS "
                        f"(SELECT 1 FROM {parent} P WHERE P.{pk} = C.{col})"
                    )
                    missing = cursor.fetchone()[0]
                    if missing:
                        raise BrokenKey(f"{child}.{col}: {missing} row(s) point at no row of {parent}")


class _Lane:
    """A thread with a connection of its own, writing the jobs it is given one after the other."""

    def __init__(self, sink: Sink):
        self.sink = sink
        self.jobs: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def submit(self, job: list[tuple[Table, list[tuple]]]) -> None:
        self.jobs.put(job)

    def join(self) -> None:
        self.jobs.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join()

    def _run(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                try:
                    if job and self.error is None:
                        self.sink._write(job)
                except BaseException as exc:  # handed to the generator's thread by join()
                    self.error = exc
                finally:
                    self.jobs.task_done()
            self.jobs.task_done()
        finally:
            connections.close_all()


class BrokenKey(Exception):
    """A generated row points at a row that does not exist (a bug of the generator)."""


def _superuser() -> bool:
    # Only a superuser may set session_replication_role; anyone else keeps the per-row checks.
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _field_name(meta: Any, attname: str) -> str:
    for f in meta.concrete_fields:
        if f.attname == attname:
            return f.name
    raise MissingColumn(f"{meta.object_name} has no column {attname}")


def _adapter(f: models.Field) -> Callable[[Any], Any] | None:
    """How SQLite wants a value of this field (naive UTC text for datetimes, ISO dates)."""
    if isinstance(f, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(f, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


def next_id(model: type[models.Model]) -> int:
    """The first free id of a table, for rows the generator numbers itself (children refer to them
    before they are written). The sequence is moved past them afterwards (``reset_sequences``)."""
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def reset_sequences(models_: Sequence[type[models.Model]]) -> None:
    """Move each table's id sequence past the ids written by hand (PostgreSQL; SQLite's
    AUTOINCREMENT follows the largest id by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
