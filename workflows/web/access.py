"""Who may open which part of the shell. Read from the user's memberships, which
``roles_by_unit`` loads once per request: deciding costs no further query."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from supervision.models import OFFICE_ROLES, UNIT_ROLES
from supervision.services.roles import roles_by_unit, units_with_units_below


def held_roles(user: Any) -> frozenset[str]:
    """Every role the user holds, in any active unit."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    held: set[str] = set()
    for roles in roles_by_unit(user).values():
        held |= roles
    return frozenset(held)


def held_roles_above(user: Any) -> frozenset[str]:
    """The roles the user holds in units with units below them (where tasks are handed down,
    分解/转办): read with the roles, no query of its own."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    above, by_unit = units_with_units_below(user), roles_by_unit(user)
    held: set[str] = set()
    for unit in above:
        held |= by_unit.get(unit, frozenset())
    return frozenset(held)


def holds_any(user: Any, roles: Iterable[str]) -> bool:
    return bool(held_roles(user) & frozenset(roles))


def is_office_member(user: Any) -> bool:
    # Office roles exist only in offices (Membership.clean), so the role alone tells.
    return holds_any(user, OFFICE_ROLES)


def is_unit_member(user: Any) -> bool:
    return holds_any(user, UNIT_ROLES)


def admin_shows_models(request: HttpRequest) -> bool:
    """Whether the admin site (基础数据) has anything for this person: staff status lets one in,
    but without a model permission its index only says "you don't have permission", which is
    where office clerks and observers, staff in the demo, ended up. Superusers: no query; other
    staff: the permission lookups the admin itself would make (cached on the user)."""
    user = request.user
    if not (getattr(user, "is_active", False) and getattr(user, "is_staff", False)):
        return False
    return admin.site.has_permission(request) and bool(admin.site.get_app_list(request))
