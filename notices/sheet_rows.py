"""Reading the rows of a problem list once its layout is known (notices/importer.py finds the
sheet and its headings): sections, one problem over several measures, units, deadlines, problem
numbers, duplicates — each row checked, every error and guess kept with its row and column."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from supervision.services.letters import MAX_TEXT

from .deadlines import DeadlineError, read_deadline
from .directory import UnitDirectory, normalise
from .parsed_items import (
    ASPECT_SEPARATOR,
    DEFAULT_CATEGORY,
    DEFAULT_SOURCE,
    MAX_SITE,
    ParsedItem,
    RowError,
    duplicate_key,
)
from .problem_list import BY_KEY
from .sheet_grid import Row
from .sheet_layout import (
    Layout,
    Vocabulary,
    headings_again,
    is_place,
    section_of,
)
from .sheet_units import UnitReader, Units
from .workbook import cell_text

# --- the rows ---------------------------------------------------------------------------------------------


@dataclass
class _Problem:
    key: tuple[str, str]  # (site, description), normalised
    row: int  # where it was first written
    index: int  # 1, 2, … in order of first appearance
    description: str
    site: str
    category: str
    source: str
    measures: int = 0


@dataclass
class _Measure:
    item: ParsedItem | None  # None when its row had errors
    row: int
    measures: str
    units: Units
    units_written: str
    deadline: Any
    problem: _Problem


class RowReader:
    """Reads the rows of one sheet, in order, keeping what a row inherits from those above."""

    def __init__(
        self, campaign_year: int, directory: UnitDirectory, existing: dict[tuple[str, ...], int], today: dt.date
    ) -> None:
        self.year = campaign_year
        self.today = today
        self.existing = existing
        self.units = UnitReader(directory)
        self.vocabulary = Vocabulary()
        self.errors: list[RowError] = []
        self.sheet_warnings: list[RowError] = []
        self.items: list[tuple[ParsedItem, _Problem]] = []
        self.seen: dict[tuple[str, ...], int] = {}  # duplicate key → first row
        self.problems: dict[tuple[str, str], _Problem] = {}
        self.problem: _Problem | None = None  # the problem the rows are under
        self.last: _Measure | None = None
        self.section: tuple[str, str | None] | None = None  # (category, source) of a section row
        self.last_category: tuple[int, str, str | None] | None = None  # (row, category, source) above
        self.defaulted = False
        self.numbers_written = False

    def start(self, layout: Layout) -> None:
        self.layout = layout
        self.columns = layout.columns
        watched = {*layout.columns.values(), *(i for cols in layout.extras.values() for i in cols)}
        watched.discard(layout.columns.get("seq"))
        self.watched = sorted(watched)

    # --- cells

    def heading(self, key: str) -> str:
        return self.layout.headings.get(key) or BY_KEY[key].heading

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, self.heading(key), message))

    def cell(self, row: Row, key: str) -> Any:
        index = self.columns.get(key)
        return None if index is None else row.get(index)

    def text(self, row: Row, key: str) -> str:
        index = self.columns.get(key)
        return "" if index is None else row.text(index)

    def covered(self, row: Row, key: str) -> bool:
        return self.columns.get(key) in row.covered

    def extras(self, row: Row, key: str) -> list[str]:
        return [t for i in self.layout.extras.get(key, ()) if (t := row.text(i))]

    def limited(self, row: int, key: str, value: str, limit: int) -> bool:
        if len(value) > limit:
            self.error(
                row,
                key,
                _("Too long: %(length)d characters, at most %(limit)d.") % {"length": len(value), "limit": limit},
            )
            return False
        return True

    def written(self, row: Row) -> bool:
        """Whether anything was written in the row itself (not merged down from above)."""
        return any(i not in row.covered and row.text(i) for i in self.watched)

    def other_row(self, row: Row) -> bool:
        """A section row or a repeated heading, taken in (and warned about) here."""
        if not any(row.texts):
            return False
        if headings_again(row, self.layout):
            return True
        section = section_of(row, self.layout, self.vocabulary)
        if section is None:
            return False
        self.problem = self.last = None
        if section.category is None:
            self.sheet_warnings.append(
                RowError(
                    row.number,
                    "",
                    _("“%(text)s” was read as a section title and skipped.") % {"text": section.text[:60]},
                )
            )
        else:
            self.section = (section.category, section.source)
        return True

    # --- one row

    def continues(self, problem: _Problem | None) -> bool:
        """Whether the row is a further measure of the problem of the measure just read."""
        return problem is not None and self.last is not None and self.last.problem is problem

    def parse(self, row: Row) -> None:
        n = row.number
        errors_before = len(self.errors)
        warnings: list[str] = []

        description = self.text(row, "description")
        site = self.text(row, "site")
        aspects = []
        for extra in self.extras(row, "description"):
            if normalise(extra) in (normalise(description), normalise(site)):
                continue  # the problem's own cell merged across
            if is_place(extra) and not site:
                site = extra
            else:
                aspects.append(extra)
        measures = ASPECT_SEPARATOR.join([*aspects, *self.extras(row, "measures"), self.text(row, "measures")])
        measures = measures.strip(ASPECT_SEPARATOR)

        # Which problem the row belongs to.
        problem = None
        if not description:
            if self.problem is not None:
                problem = self.problem
                if not self.covered(row, "description"):
                    warnings.append(
                        _("%(column)s left empty: read as another measure of the problem in row %(row)d.")
                        % {"column": self.heading("description"), "row": problem.row}
                    )
            else:
                self.error(n, "description", _("Missing: this column is required."))
        else:
            if not site and self.problem is not None and normalise(description) == normalise(self.problem.description):
                site = self.problem.site  # the site merged or written once for the problem
            key = (normalise(site), normalise(description))
            if self.problem is not None and key == self.problem.key:
                problem = self.problem
            elif key in self.problems:
                problem = self.problems[key]
                warnings.append(
                    _("The same problem as row %(row)d: read as another of its measures.") % {"row": problem.row}
                )
        if self.continues(problem) and self.covered(row, "measures") and self.last.measures == measures:
            # The measure's cell merged down over this row too: the row adds its units.
            self._more_units(row, self.last)
            return

        category, source = self._category(row, problem, warnings)
        if problem is None and description:
            self.limited(n, "description", description, MAX_TEXT)
            self.limited(n, "site", site, MAX_SITE)
            problem = _Problem(
                key=(normalise(site), normalise(description)),
                row=n,
                index=len(self.problems) + 1,
                description=description,
                site=site,
                category=category or "",
                source=source or DEFAULT_SOURCE,
            )
            self.problems[problem.key] = problem
        if problem is not None:
            self.problem = problem
            description, site = problem.description, problem.site
            category = category or problem.category
            source = source or problem.source
        self.limited(n, "measures", measures, MAX_TEXT)
        if problem is not None and problem.measures and not measures:
            self.error(
                n,
                "measures",
                _("Missing: another measure of the problem in row %(row)d needs its text.") % {"row": problem.row},
            )

        units, units_written = self._units(row, problem, warnings)
        raw_deadline = self.cell(row, "deadline")
        if cell_text(raw_deadline) == "" and self.continues(problem) and not self.covered(row, "deadline"):
            raw_deadline = self.last.deadline
            warnings.append(
                _("%(column)s left empty: the deadline of row %(row)d was used.")
                % {"column": self.heading("deadline"), "row": self.last.row}
            )
        deadline = None
        if cell_text(raw_deadline) == "":
            self.error(n, "deadline", _("Missing: this column is required."))
        else:
            try:
                deadline = read_deadline(raw_deadline, self.year, today=self.today)
            except DeadlineError as exc:
                self.error(n, "deadline", str(exc))
            else:
                if deadline.warning:
                    warnings.append(deadline.warning)

        problem_no = self._written_number(row)
        if description:
            self._duplicates(n, site, description, measures)

        item = None
        if problem is not None:
            problem.measures += 1
        if len(self.errors) == errors_before and deadline is not None and problem is not None:
            item = ParsedItem(
                row=n,
                rows=[n],
                category=category or DEFAULT_CATEGORY,
                source=source or DEFAULT_SOURCE,
                site=site,
                description=description,
                measures=measures,
                problem_no=problem_no,
                leads=units.leads,
                cooperating=units.cooperating,
                deadline=deadline.date,
                deadline_kind=deadline.kind,
                deadline_written=cell_text(self.cell(row, "deadline")) or cell_text(raw_deadline),
                units_written=units_written,
                expansions=units.expansions,
                warnings=warnings + units.warnings,
            )
            self.items.append((item, problem))
        if problem is not None:
            self.last = _Measure(item, n, measures, units, units_written, raw_deadline, problem)

    def _category(self, row: Row, problem: _Problem | None, warnings: list[str]) -> tuple[str | None, str | None]:
        n = row.number
        written = self.text(row, "category")
        category = source = None
        if written:
            category, source = self.vocabulary.category(written)
            if category is None:
                self.error(
                    n,
                    "category",
                    _("“%(value)s” is not one of: %(choices)s.")
                    % {"value": written[:50], "choices": "、".join(self.vocabulary.category_labels)},
                )
            else:
                self.last_category = (n, category, source)
        elif problem is not None:
            category, source = problem.category, problem.source
        elif self.section is not None:
            category, source = self.section
        elif self.last_category is not None and "category" in self.columns:
            above, category, source = self.last_category
            warnings.append(
                _("%(column)s left empty: taken from row %(row)d.") % {"column": self.heading("category"), "row": above}
            )
        elif "category" in self.columns:
            self.error(n, "category", _("Missing: this column is required."))
        else:
            category = DEFAULT_CATEGORY
            if not self.defaulted:
                self.defaulted = True
                self.sheet_warnings.append(
                    RowError(
                        0,
                        "",
                        _("The sheet has no 问题类别 column and no section row: its problems were read as 个性问题."),
                    )
                )
        written_source = self.text(row, "source")
        if written_source:
            found, guessed = self.vocabulary.source(written_source)
            if found is None:
                self.error(
                    n,
                    "source",
                    _("“%(value)s” is not one of: %(choices)s.")
                    % {"value": written_source[:50], "choices": "、".join(self.vocabulary.source_labels)},
                )
            else:
                source = found
                if guessed:
                    warnings.append(
                        _("问题来源 “%(value)s” was read as %(source)s.")
                        % {"value": written_source[:50], "source": self.vocabulary.source_names[found]}
                    )
        elif source is None and self.section is not None and problem is None:
            source = self.section[1]
        return category, source

    def _units(self, row: Row, problem: _Problem | None, warnings: list[str]) -> tuple[Units, str]:
        n = row.number
        lead_cell = "、".join(t for t in (self.text(row, "lead"), *self.extras(row, "lead")) if t)
        cooperating_cell = "、".join(t for t in (self.text(row, "cooperating"), *self.extras(row, "cooperating")) if t)
        inherit = "lead" in self.columns and not self.covered(row, "lead")
        if not lead_cell and not cooperating_cell and inherit and self.continues(problem):
            warnings.append(
                _("%(column)s left empty: the units of row %(row)d were used.")
                % {"column": self.heading("lead"), "row": self.last.row}
            )
            return self.last.units, self.last.units_written
        units = self.units.read(lead_cell, cooperating_cell, split=self.layout.split_units)
        for key, message in units.errors:
            self.error(n, key, message)
        if cooperating_cell and not lead_cell:
            self.error(n, "lead", _("Name a lead unit before cooperating units."))
        written = "；".join(t for t in (lead_cell, cooperating_cell) if t)
        return units, written

    def _more_units(self, row: Row, measure: _Measure) -> None:
        """A further row of a measure whose cell is merged over it: its units join the measure's."""
        lead_cell = self.text(row, "lead") if not self.covered(row, "lead") else ""
        cooperating_cell = self.text(row, "cooperating") if not self.covered(row, "cooperating") else ""
        more = self.units.read(lead_cell, cooperating_cell, split=self.layout.split_units)
        for key, message in more.errors:
            self.error(row.number, key, message)
        item = measure.item
        if item is None:
            return
        item.rows.append(row.number)
        # The first row named the lead: in a single unit column, units on further rows cooperate.
        known = {unit.pk for unit in item.units}
        for unit in more.leads + more.cooperating:
            if unit.pk in known:
                continue
            known.add(unit.pk)
            leading = unit in more.leads and not self.layout.split_units
            (item.leads if leading else item.cooperating).append(unit)
        item.expansions.extend(more.expansions)
        item.units_written = "；".join(t for t in (item.units_written, lead_cell, cooperating_cell) if t)

    def _written_number(self, row: Row) -> int | None:
        text = self.text(row, "problem_no")
        if not text:
            return None
        if text.isdigit() and 0 < int(text) < 1_000_000:
            self.numbers_written = True
            return int(text)
        self.error(row.number, "problem_no", _("Write the problem number as a whole number, e.g. 3."))
        return None

    def _duplicates(self, n: int, site: str, description: str, measures: str) -> None:
        key = duplicate_key(site, description, measures)
        if key in self.existing:
            self.error(
                n,
                "description",
                _("The letter already has this problem, as item %(seq)d.") % {"seq": self.existing[key]},
            )
        elif key in self.seen:
            self.error(n, "description", _("The same problem as row %(row)d.") % {"row": self.seen[key]})
        else:
            self.seen[key] = n

    def finish(self) -> list[ParsedItem]:
        """The items, their problem numbers set (see the module's docstring).

        Rows with errors make no item, but the rows understood are returned all the same, for
        the preview to list beside the errors: items and errors together are not an import.
        ``notices.services.letter_import_items`` refuses every row while any error stands."""
        if self.numbers_written:  # the sheet's own 问题编号 column
            return [item for item, _problem in self.items]
        grouped = any(problem.measures > 1 for problem in self.problems.values())
        for item, problem in self.items:
            item.problem_no = problem.index if grouped else None
        return [item for item, _problem in self.items]
