"""Reading a unit directory (单位通讯录) from Excel: every row checked, every error reported at once.

Nothing is written here. ``parse_directory`` reads the sheet (opened safely by
``notices.workbook``) into ``SheetRows``, the cells' text by column, and ``check_rows`` turns
those into ``DirectoryEntries`` (supervision's plain data: units with their kind, peer group
and parent; people with their role) plus the errors and warnings found, each with the sheet's
row number and the column's heading as the sheet writes it. ``SheetRows`` travels, signed, in
the preview's confirm form, and is checked again when the import is confirmed: the database may
have changed in between.

Columns are found by their headings on any of the first rows, in either layout of
``contacts_layout`` (one row per unit, or one row per person), also under a two-row heading
(联络员 over 姓名 | 职务 | 电话). Names are compared without spaces and whatever the width of
their brackets. Where the reader guesses (a unit's kind from the end of its name, a phone number
that looks odd, a unit matched by its short name) it says so as a warning.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import IO

from django.utils import translation
from django.utils.translation import gettext as _

from supervision.models import PeerGroup, Role, Unit, UnitKind
from supervision.selectors.directory import DirectoryEntries, UnitEntry, name_key, units_for_matching

from . import wording
from .contacts_layout import (
    BY_KEY,
    KIND_ALIASES,
    ROLE_ALIASES,
    heading_key,
)
from .contacts_people import PeopleChecks
from .contacts_read import (
    UNIT_LAYOUT,
    SheetRows,
    read_book,
)
from .contacts_values import (
    choice_labels,
    choice_table,
    infer_kind,
    unit_name,
)
from .importer import RowError
from .workbook import UnreadableWorkbook, open_book

# The model's limits (Unit.name, Unit.short_name, User.full_name, User.title, User.phone).
NAME_MAX, SHORT_MAX = 100, 40
SUGGESTIONS = 3
CUTOFF = 0.5

# The unit's own columns; the rest describe people.
UNIT_KEYS = ("name", "short_name", "kind", "peer_group", "parent", "sort_order")


@dataclass
class ParsedDirectory:
    rows: SheetRows | None
    entries: DirectoryEntries = field(default_factory=DirectoryEntries)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- reading the sheet ------------------------------------------------------------------------------


def _file_error(message: str) -> ParsedDirectory:
    return ParsedDirectory(rows=None, errors=[RowError(0, "", message)])


def parse_directory(file: IO[bytes] | str, *, units: list[Unit] | None = None) -> ParsedDirectory:
    """Read and check the directory in ``file`` (its sheet 单位通讯录, else the first sheet with a
    heading row). ``units``: every unit here (read when None)."""
    book = open_book(file)
    if isinstance(book, str):
        return _file_error(book)
    try:
        read = read_book(book)
    except UnreadableWorkbook as exc:
        return _file_error(exc.message)
    finally:
        book.close()
    if isinstance(read, list):
        return ParsedDirectory(rows=None, errors=read)
    return check_rows(read, units=units)


# --- checking the rows ------------------------------------------------------------------------------


@dataclass
class _UnitDraft:
    row: int
    name: str
    cells: dict[str, tuple[int, str]] = field(default_factory=dict)  # key → (row, text)


class _Checker(PeopleChecks):
    def __init__(self, rows: SheetRows, units: list[Unit]):
        self.rows = rows
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.kinds = choice_table(UnitKind, KIND_ALIASES)
        self.groups = choice_table(PeerGroup, KIND_ALIASES)
        self.roles = choice_table(Role, ROLE_ALIASES)
        self.units = units
        # The sheet's spelling of each unit's name → its entry (a unit matched by its short name
        # is entered under its full name).
        self.resolved: dict[str, UnitEntry] = {}
        self.by_name = {name_key(u.name): u for u in units}
        self.by_short: dict[str, list[Unit]] = {}
        for unit in units:
            if unit.short_name:
                self.by_short.setdefault(name_key(unit.short_name), []).append(unit)

    def heading(self, key: str) -> str:
        return self.rows.headings.get(key) or BY_KEY[key].heading

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, self.heading(key) if key else "", message))

    def warn(self, row: int, key: str, message: str) -> None:
        self.warnings.append(RowError(row, self.heading(key) if key else "", message))

    def too_long(self, row: int, key: str, value: str, limit: int) -> bool:
        if len(value) <= limit:
            return False
        self.error(
            row, key, _("Too long: %(length)d characters, at most %(limit)d.") % {"length": len(value), "limit": limit}
        )
        return True

    # --- units ---

    def drafts(self) -> list[_UnitDraft]:
        """The sheet's units in order of first appearance, with the cells given for each."""
        drafts: dict[str, _UnitDraft] = {}
        for row, cells in self.rows.records:
            raw = cells.get("name", "")
            if not raw:
                if self.rows.layout == UNIT_LAYOUT or any(cells.get(k) for k in ("person", "phone", "title", "role")):
                    self.error(row, "name", _("Missing: the unit's name is required."))
                continue
            name = unit_name(raw)
            key = name_key(name)
            draft = drafts.get(key)
            if draft is not None and self.rows.layout == UNIT_LAYOUT:
                self.error(
                    row,
                    "name",
                    _("The same unit as row %(row)d: list each unit once.") % {"row": draft.row},
                )
                continue
            if draft is None:
                draft = drafts[key] = _UnitDraft(row, name)
            for column in UNIT_KEYS[1:]:
                value = cells.get(column, "")
                if not value:
                    continue
                given = draft.cells.get(column)
                if given is not None and name_key(given[1]) != name_key(value):
                    self.error(
                        row,
                        column,
                        _("Row %(row)d gives “%(value)s” for this unit: give one value, or leave the cell empty.")
                        % {"row": given[0], "value": given[1][:50]},
                    )
                elif given is None:
                    draft.cells[column] = (row, value)
        return list(drafts.values())

    def existing(self, draft: _UnitDraft) -> Unit | None:
        found = self.by_name.get(name_key(draft.name))
        if found is not None:
            return found
        namesakes = self.by_short.get(name_key(draft.name), [])
        if len(namesakes) == 1:
            self.warn(
                draft.row,
                "name",
                _("Taken to be the unit already here called “%(name)s”, whose short name this is.")
                % {"name": namesakes[0].name},
            )
            return namesakes[0]
        if namesakes:
            self.error(
                draft.row,
                "name",
                _("“%(name)s” is the short name of %(units)s: write the full name.")
                % {"name": draft.name[:50], "units": "、".join(u.name for u in namesakes)},
            )
        return None

    def kind(self, draft: _UnitDraft, existing: Unit | None) -> tuple[str, str]:
        """(kind, peer group) for a new unit; ("", "") after an error."""
        kind = ""
        given = draft.cells.get("kind")
        allowed = (UnitKind.COUNTY, UnitKind.DEPARTMENT, UnitKind.WORK_TEAM, UnitKind.TOWNSHIP)
        if given is not None:
            kind = self.kinds.get(heading_key(given[1]), "")
            if kind == UnitKind.OFFICE:
                self.error(given[0], "kind", _("The office's own people are added under master data, not here."))
                return "", ""
            if not kind:
                self.error(
                    given[0],
                    "kind",
                    _("“%(value)s” is not a kind of unit: write one of %(choices)s.")
                    % {"value": given[1][:50], "choices": choice_labels(UnitKind, allowed)},
                )
                return "", ""
        elif existing is None:
            kind = infer_kind(draft.name)
            if not kind:
                self.error(
                    draft.row,
                    "kind",
                    _("The kind of unit is not given and its name does not tell: write one of %(choices)s.")
                    % {"choices": choice_labels(UnitKind, allowed)},
                )
                return "", ""
            with translation.override(wording.DOCUMENT_LANGUAGE):
                label = str(UnitKind(kind).label)
            self.warn(
                draft.row,
                "kind",
                _("Kind not given: taken as “%(kind)s” from the end of the name.") % {"kind": label},
            )
        group = kind
        given_group = draft.cells.get("peer_group")
        if given_group is not None:
            group = self.groups.get(heading_key(given_group[1]), "")
            if not group or group == PeerGroup.OFFICE:
                self.error(
                    given_group[0],
                    "peer_group",
                    _("“%(value)s” is not a peer group: write one of %(choices)s.")
                    % {"value": given_group[1][:50], "choices": choice_labels(PeerGroup, allowed)},
                )
                return "", ""
        return kind, group

    def sort_order(self, draft: _UnitDraft, position: int) -> int:
        given = draft.cells.get("sort_order")
        if given is None:
            return position
        try:
            value = int(given[1])
        except ValueError:
            value = -1
        if not 0 <= value < 2**31:
            self.error(given[0], "sort_order", _("Write a whole number (0, 1, 2 …)."))
            return position
        return value

    def find_parent(
        self, row: int, text: str, sheet: dict[str, _UnitDraft], child: str
    ) -> tuple[str, Unit | None] | None:
        """(full name, existing unit or None) of the parent named ``text``, or None after an error."""
        key = name_key(text)
        if key in sheet:
            return sheet[key].name, self.by_name.get(key)
        if key in self.by_name:
            return self.by_name[key].name, self.by_name[key]
        sheet_short = [d for d in sheet.values() if name_key(d.cells.get("short_name", (0, ""))[1]) == key]
        here_short = [u for u in self.by_short.get(key, []) if name_key(u.name) not in sheet]
        matches = [(d.name, self.by_name.get(name_key(d.name))) for d in sheet_short] + [
            (u.name, u) for u in here_short
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            self.error(
                row,
                "parent",
                _("“%(name)s” could be any of %(units)s: write the full name.")
                % {"name": text[:50], "units": "、".join(m[0] for m in matches)},
            )
            return None
        names = {name_key(d.name): d.name for d in sheet.values()}
        names.update({name_key(u.name): u.name for u in self.units if u.kind != UnitKind.OFFICE})
        names.pop(name_key(child), None)
        close = difflib.get_close_matches(key, list(names), n=SUGGESTIONS, cutoff=CUTOFF)
        if close:
            message = _("No unit is called “%(name)s”, in the sheet or here. Did you mean %(suggestions)s?") % {
                "name": text[:50],
                "suggestions": "、".join(names[c] for c in close),
            }
        else:
            message = _("No unit is called “%(name)s”, in the sheet or here.") % {"name": text[:50]}
        self.error(row, "parent", message)
        return None

    def check_units(self) -> list[UnitEntry]:
        drafts = self.drafts()
        sheet = {name_key(d.name): d for d in drafts}
        entries: list[UnitEntry] = []
        parents: dict[str, str] = {}  # new unit key → parent key, for the loop check
        for position, draft in enumerate(drafts, start=1):
            errors_before = len(self.errors)
            existing = self.existing(draft)
            if existing is not None and existing.kind == UnitKind.OFFICE:
                self.error(draft.row, "name", _("The office's own people are added under master data, not here."))
                continue
            if existing is not None and not existing.is_active:
                self.error(
                    draft.row,
                    "name",
                    _("“%(name)s” is no longer active: make it active again under master data first.")
                    % {"name": existing.name},
                )
                continue
            name = existing.name if existing is not None else draft.name
            if existing is None:
                self.too_long(draft.row, "name", name, NAME_MAX)
            short = draft.cells.get("short_name", (draft.row, ""))
            if existing is None:
                self.too_long(short[0], "short_name", short[1], SHORT_MAX)
            kind, group = self.kind(draft, existing)
            sort_order = self.sort_order(draft, position)
            parent_name = ""
            given_parent = draft.cells.get("parent")
            if given_parent is not None:
                found = self.find_parent(given_parent[0], given_parent[1], sheet, draft.name)
                if found is not None:
                    parent_name, parent_unit = found
                    if name_key(parent_name) == name_key(name):
                        self.error(given_parent[0], "parent", _("A unit cannot be placed under itself."))
                    elif parent_unit is not None and parent_unit.kind == UnitKind.OFFICE:
                        self.error(given_parent[0], "parent", _("Units are not placed under the office."))
                    elif existing is None:
                        parents[name_key(name)] = name_key(parent_name)
            if existing is not None:
                self.differences(draft, existing, kind, short[1], parent_name)
            if len(self.errors) > errors_before:
                continue
            if existing is not None:
                entry = UnitEntry(
                    row=draft.row,
                    name=existing.name,
                    short_name=existing.short_name,
                    kind=existing.kind,
                    peer_group=existing.peer_group,
                    parent=existing.parent.name if existing.parent_id else "",
                    sort_order=existing.sort_order,
                )
            else:
                entry = UnitEntry(draft.row, name, unit_name(short[1]), kind, group, parent_name, sort_order)
            entries.append(entry)
            self.resolved[name_key(draft.name)] = entry
        self.loops(parents, sheet)
        return entries

    def differences(self, draft: _UnitDraft, existing: Unit, kind: str, short: str, parent: str) -> None:
        """Warn where the sheet says something else about a unit already here: the import keeps
        what is here (master data is where a unit is changed)."""
        said = []
        if kind and kind != existing.kind:
            said.append(self.heading("kind"))
        if short and name_key(short) != name_key(existing.short_name):
            said.append(self.heading("short_name"))
        current_parent = existing.parent.name if existing.parent_id else ""
        if parent and name_key(parent) != name_key(current_parent):
            said.append(self.heading("parent"))
        if said:
            self.warn(
                draft.row,
                "name",
                _(
                    "The unit is already here: it is kept as it is (%(columns)s not changed; "
                    "change them under master data)."
                )
                % {"columns": "、".join(said)},
            )

    def loops(self, parents: dict[str, str], sheet: dict[str, _UnitDraft]) -> None:
        reported: set[str] = set()
        for start in parents:
            seen, node = [start], parents.get(start)
            while node is not None and node not in seen:
                seen.append(node)
                node = parents.get(node)
            if node is None or node in reported:
                continue
            circle = seen[seen.index(node) :]
            reported.update(circle)
            first = sheet[node]
            self.error(
                first.cells["parent"][0],
                "parent",
                _("These units are each other's parents, round in a circle: %(units)s.")
                % {"units": " → ".join(sheet[k].name for k in [*circle, node])},
            )


def check_rows(rows: SheetRows, *, units: list[Unit] | None = None) -> ParsedDirectory:
    """Check the rows against each other and against the units here (``units``: every unit,
    read when None). Every error and warning at once, in row order."""
    checker = _Checker(rows, units if units is not None else units_for_matching())
    unit_entries = checker.check_units()
    people = checker.people()
    order = {key: n for n, key in enumerate(BY_KEY)}

    def position(error: RowError) -> tuple[int, int]:
        keys = [k for k in BY_KEY if checker.heading(k) == error.column]
        return error.row, order[keys[0]] if keys else -1

    return ParsedDirectory(
        rows=rows,
        entries=DirectoryEntries(units=unit_entries, people=people),
        errors=sorted(checker.errors, key=position),
        warnings=sorted(checker.warnings, key=position),
    )
