"""The writes documents lead to, made through the supervision services (the domain's only writers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _

from supervision import clock, services
from supervision.models import Item, Letter, LetterState, Role, Unit, User
from supervision.services import InvalidInput, InvalidTransition
from supervision.services.letters import letter_lock
from supervision.services.roles import require_role

from .directory import UnitDirectory
from .importer import ParsedItem, ParsedSheet, RowError, duplicate_key, parse_workbook
from .problem_list import BY_KEY
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
    "problem_no": "seq",
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


@dataclass
class ImportPreview:
    """What an import would do, written nowhere: the sheet as understood, row by row, and the
    units that would join the letter's addressees. Errors block the import; warnings say where
    the importer guessed, for the clerk to check.

    ``items`` holds the rows understood even when other rows have errors (the clerk sees both
    at once): only ``ok`` says whether the sheet may be imported."""

    letter: Letter
    campaign_year: int
    sheet: ParsedSheet
    errors: list[RowError] = field(default_factory=list)  # the sheet's, and "nothing to import"
    would_add: list[Unit] = field(default_factory=list)

    @property
    def items(self) -> list[ParsedItem]:
        return self.sheet.items

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def measures(self) -> int:
        return len(self.sheet.items)

    @property
    def problems(self) -> int:
        """Problems (问题): items sharing a problem number count once; one without counts alone."""
        numbered = {item.problem_no for item in self.sheet.items if item.problem_no is not None}
        return len(numbered) + sum(1 for item in self.sheet.items if item.problem_no is None)

    @property
    def warning_count(self) -> int:
        return len(self.sheet.warnings) + sum(len(item.warnings) for item in self.sheet.items)


def _check_draft(actor: User, letter: Letter, *, lock: bool = False) -> Letter:
    """The letter as it is now, once the actor is known to be its office's clerk and it a draft
    (``lock``: its row locked until the transaction ends)."""
    letter = letter_lock(letter) if lock else Letter.objects.get(pk=letter.pk)
    require_role(actor, letter.office_id, [Role.CLERK])
    if letter.state != LetterState.DRAFT:
        raise InvalidTransition(
            _("Only a draft letter can be changed; this one is %(state)s.") % {"state": letter.get_state_display()}
        )
    return letter


def _existing(letter: Letter) -> dict[tuple[str, ...], int]:
    """The ``duplicate_key``s of the letter's items → their numbers."""
    return {
        duplicate_key(site, text, measures): seq
        for site, text, measures, seq in letter.items.values_list("site", "description", "measures", "seq")
    }


def _taken_numbers(letter: Letter) -> set[int]:
    """The problem numbers the letter's items already have."""
    return set(letter.items.exclude(problem_no=None).values_list("problem_no", flat=True).distinct())


def _number_after(sheet: ParsedSheet, taken: set[int]) -> None:
    """Number the sheet's problems after the letter's own, so that a second list imported into
    a letter does not start again at 1: neighbouring items with one number print as one problem
    (``notices.letter_items``, the ledger), and the letter would count its problems wrong.

    The rule: every number of the sheet moves up by the letter's highest, when the importer
    counted them (1, 2, … per sheet), or when the sheet wrote its own (a 问题编号 column) and
    any of them is already the letter's; numbers written that the letter does not have yet are
    kept as written. Items standing alone (no number) stay so."""
    base = max(taken, default=0)
    numbers = {item.problem_no for item in sheet.items if item.problem_no is not None}
    if not base or not numbers or (sheet.numbers_written and not numbers & taken):
        return
    for item in sheet.items:
        if item.problem_no is not None:
            item.problem_no += base


def _preview(
    actor: User,
    letter: Letter,
    workbook_file: IO[bytes] | str,
    campaign_year: int | None,
    progress: ImportProgress | None,
    sheet: str | None,
    *,
    against_letter: bool = True,
) -> ImportPreview:
    """``against_letter``: whether to compare the sheet with the letter's items as they are now.
    The import does that again itself, under the letter's lock (see ``_import``), so it reads
    the sheet without."""
    letter = _check_draft(actor, letter)
    existing = _existing(letter) if against_letter else {}
    year = campaign_year or clock.today().year
    parsed = parse_workbook(
        workbook_file,
        campaign_year=year,
        directory=UnitDirectory.load(),
        existing=existing,
        progress=progress,
        sheet=sheet or None,
        today=clock.today(),
    )
    if against_letter:
        # The numbers as they would be saved now (the import numbers them again under its lock).
        _number_after(parsed, _taken_numbers(letter))
    preview = ImportPreview(letter=letter, campaign_year=year, sheet=parsed, errors=list(parsed.errors))
    if not parsed.errors and not parsed.items:
        preview.errors.append(RowError(0, "", _("The sheet has no problems to import.")))
    addressed = set(letter.addressees.values_list("pk", flat=True))
    named = {unit.pk: unit for item in parsed.items for unit in item.units}
    preview.would_add = [unit for pk, unit in named.items() if pk not in addressed]
    return preview


def letter_import_preview(
    *,
    actor: User,
    letter: Letter,
    workbook_file: IO[bytes] | str,
    sheet: str | None = None,
    campaign_year: int | None = None,
    progress: ImportProgress | None = None,
) -> ImportPreview:
    """Read a problem list as ``letter_import_items`` would, and write nothing.

    Permission and state are checked first, as for the import: a user who may not change the
    letter learns that rather than the file's contents. ``sheet``: the workbook's sheet to read
    (by name; by default the problem-list sheet or the first)."""
    return _preview(actor, letter, workbook_file, campaign_year, progress, sheet)


