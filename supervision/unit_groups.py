"""The django-guardian group that holds a unit's object grants.

A letter shared with a unit is a ``GroupObjectPermission`` on that unit's group. Who belongs to
the unit is never copied into ``auth.Group`` membership: the selectors resolve a user's units
from ``Membership`` at query time, so someone who joins a unit reads what was shared with it at
once, and someone who leaves stops reading it at once, with nothing to keep in sync. The group
is only the grant's holder, found by its name.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group

# Reserved prefix: no group of people is ever named like this (the admin creates none).
PREFIX = "unit:"


def unit_group_name(unit_id: int) -> str:
    return f"{PREFIX}{unit_id}"


def unit_group_names(unit_ids: Iterable[int]) -> list[str]:
    return [unit_group_name(pk) for pk in sorted(unit_ids)]


def unit_id_of(group_name: str) -> int | None:
    """The unit a grant group stands for, or None for any other group."""
    if not group_name.startswith(PREFIX):
        return None
    tail = group_name[len(PREFIX) :]
    return int(tail) if tail.isascii() and tail.isdigit() else None


def unit_group(unit_id: int) -> Group:
    """The unit's grant group, created the first time something is shared with the unit."""
    group, _created = Group.objects.get_or_create(name=unit_group_name(unit_id))
    return group
