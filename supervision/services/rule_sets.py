"""The scoring rules of each office (RuleSet versions, one current per office) and which units
rank the units below them: read, revised by a new version, switched on per unit, audited."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from supervision import clock, offices, scoring
from supervision.models import (
    DEFAULT_WEIGHTS,
    WEIGHT_FIELDS,
    Membership,
    Role,
    RuleSet,
    Unit,
    UnitKind,
    User,
)

from .audit import audit_record
from .errors import InvalidInput, NotAllowed
from .roles import has_role
from .units import MARKING_ROLES, unit_flag_save

# --- rule sets ------------------------------------------------------------------------------------


def ruleset_current(office: Unit | int | None = None) -> RuleSet:
    """The office's rule set in force (default: the default office's); version 1 with the
    documented defaults if it has none yet."""
    office_id = offices.office_id_of(office)
    if office_id is None:
        raise InvalidInput(_("There is no office to rank for."), field="office")
    current = RuleSet.objects.filter(office_id=office_id, is_current=True).first()
    if current is not None:
        return current
    try:
        # Stored text, read by everyone and printed in notices: in the office's language, not in
        # the language of whoever (or whichever tick) happens to create it.
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            return RuleSet.objects.create(
                office_id=office_id,
                version=(RuleSet.objects.filter(office_id=office_id).aggregate(m=Max("version"))["m"] or 0) + 1,
                name=_("Biweekly ranking rules"),
                notes=_("The documented defaults."),
                is_current=True,
                created_at=clock.now(),
                **DEFAULT_WEIGHTS,
            )
    except IntegrityError:  # created meanwhile by someone else: use theirs
        return RuleSet.objects.get(office_id=office_id, is_current=True)


def rule_offices(actor: User) -> list[Unit]:
    """The offices whose rules the actor may change: clerk or director there (any office for a
    superuser), top office first."""
    if not actor.is_active:
        return []
    if actor.is_superuser:
        return offices.offices()
    mine = set(
        Membership.objects.filter(
            user=actor, unit__kind=UnitKind.OFFICE, unit__is_active=True, role__in=[Role.CLERK, Role.DIRECTOR]
        ).values_list("unit_id", flat=True)
    )
    return [o for o in offices.offices() if o.pk in mine]


@transaction.atomic
def ruleset_revise(
    *,
    actor: User,
    weights: dict[str, Decimal],
    office: Unit | int | None = None,
    name: str = "",
    notes: str = "",
    min_held: int | None = None,
) -> RuleSet:
    """Save edited weights as a new version of the office's rules and make it current (office:
    default, the first office where the actor may change them). Earlier versions are never
    changed: every closed cycle keeps the version it was ranked with."""
    allowed = rule_offices(actor)
    if office is None and allowed:
        office = allowed[0]
    office_id = offices.office_id_of(office) if office is not None else None
    if office_id is None or office_id not in {o.pk for o in allowed}:
        raise NotAllowed(_("Only the office's clerks and directors may change the scoring rules."))
    # Lock the current row: two people saving at once get consecutive versions, one current.
    current = RuleSet.objects.select_for_update().filter(
        office_id=office_id, is_current=True
    ).first() or ruleset_current(office_id)
    values = {}
    for key in WEIGHT_FIELDS:
        value = weights.get(key, getattr(current, key))
        try:
            value = Decimal(value)
        except (ArithmeticError, TypeError, ValueError):
            raise InvalidInput(_("A weight must be a number."), field=key) from None
        if not value.is_finite() or value < 0 or value >= 10000:
            raise InvalidInput(_("A weight must be between 0 and 9999.99."), field=key)
        values[key] = value.quantize(scoring.CENT)
    held = current.min_held if min_held is None else int(min_held)
    if held < 1:
        raise InvalidInput(_("At least one assignment is needed to be ranked."), field="min_held")
    RuleSet.objects.filter(pk=current.pk).update(is_current=False)
    new = RuleSet.objects.create(
        office_id=office_id,
        version=(RuleSet.objects.filter(office_id=office_id).aggregate(m=Max("version"))["m"] or 0) + 1,
        name=(name or current.name).strip()[:100],
        notes=(notes or "").strip(),
        min_held=held,
        is_current=True,
        replaces=current,
        created_at=clock.now(),
        created_by=actor,
        **values,
    )
    changed = {k: [str(getattr(current, k)), str(values[k])] for k in WEIGHT_FIELDS if values[k] != getattr(current, k)}
    audit_record(
        actor=actor,
        unit_id=office_id,
        action="ruleset.revised",
        comment=new.notes[:2000],
        data={"version": new.version, "replaces": current.version, "changed": changed, "min_held": held},
    )
    return new


@transaction.atomic
def unit_sub_ranking_set(*, actor: User, unit: Unit | int, ranks: bool) -> Unit:
    """Mark a unit as ranking its sub-units every cycle (``ranks=True``), or take the mark off. Set
    by a director or clerk of an office above the unit (any office for a superuser); audited."""
    pk = unit.pk if isinstance(unit, Unit) else unit
    found = Unit.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("There is no such unit."), field="unit")
    if found.kind == UnitKind.OFFICE:
        # An office ranks the units below it already, at the close of its own cycles.
        raise InvalidInput(_("An office ranks its units already."), field="unit")
    above = offices.offices_above(found.pk)
    role = "" if actor.is_active and actor.is_superuser else None
    office_id = above[0] if above else None
    for candidate in above or [o.pk for o in offices.offices()]:
        held = has_role(actor, candidate, MARKING_ROLES) if actor.is_active else None
        if held is not None:
            role, office_id = held, candidate
            break
    if role is None:
        raise NotAllowed(_("Only a director or clerk of an office above the unit may set how it ranks."))
    return unit_flag_save(found, "ranks_sub_units", ranks, actor=actor, role=role, office_id=office_id)
