"""Reads about letter shares: who a letter was shared with, and who reads it anyway.

A share is a django-guardian ``view_letter`` grant, to a person (``UserObjectPermission``) or to
a unit (``GroupObjectPermission`` on the unit's group, see unit_groups.py). The services that
write them are in services/grants.py; what a grant lets someone see is in selectors/visibility.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from guardian.models import GroupObjectPermission, UserObjectPermission

from supervision.models import Assignment, Letter, Unit, User
from supervision.unit_groups import unit_id_of

CODENAME = "view_letter"


@dataclass(frozen=True)
class LetterShares:
    """The people and units a letter is shared with beyond its own distribution."""

    users: list[User]
    units: list[Unit]

    def __bool__(self) -> bool:
        return bool(self.users or self.units)


def _grants(letter: Letter) -> dict[str, object]:
    return {
        "content_type": ContentType.objects.get_for_model(Letter),
        "object_pk": str(letter.pk),
        "permission__codename": CODENAME,
    }


def letter_shared_user_ids(letter: Letter) -> set[int]:
    return set(UserObjectPermission.objects.filter(**_grants(letter)).values_list("user_id", flat=True))


def letter_shared_unit_ids(letter: Letter) -> set[int]:
    names = GroupObjectPermission.objects.filter(**_grants(letter)).values_list("group__name", flat=True)
    return {pk for pk in map(unit_id_of, names) if pk is not None}


def letter_shares(letter: Letter) -> LetterShares:
    """Who the letter is shared with, in display order (three queries)."""
    return LetterShares(
        users=list(User.objects.filter(pk__in=letter_shared_user_ids(letter)).order_by("full_name", "username")),
        units=list(Unit.objects.filter(pk__in=letter_shared_unit_ids(letter)).order_by("kind", "sort_order", "id")),
    )


def letter_receiving_unit_ids(letter: Letter) -> set[int]:
    """Units that read the letter through its own distribution: the issuing office, the addressed
    and copied units, and units holding one of its assignments (a reassignment reaches beyond the
    addressees). A share with them, or with one of their members, would add nothing."""
    ids = {letter.office_id}
    ids |= set(letter.addressees.values_list("pk", flat=True))
    ids |= set(letter.cc_units.values_list("pk", flat=True))
    ids |= set(Assignment.objects.filter(letter=letter).values_list("unit_id", flat=True).distinct())
    return ids
