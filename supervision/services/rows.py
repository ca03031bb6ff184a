"""Plain-SQL row writes and the assignment lock for the transition hot path.

Every transition runs a handful of single-row statements. Built through the ORM each costs
more time compiling than the database spends running it (about 0.3 ms per statement, against
a round trip of 0.1 ms), which kept the transition loop under its target of 200 per second on
PostgreSQL. These helpers build each statement's text once per model and column set and
convert values through the model fields, so types, defaults and ``auto_now`` behave exactly as
in ``Model.save()``. They write; they decide nothing: the services keep every rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django.db import connection, models

from supervision.models import Assignment, Item, Letter, Membership, Notification, Unit, UnitResult, User


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _insert_sql(model: type[models.Model], columns: tuple[str, ...], returning: bool) -> str:
    table = _q(model._meta.db_table)
    cols = ", ".join(_q(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    return sql + f" RETURNING {_q(model._meta.pk.column)}" if returning else sql


def insert(obj: models.Model) -> models.Model:
    """INSERT one new instance, as ``obj.save(force_insert=True)`` would, and set its id."""
    meta = obj._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key or getattr(obj, f.attname) is not None]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    returning = meta.pk not in fields and connection.features.can_return_columns_from_insert
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(type(obj), tuple(f.column for f in fields), returning), values)
        if meta.pk not in fields:
            pk = cursor.fetchone()[0] if returning else cursor.lastrowid
            setattr(obj, meta.pk.attname, pk)
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


@cache
def _update_sql(model: type[models.Model], columns: tuple[str, ...]) -> str:
    sets = ", ".join(f"{_q(c)} = %s" for c in columns)
    return f"UPDATE {_q(model._meta.db_table)} SET {sets} WHERE {_q(model._meta.pk.column)} = %s"


def update(obj: models.Model, fields: Iterable[str]) -> None:
    """UPDATE the named fields of one row, as ``obj.save(update_fields=...)`` would."""
    meta = obj._meta
    chosen = [meta.get_field(name) for name in sorted(set(fields))]
    values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in chosen]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(type(obj), tuple(f.column for f in chosen)), [*values, obj.pk])


# --- the assignment lock ------------------------------------------------------------------------

_ASSIGNMENT_COLUMNS = tuple(f.attname for f in Assignment._meta.concrete_fields)


def _in_model_order(model: type[models.Model], *attnames: str) -> tuple[str, ...]:
    # Model.from_db takes a deferred instance's values in the order of the model's fields.
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in attnames)


_LETTER_COLUMNS = _in_model_order(Letter, "id", "office_id", "number", "kind", "title")
_UNIT_COLUMNS = _in_model_order(Unit, "id", "name", "short_name", "kind")
_ITEM_COLUMNS = _in_model_order(Item, "id", "description", "letter_id")


@cache
def _lock_sql(role_count: int) -> str:
    a, let, u, i = (_q(m._meta.db_table) for m in (Assignment, Letter, Unit, Item))
    m, mu = _q(Membership._meta.db_table), _q(Unit._meta.db_table)
    cols = [f"A.{_q(f.column)}" for f in Assignment._meta.concrete_fields]
    cols += [f"L.{_q(Letter._meta.get_field(c).column)}" for c in _field_names(_LETTER_COLUMNS)]
    cols += [f"U.{_q(Unit._meta.get_field(c).column)}" for c in _field_names(_UNIT_COLUMNS)]
    cols += [f"I.{_q(Item._meta.get_field(c).column)}" for c in _field_names(_ITEM_COLUMNS)]
    marks = ", ".join(["%s"] * role_count)
    order = " ".join(f"WHEN %s THEN {n}" for n in range(role_count))
    # The acting role: the first of the step's roles (in the step's order) the actor holds in
    # the unit the step is judged in (the issuing office or the assignment's unit), in an
    # active unit. Folded into the lock so a transition costs one read.
    role = (
        f"(SELECT M.{_q('role')} FROM {m} M INNER JOIN {mu} MU ON MU.{_q('id')} = M.{_q('unit_id')}"
        f" WHERE M.{_q('user_id')} = %s AND M.{_q('unit_id')} = (CASE WHEN %s THEN L.{_q('office_id')}"
        f" ELSE A.{_q('unit_id')} END) AND MU.{_q('is_active')} AND M.{_q('role')} IN ({marks})"
        f" ORDER BY CASE M.{_q('role')} {order} END LIMIT 1)"
    )
    sql = (
        f"SELECT {', '.join(cols)}, {role} FROM {a} A"
        f" INNER JOIN {let} L ON L.{_q('id')} = A.{_q('letter_id')}"
        f" INNER JOIN {u} U ON U.{_q('id')} = A.{_q('unit_id')}"
        f" INNER JOIN {i} I ON I.{_q('id')} = A.{_q('item_id')}"
        f" WHERE A.{_q('id')} = %s"
    )
    # NO KEY UPDATE: the row's key never changes, and a plain FOR UPDATE would also block the
    # KEY SHARE lock that inserting an audit row or a report referencing it takes.
    strength = "FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else "FOR UPDATE"
    if connection.features.has_select_for_update_of:
        sql += f" {strength} OF A"
    elif connection.features.has_select_for_update:
        sql += f" {strength}"
    return sql


def _field_names(attnames: Sequence[str]) -> list[str]:
    return [a.removesuffix("_id") if a.endswith("_id") else a for a in attnames]


@cache
def _converters(model: type[models.Model], attnames: tuple[str, ...]) -> list[tuple[Any, list]]:
    # The converters the ORM's compiler would apply to each column (backend first, then field).
    out = []
    for name in _field_names(attnames):
        field = model._meta.get_field(name)
        col = field.get_col(model._meta.db_table)
        out.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
    return out


def _build(model: type[models.Model], attnames: tuple[str, ...], values: Sequence[Any]) -> models.Model:
    # from_db with a subset of columns gives a deferred instance: what was read is there, any
    # other field loads on first use, as with .only().
    converted = list(values)
    for index, (col, converters) in enumerate(_converters(model, attnames)):
        for converter in converters:
            converted[index] = converter(converted[index], col, connection)
    if len(attnames) == len(model._meta.concrete_fields):
        return model.from_db(connection.alias, None, converted)
    return model.from_db(connection.alias, list(attnames), converted)


def lock_assignment(pk: int, *, actor: User, office: bool, roles: Sequence[str]) -> tuple[Assignment, str | None]:
    """Lock one assignment row and read, in the same statement, its letter, unit and item (for
    messages) and the actor's acting role. Returns (assignment, role or None); raises
    Assignment.DoesNotExist."""
    params = [actor.pk, office, *roles, *roles, pk]
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(len(roles)), params)
        row = cursor.fetchone()
    if row is None:
        raise Assignment.DoesNotExist
    n = len(_ASSIGNMENT_COLUMNS)
    spans = []
    for cols in (_LETTER_COLUMNS, _UNIT_COLUMNS, _ITEM_COLUMNS):
        spans.append((n, n + len(cols)))
        n += len(cols)
    a = _build(Assignment, _ASSIGNMENT_COLUMNS, row[: len(_ASSIGNMENT_COLUMNS)])
    related = zip(
        ("letter", "unit", "item"),
        (Letter, Unit, Item),
        (_LETTER_COLUMNS, _UNIT_COLUMNS, _ITEM_COLUMNS),
        spans,
        strict=True,
    )
    for name, model, cols, (start, end) in related:
        a._state.fields_cache[name] = _build(model, cols, row[start:end])
    return a, row[-1]


# --- notifications ------------------------------------------------------------------------------


@cache
def _notify_sql(role_count: int) -> str:
    n, m, usr = (_q(x._meta.db_table) for x in (Notification, Membership, User))
    f = Notification._meta.get_field
    cols = ", ".join(_q(f(c).column) for c in ("recipient", "verb", "text", "letter", "assignment", "created_at"))
    marks = ", ".join(["%s"] * role_count)
    return (
        f"INSERT INTO {n} ({cols}) SELECT DISTINCT M.{_q('user_id')}, %s, %s, %s, %s, %s FROM {m} M"
        f" INNER JOIN {usr} X ON X.{_q('id')} = M.{_q('user_id')}"
        f" WHERE M.{_q('unit_id')} = %s AND M.{_q('role')} IN ({marks}) AND X.{_q('is_active')}"
        f" AND M.{_q('user_id')} <> %s"
        f" RETURNING {_q('id')}, {_q(f('recipient').column)}"
    )


def notify_unit_roles(
    *,
    unit_id: int,
    roles: Sequence[str],
    verb: str,
    text: str,
    letter_id: int | None,
    assignment_id: int | None,
    created_at: Any,
    exclude: int | None,
) -> list[tuple[int, int]]:
    """One inbox row for each active holder of ``roles`` in the unit, in one INSERT … SELECT.
    Returns (notification id, recipient id) of each row, for the live push."""
    created = Notification._meta.get_field("created_at").get_db_prep_save(created_at, connection)
    params = [verb, text[:300], letter_id, assignment_id, created, unit_id, *roles, exclude or 0]
    with connection.cursor() as cursor:
        cursor.execute(_notify_sql(len(roles)), params)
        return [(int(nid), int(uid)) for nid, uid in cursor.fetchall()]


@cache
def _notify_ranked_sql(role_count: int) -> str:
    n, m, usr, r = (_q(x._meta.db_table) for x in (Notification, Membership, User, UnitResult))
    f = Notification._meta.get_field
    cols = ", ".join(_q(f(c).column) for c in ("recipient", "verb", "text", "notice", "created_at"))
    marks = ", ".join(["%s"] * role_count)
    return (
        f"INSERT INTO {n} ({cols}) SELECT DISTINCT M.{_q('user_id')}, %s, %s, %s, %s FROM {m} M"
        f" INNER JOIN {usr} X ON X.{_q('id')} = M.{_q('user_id')}"
        f" WHERE M.{_q('unit_id')} IN (SELECT R.{_q('unit_id')} FROM {r} R WHERE R.{_q('cycle_id')} = %s)"
        f" AND M.{_q('role')} IN ({marks}) AND X.{_q('is_active')} AND M.{_q('user_id')} <> %s"
        f" RETURNING {_q('id')}, {_q(f('recipient').column)}"
    )


def notify_ranked_units(
    *,
    cycle_id: int,
    roles: Sequence[str],
    verb: str,
    text: str,
    notice_id: int,
    created_at: Any,
    exclude: int | None,
) -> list[tuple[int, int]]:
    """One inbox row for each active holder of ``roles`` in any unit of the cycle's ranking, in one
    INSERT … SELECT (a province's notice reaches some 10,000 people). Returns (notification id,
    recipient id) of each row, for the live push."""
    created = Notification._meta.get_field("created_at").get_db_prep_save(created_at, connection)
    params = [verb, text[:300], notice_id, created, cycle_id, *roles, exclude or 0]
    with connection.cursor() as cursor:
        cursor.execute(_notify_ranked_sql(len(roles)), params)
        return [(int(nid), int(uid)) for nid, uid in cursor.fetchall()]


# --- many rows at once ----------------------------------------------------------------------------


def insert_many(model: type[models.Model], fields: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
    """INSERT many new rows of one model at once, without reading back their ids.

    For wide snapshots (a cycle's 5,000 unit results): ``bulk_create`` builds an instance per row
    and prepares every value through its field, which cost more than the database spent storing
    them. ``values`` holds one tuple per row, in the order of ``fields`` (attribute names, e.g.
    ``unit_id``), of plain values: numbers, Decimals, text, booleans, dates, None. On PostgreSQL
    they go in with one COPY; elsewhere through ``bulk_create``.
    """
    if not values:
        return
    meta = model._meta
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in values], batch_size=500)
        return
    cols = ", ".join(_q(meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {_q(meta.db_table)} ({cols}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)
