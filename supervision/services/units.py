"""Settings the office keeps on a responsible unit. For now: one-person units (一人单位), where
the four-eyes rule on sign-offs is waived because nobody else is there to sign."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from supervision.models import Role, Unit, UnitKind, User

from .audit import audit_record
from .errors import InvalidInput, NotAllowed
from .roles import has_role, office_ids

# Who in the office decides that a unit may sign off its own submissions.
MARKING_ROLES = (Role.DIRECTOR, Role.CLERK)


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
    if found.one_person == one_person:
        return found
    found.one_person = one_person
    found.save(update_fields=["one_person"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=office_id,
        action="unit.one_person_set" if one_person else "unit.one_person_cleared",
        comment=reason[:2000],
        data={"unit": found.pk, "unit_name": found.name, "one_person": one_person},
    )
    return found
