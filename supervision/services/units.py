"""Settings the office keeps on a responsible unit: one-person units (一人单位), where the
four-eyes rule on sign-offs is waived because nobody else is there to sign; and how any such yes/no
mark is saved and audited (``unit_flag_save``, also for a unit ranking its sub-units)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from supervision.models import Role, Unit, UnitKind, User

from .audit import audit_record
from .errors import InvalidInput, NotAllowed
from .roles import has_role, office_ids

# Who in the office decides that a unit may sign off its own submissions.
MARKING_ROLES = (Role.DIRECTOR, Role.CLERK)
# The audit action of each mark (unit.one_person_set, unit.sub_ranking_cleared…).
ACTION_NAMES = {"one_person": "one_person", "ranks_sub_units": "sub_ranking"}


@transaction.atomic
def unit_one_person_set(*, actor: User, unit: Unit | int, one_person: bool, reason: str = "") -> Unit:
    """Mark a unit as a one-person unit (``one_person=True``) or take the mark off. From then on
    each sign-off in it by whoever submitted it goes through, with ``four_eyes_waived`` in its
    audit row; without the mark four eyes hold as everywhere."""
    office_id, role = None, None
    for office in sorted(office_ids(actor)):
        role = has_role(actor, office, MARKING_ROLES)
        if role is not None:
            office_id = office
            break
    if office_id is None or role is None:
        raise NotAllowed(_("Only the office's directors and clerks may mark a one-person unit."))
    pk = unit.pk if isinstance(unit, Unit) else unit
    found = Unit.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("There is no such unit."), field="unit")
    if found.kind == UnitKind.OFFICE:
        # The office's own documents keep four eyes: a drafter never signs their draft.
        raise InvalidInput(_("An office cannot be a one-person unit."), field="unit")
    reason = (reason or "").strip()
    return unit_flag_save(
        found, "one_person", one_person, actor=actor, role=role, office_id=office_id, comment=reason[:2000]
    )


def unit_flag_save(
    found: Unit, field: str, value: bool, *, actor: User, role: str, office_id: int | None, comment: str = ""
) -> Unit:
    """Set one of the office's yes/no marks on a unit (locked by the caller, who checked the
    actor's right) and audit it as ``unit.<field>_set`` / ``unit.<field>_cleared`` in the office's
    name; nothing written when it holds that value already."""
    if getattr(found, field) == value:
        return found
    setattr(found, field, value)
    found.save(update_fields=[field])
    audit_record(
        actor=actor,
        role=role,
        unit_id=office_id,
        action=f"unit.{ACTION_NAMES[field]}_{'set' if value else 'cleared'}",
        comment=comment,
        data={"unit": found.pk, "unit_name": found.name, field: value},
    )
    return found