def _apply_overrides(
    items: list[ParsedItem], overrides: dict[int, list[int]]
) -> tuple[dict[int, tuple[list[Unit], list[Unit]]], list[RowError]]:
    """Each overridden item's (leads, cooperating): the units chosen lead, the rest of its named
    units cooperating. A choice outside the item's units, or none at all, is an error on its row."""
    by_row = {item.row: item for item in items}
    heading = BY_KEY["lead"].heading
    chosen: dict[int, tuple[list[Unit], list[Unit]]] = {}
    errors = []
    for row, ids in sorted(overrides.items()):
        item = by_row.get(row)
        if item is None:
            errors.append(RowError(row, "", _("No problem of the sheet starts on this row.")))
            continue
        wanted = set(ids)
        units = item.units
        if not wanted or not wanted <= {u.pk for u in units}:
            errors.append(RowError(row, heading, _("Choose the lead units among the units the row names.")))
            continue
        chosen[row] = ([u for u in units if u.pk in wanted], [u for u in units if u.pk not in wanted])
    return chosen, errors


def letter_import_items(
    *,
    actor: User,
    letter: Letter,
    workbook_file: IO[bytes] | str,
    campaign_year: int | None = None,
    progress: ImportProgress | None = None,
    sheet: str | None = None,
    lead_overrides: dict[int, list[int]] | None = None,
) -> ImportResult:
    """Add every problem of an Excel problem list to a draft letter, or none of them.

    Every row is checked first and all errors come back together, each with its row and
    column; then one transaction adds the items through ``services.item_add``, in sheet order,
    each measure of a problem an item of its own with the problem's number. Dates without a
    year (8月15日前) take ``campaign_year``, by default this year in the office's time zone.

    ``lead_overrides``: by the sheet row an item starts on, the unit ids the clerk chose as its
    leads on the preview; they must be among the units the row names, and the item's other
    named units cooperate.

    Units named on the sheet but not addressed by the letter are added to its addressees
    (through ``services.letter_update_draft``, in the same transaction) and listed in the
    result: the problem list is where an office decides who does what, and an item whose
    unit is not addressed could never be issued. Only exact names and short names (and the
    collective names the importer knows) count; a name that is merely close is an error with
    suggestions, never a guess.

    Permission and state are the services' to decide; they are asked before the file is
    read, so a user who may not change the letter learns that rather than the file's errors.
    ``progress`` (optional) hears how far reading and saving have got, and how it ended.
    """
    result = _import(actor, letter, workbook_file, campaign_year, progress, sheet, lead_overrides or {})
    if progress is not None:
        progress.finished(imported=len(result.items), errors=len(result.errors))
    return result


def _already_there(items: list[ParsedItem], existing: dict[tuple[str, ...], int]) -> list[RowError]:
    """The sheet's items the letter already has: one error for the whole list when it has all of
    them (the same list confirmed twice), else one on each such row (a list of one problem says
    which item it is, as the preview does)."""
    found = [
        (item, existing[key])
        for item in items
        if (key := duplicate_key(item.site, item.description, item.measures)) in existing
    ]
    if not found:
        return []
    if len(found) == len(items) > 1:
        return [RowError(0, "", _("This list has already been imported into the letter."))]
    heading = BY_KEY["description"].heading
    return [
        RowError(item.row, heading, _("The letter already has this problem, as item %(seq)d.") % {"seq": seq})
        for item, seq in found
    ]


def _import(
    actor: User,
    letter: Letter,
    workbook_file: IO[bytes] | str,
    campaign_year: int | None,
    progress: ImportProgress | None,
    sheet: str | None,
    lead_overrides: dict[int, list[int]],
) -> ImportResult:
    # The sheet is read (the slow part) before the letter is locked; what depends on the
    # letter's items is decided again under its lock, so that two confirmations at once (a
    # double click, two tabs, the worker and a page) cannot both write: the second waits, then
    # finds the items there.
    preview = _preview(actor, letter, workbook_file, campaign_year, progress, sheet, against_letter=False)
    if not preview.ok:
        # All rows or none: the rows understood beside an error are the preview's, never imported.
        return ImportResult(errors=preview.errors)
    items_read = preview.items
    chosen, errors = _apply_overrides(items_read, lead_overrides)
    if errors:
        return ImportResult(errors=errors)

    named = {unit.pk: unit for item in items_read for unit in item.units}
    current = None
    try:
        with transaction.atomic():
            letter = _check_draft(actor, letter, lock=True)
            errors = _already_there(items_read, _existing(letter))
            if errors:
                return ImportResult(errors=errors)
            _number_after(preview.sheet, _taken_numbers(letter))
            addressed = list(letter.addressees.values_list("pk", flat=True))
            added = [unit for pk, unit in named.items() if pk not in addressed]
            if added:
                cc = [pk for pk in letter.cc_units.values_list("pk", flat=True) if pk not in named]
                services.letter_update_draft(
                    actor=actor, letter=letter, addressee_ids=addressed + [u.pk for u in added], cc_ids=cc
                )
            items = []
            for parsed in items_read:
                current = parsed
                if progress is not None:
                    progress.saving(len(items), len(items_read))
                leads, cooperating = chosen.get(parsed.row, (parsed.leads, parsed.cooperating))
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
                        lead_unit_ids=[u.pk for u in leads],
                        cooperating_unit_ids=[u.pk for u in cooperating],
                        problem_no=parsed.problem_no,
                    )
                )
    except InvalidInput as exc:
        # The rows were checked as the services check them; should one still refuse (a unit
        # deactivated meanwhile), nothing is kept and the refusal lands on its row.
        column = BY_KEY[_FIELD_COLUMNS[exc.field]].heading if exc.field in _FIELD_COLUMNS else ""
        return ImportResult(errors=[RowError(current.row if current else 0, column, exc.message)])
    return ImportResult(items=items, added_addressees=added)
