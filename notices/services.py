"""The writes documents lead to, made through the supervision services (the domain's only writers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _

from supervision import clock, services
from supervision.models import Item, Letter, LetterState, Role, Unit, User
from supervision.services import InvalidInput, InvalidTransition
from supervision.services.roles import require_role

from .directory import UnitDirectory
from .importer import BY_KEY, RowError, duplicate_key, parse_workbook
from .progress import ImportProgress

# The service's field names for the sheet's columns, to place a refusal on its cell.
_FIELD_COLUMNS = {
    "category": "category",
    "source": "source",
    "site": "site",
    "description": "description",
    "measures": "measures",
    "deadline": "deadline",
    "deadline_kind": "deadline",
    "lead_unit": "lead",
    "cooperating_units": "cooperating",
}


@dataclass
class ImportResult:
    items: list[Item] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Units the sheet names that the letter was not addressed to, now added to its addressees.
    added_addressees: list[Unit] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def letter_import_items(
    *,
    actor: User,
    letter: Letter,
    workbook_file: IO[bytes] | str,
    campaign_year: int | None = None,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Add every problem of an Excel problem list to a draft letter, or none of them.

    Every row is checked first and all errors come back together, each with its row and
    column; then one transaction adds the items through ``services.item_add``, in sheet order.
    Dates without a year (8月15日前) take ``campaign_year``, by default this year in the
    office's time zone.

    Units named on the sheet but not addressed by the letter are added to its addressees
    (through ``services.letter_update_draft``, in the same transaction) and listed in the
    result: the problem list is where an office decides who does what, and an item whose
    unit is not addressed could never be issued. Only exact names and short names count; a
    name that is merely close is an error with suggestions, never a guess.

    Permission and state are the services' to decide; they are asked before the file is
    read, so a user who may not change the letter learns that rather than the file's errors.
    ``progress`` (optional) hears how far reading and saving have got, and how it ended.
    """
    result = _import(actor, letter, workbook_file, campaign_year, progress)
    if progress is not None:
        progress.finished(imported=len(result.items), errors=len(result.errors))
    return result


def _import(
    actor: User,
    letter: Letter,
    workbook_file: IO[bytes] | str,
    campaign_year: int | None,
    progress: ImportProgress | None,
) -> ImportResult:
    letter = Letter.objects.get(pk=letter.pk)
    require_role(actor, letter.office_id, [Role.CLERK])
    if letter.state != LetterState.DRAFT:
        raise InvalidTransition(
            _("Only a draft letter can be changed; this one is %(state)s.") % {"state": letter.get_state_display()}
        )
    existing = {
        duplicate_key(site, text): seq for site, text, seq in letter.items.values_list("site", "description", "seq")
    }
    sheet = parse_workbook(
        workbook_file,
        campaign_year=campaign_year or clock.today().year,
        directory=UnitDirectory.load(),
        existing=existing,
        progress=progress,
    )
    if sheet.errors:
        return ImportResult(errors=sheet.errors)
    if not sheet.items:
        return ImportResult(errors=[RowError(0, "", _("The sheet has no problems to import."))])

    addressed = list(letter.addressees.values_list("pk", flat=True))
    named = {unit.pk: unit for item in sheet.items for unit in item.units}
    added = [unit for pk, unit in named.items() if pk not in addressed]
    current = None
    try:
        with transaction.atomic():
            if added:
                cc = [pk for pk in letter.cc_units.values_list("pk", flat=True) if pk not in named]
                services.letter_update_draft(
                    actor=actor, letter=letter, addressee_ids=addressed + [u.pk for u in added], cc_ids=cc
                )
            items = []
            for parsed in sheet.items:
                current = parsed
                if progress is not None:
                    progress.saving(len(items), len(sheet.items))
                items.append(
                    services.item_add(
                        actor=actor,
                        letter=letter,
                        description=parsed.description,
                        deadline=parsed.deadline,
                        category=parsed.category,
                        source=parsed.source,
                        site=parsed.site,
                        measures=parsed.measures,
                        deadline_kind=parsed.deadline_kind,
                        lead_unit_id=parsed.lead.pk if parsed.lead else None,
                        cooperating_unit_ids=[u.pk for u in parsed.cooperating],
                    )
                )
    except InvalidInput as exc:
        # The rows were checked as the services check them; should one still refuse (a unit
        # deactivated meanwhile), nothing is kept and the refusal lands on its row.
        column = BY_KEY[_FIELD_COLUMNS[exc.field]].heading if exc.field in _FIELD_COLUMNS else ""
        return ImportResult(errors=[RowError(current.row if current else 0, column, exc.message)])
    return ImportResult(items=items, added_addressees=added)
