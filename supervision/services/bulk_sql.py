"""The writes that stay in plain SQL, because one statement replaces many.

Everything else writes through the ORM. These do not, and each says what it replaces:

- ``notify_unit_roles``: a transition tells the holders of some roles in one unit (a county's
  liaisons and leaders, an office's inspectors). One ``INSERT … SELECT`` replaces reading their
  ids and a ``bulk_create`` of the rows, in four of the six steps of a task's usual life.
  Measured in the transition benchmark (bench/transitions.py, PostgreSQL 15, 2 shared cores):
  49 statements for the six steps become 44, and the service loop went from 3.11× to 2.88× its
  bare-SQL baseline (114 to 119 transitions/s).
- ``notify_ranked_units``: a published biweekly notice tells every liaison and leader of every
  unit in the cycle's ranking (a province: some 10,000 people). One ``INSERT … SELECT`` replaces
  reading the recipients' ids into Python and sending them back as 10,000 rows of a
  ``bulk_create``. Measured on PostgreSQL 15 (2 shared cores, median of 5): 10,000 rows in
  0.30 s, against 2.26 s for the ORM's read and ``bulk_create`` (7.6×).
- ``insert_many``: a closed cycle's unit results go in with one ``COPY`` on PostgreSQL, instead
  of ``bulk_create`` building and preparing a model instance per row. Measured the same way:
  2,500 results in 0.09 s, against 1.19 s for ``bulk_create`` (13×).

Single rows never come here: a transition's lock, updates and inserts go through the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, models

from supervision import clock
from supervision.models import Membership, Notification, StandIn, UnitResult, User


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _notify_unit_sql(role_count: int) -> str:
    n, m, usr, st = (_q(x._meta.db_table) for x in (Notification, Membership, User, StandIn))
    f = Notification._meta.get_field
    cols = ", ".join(_q(f(c).column) for c in ("recipient", "verb", "text", "letter", "assignment", "created_at"))
    marks = ", ".join(["%s"] * role_count)
    uid, unit, role, active = _q("user_id"), _q("unit_id"), _q("role"), _q("is_active")
    # The holders of the roles, and whoever stands in for one of them in the unit today (授权代理):
    # a stand-in does the principal's work, so they are told of it too.
    return (
        f"INSERT INTO {n} ({cols}) SELECT DISTINCT R.uid, %s, %s, %s, %s, %s FROM ("
        f"SELECT M.{uid} AS uid FROM {m} M INNER JOIN {usr} X ON X.{_q('id')} = M.{uid}"
        f" WHERE M.{unit} = %s AND M.{role} IN ({marks}) AND X.{active}"
        f" UNION SELECT S.{_q('deputy_id')} FROM {st} S"
        f" INNER JOIN {m} M ON M.{uid} = S.{_q('principal_id')} AND M.{unit} = S.{unit}"
        f" INNER JOIN {usr} X ON X.{_q('id')} = S.{_q('deputy_id')}"
        f" WHERE S.{unit} = %s AND M.{role} IN ({marks}) AND X.{active} AND S.{_q('ended_at')} IS NULL"
        f" AND S.{_q('starts_on')} <= %s AND S.{_q('ends_on')} >= %s"
        f") R WHERE R.uid <> %s"
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
    """One inbox row for each active holder of ``roles`` in the unit, and for each active stand-in
    of one of them there today, in one INSERT … SELECT. Returns (notification id, recipient id)
    of each row, for the live push."""
    created = Notification._meta.get_field("created_at").get_db_prep_save(created_at, connection)
    today = StandIn._meta.get_field("starts_on").get_db_prep_value(clock.today(), connection)
    params = [verb, text[:300], letter_id, assignment_id, created, unit_id, *roles, unit_id, *roles, today, today]
    params.append(exclude or 0)
    with connection.cursor() as cursor:
        cursor.execute(_notify_unit_sql(len(roles)), params)
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
        f" WHERE M.{_q('unit_id')} IN (SELECT R.{_q('unit_id')} FROM {r} R"
        f" WHERE R.{_q('cycle_id')} = %s AND R.{_q('ranked_by_id')} = %s)"
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
    ranked_by_id: int,
) -> list[tuple[int, int]]:
    """One inbox row for each active holder of ``roles`` in any unit of the cycle's ranking by
    ``ranked_by_id`` (an office, or a unit ranking its sub-units), in one INSERT … SELECT. Returns
    (notification id, recipient id) of each row, for the live push."""
    created = Notification._meta.get_field("created_at").get_db_prep_save(created_at, connection)
    params = [verb, text[:300], notice_id, created, cycle_id, ranked_by_id, *roles, exclude or 0]
    with connection.cursor() as cursor:
        cursor.execute(_notify_ranked_sql(len(roles)), params)
        return [(int(nid), int(uid)) for nid, uid in cursor.fetchall()]


def insert_many(model: type[models.Model], fields: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
    """INSERT many new rows of one model at once, without reading back their ids.

    ``values`` holds one tuple per row, in the order of ``fields`` (attribute names, e.g.
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
