"""Who holds which role where. The services ask here before every change."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from supervision.models import Membership, Role, Unit, User

from .errors import NotAllowed

_CACHE_ATTR = "_supervision_roles"


def roles_by_unit(user: User) -> dict[int, frozenset[str]]:
    """{unit id: roles} for the user, read once per user object (one query)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        table: dict[int, set[str]] = {}
        if user.is_authenticated and user.is_active:
            for unit_id, role in Membership.objects.filter(user=user, unit__is_active=True).values_list(
                "unit_id", "role"
            ):
                table.setdefault(unit_id, set()).add(role)
        cached = {unit_id: frozenset(roles) for unit_id, roles in table.items()}
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user: User) -> None:
    """Call after changing a user's memberships in the same request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user: User, unit_id: int, roles: Iterable[str]) -> str | None:
    """The first of ``roles`` (in the order given) the user holds in the unit, or None."""
    held = roles_by_unit(user).get(unit_id, frozenset())
    for role in roles:
        if role in held:
            return role
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
    roles = roles_by_unit(user)
    if not roles:
        return set()
    offices = set(Unit.objects.filter(pk__in=roles.keys(), kind="office").values_list("pk", flat=True))
    return offices


def unit_ids(user: User) -> set[int]:
    return set(roles_by_unit(user).keys())
