"""Who holds which role where. The services ask here before every change.

A role is held on one's own account (a Membership) or as a stand-in (授权代理, models/stand_ins.py):
while a stand-in runs, the deputy holds every role their principal holds in its unit, and a step
taken with such a role is recorded as taken for the principal. Both are read here, in one query
per user object, so the buttons, the services and the lists all see the same roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import OFFICE_ROLES, Membership, Role, StandIn, Unit, User

from .errors import NotAllowed

_CACHE_ATTR = "_supervision_roles"
_DEPUTIES_ATTR = "_supervision_deputies"


class ActingRole(str):
    """A role as the services store it (a plain string in the audit row), which also says for
    whom it was taken: ``on_behalf_of`` is the principal's id when the role, or the claim the
    step needs, came from a stand-in; ``four_eyes_waived`` is True when a one-person unit's
    sign-off went through only because the office waived the four-eyes rule.

    Being a string, it travels through every service that records its acting role
    (``audit_record(role=role, ...)``) to ``audit_event``, which writes both down: no service
    has to know about stand-ins for its audit row to say "X for Y"."""

    on_behalf_of: int | None
    four_eyes_waived: bool

    def __new__(cls, role: str, *, on_behalf_of: int | None = None, four_eyes_waived: bool = False) -> ActingRole:
        acting = super().__new__(cls, role)
        acting.on_behalf_of = on_behalf_of
        acting.four_eyes_waived = four_eyes_waived
        return acting


@dataclass(frozen=True)
class _Held:
    roles: dict[int, frozenset[str]]  # every role held, on one's own account or as a stand-in
    own: dict[int, frozenset[str]]
    lent: dict[int, dict[str, tuple[int, ...]]]  # unit → role → principals lending it, by id
    principals: dict[int, frozenset[int]]  # unit → whom the user stands in for there today
    # The user's units with units below them (active or not: a sub-task outlives its unit's
    # closing), where they may have handed tasks down (分解/转办). Read with the memberships so
    # the drawer can tell without a query of its own.
    above: frozenset[int] = frozenset()


_NOBODY = _Held({}, {}, {}, {})


@cache
def _roles_sql() -> str:
    """The user's memberships (unit, role, user, whether the unit has units below it), then the
    stand-ins the user holds today, as rows (unit, NULL, principal, NULL).

    Plain SQL, built once: every request and every transition reads it for a new user object,
    and through the ORM compiling it cost more than running it. Measured in the test settings,
    1,000 reads each: the ORM's membership read alone took 0.9 ms on SQLite and 1.8 ms on
    PostgreSQL, this one 0.16 ms and 1.3 ms. It also stays simple for PostgreSQL to plan
    (0.18 ms), which one statement fetching the principals' roles too did not (1.2 ms of
    planning for 0.1 ms of execution): those come in a second query, only for a deputy.
    Whether each unit has units below it (for the drawer's handed-down entry) costs a probe of
    the parent index per row: 1,000 reads of a county liaison's roles went from 0.33 to 0.39 ms
    each on PostgreSQL and from 0.025 to 0.027 ms on SQLite, against a query of its own."""
    m, u, s = (connection.ops.quote_name(x._meta.db_table) for x in (Membership, Unit, StandIn))
    return (
        # The EXISTS is one probe of the units' parent index per membership row.
        f"SELECT m.unit_id, m.role, m.user_id, EXISTS (SELECT 1 FROM {u} c WHERE c.parent_id = m.unit_id) "
        f"FROM {m} m JOIN {u} un ON un.id = m.unit_id "
        f"WHERE m.user_id = %s AND un.is_active = %s "
        f"UNION ALL "
        f"SELECT s.unit_id, NULL, s.principal_id, NULL FROM {s} s "
        f"WHERE s.deputy_id = %s AND s.ended_at IS NULL AND s.starts_on <= %s AND s.ends_on >= %s"
    )


def _held(user: User) -> _Held:
    """The user's roles, read once per user object: one query, and a second one only while the
    user stands in for someone."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not (user.is_authenticated and user.is_active):
        setattr(user, _CACHE_ATTR, _NOBODY)
        return _NOBODY
    today = connection.ops.adapt_datefield_value(clock.today())
    with connection.cursor() as cursor:
        cursor.execute(_roles_sql(), [user.pk, True, user.pk, today, today])
        rows = cursor.fetchall()
    own: dict[int, set[str]] = {}
    running: set[tuple[int, int]] = set()  # (unit, principal)
    above: set[int] = set()
    for unit_id, role, holder, has_below in rows:
        if role is None:
            running.add((unit_id, holder))
        else:
            own.setdefault(unit_id, set()).add(role)
            if has_below:
                above.add(unit_id)
    # A deputy who has left the unit stands in for nobody there.
    running = {(unit_id, principal) for unit_id, principal in running if unit_id in own}
    lent: dict[int, dict[str, list[int]]] = {}
    if running:
        # The principals' roles in those units, while the principal is active.
        for unit_id, role, principal in Membership.objects.filter(
            user_id__in={p for _u, p in running},
            unit_id__in={u for u, _p in running},
            unit__is_active=True,
            user__is_active=True,
        ).values_list("unit_id", "role", "user_id"):
            if (unit_id, principal) in running:
                lent.setdefault(unit_id, {}).setdefault(role, []).append(principal)
    roles = {unit: set(r) for unit, r in own.items()}
    for unit_id, by_role in lent.items():
        roles.setdefault(unit_id, set()).update(by_role)
    held = _Held(
        roles={unit: frozenset(r) for unit, r in roles.items()},
        own={unit: frozenset(r) for unit, r in own.items()},
        # Sorted: with two principals lending the same role, the same one is named every time.
        lent={unit: {role: tuple(sorted(ids)) for role, ids in by_role.items()} for unit, by_role in lent.items()},
        principals={unit: frozenset(i for ids in by_role.values() for i in ids) for unit, by_role in lent.items()},
        above=frozenset(above),
    )
    setattr(user, _CACHE_ATTR, held)
    return held


def roles_by_unit(user: User) -> dict[int, frozenset[str]]:
    """{unit id: roles} for the user, those held as a stand-in included (one query per user
    object): what a person may see and do follows from it."""
    return _held(user).roles


def units_with_units_below(user: User) -> frozenset[int]:
    """The units of the user's roles that have units below them, read with the roles: no query
    of its own."""
    return _held(user).above


def stand_in_principals(user: User) -> dict[int, frozenset[int]]:
    """{unit id: ids of the people the user stands in for there today}."""
    return _held(user).principals


def acts_for(user: User, unit_id: int, person_id: int | None) -> bool:
    """Whether ``user`` is ``person_id`` or stands in for them in the unit today."""
    return person_id is not None and (person_id == user.pk or person_id in _held(user).principals.get(unit_id, ()))


def deputies_of(user: User) -> dict[int, frozenset[int]]:
    """{unit id: ids of everyone who has ever been named to stand in for the user there}, read
    once per user object and only when asked (four eyes on an extension request needs it)."""
    cached = getattr(user, _DEPUTIES_ATTR, None)
    if cached is None:
        found: dict[int, set[int]] = {}
        if user.is_authenticated:
            for unit_id, deputy_id in StandIn.objects.filter(principal_id=user.pk).values_list("unit_id", "deputy_id"):
                found.setdefault(unit_id, set()).add(deputy_id)
        cached = {unit_id: frozenset(ids) for unit_id, ids in found.items()}
        setattr(user, _DEPUTIES_ATTR, cached)
    return cached


def forget_roles(user: User) -> None:
    """Call after changing a user's memberships or stand-ins in the same request."""
    for attr in (_CACHE_ATTR, _DEPUTIES_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def has_role(user: User, unit_id: int, roles: Iterable[str]) -> str | None:
    """The first of ``roles`` (in the order given) the user holds in the unit, or None.

    A role held on one's own account comes before one held as a stand-in, whatever the order:
    who can act on their own authority does, and is not recorded as acting for someone else.
    A role held only as a stand-in is returned as an ActingRole naming the principal."""
    held = _held(user)
    roles = tuple(roles)
    own = held.own.get(unit_id, frozenset())
    for role in roles:
        if role in own:
            return role
    lent = held.lent.get(unit_id, {})
    for role in roles:
        if role in lent:
            return ActingRole(role, on_behalf_of=lent[role][0])
    return None


def require_role(user: User, unit_id: int, roles: Iterable[str]) -> str:
    roles = tuple(roles)
    role = has_role(user, unit_id, roles)
    if role is None:
        raise role_refusal(roles)
    return role


def role_refusal(roles: Iterable[str]) -> NotAllowed:
    return NotAllowed(
        _("You need the role %(roles)s in this unit to do this.")
        % {"roles": _(" or ").join(str(Role(r).label) for r in roles)}
    )


def office_ids(user: User) -> set[int]:
    """Offices where the user holds any office role (they see everything those offices issue)."""
    # An office role, not any role: a city office's liaison works the province's letters as a unit
    # and must not see the city's own letters as its staff do.
    roles = {unit: held for unit, held in roles_by_unit(user).items() if held & OFFICE_ROLES}
    if not roles:
        return set()
    offices = set(Unit.objects.filter(pk__in=roles.keys(), kind="office").values_list("pk", flat=True))
    return offices


def unit_ids(user: User) -> set[int]:
    return set(roles_by_unit(user).keys())
