"""The people half of checking a unit directory (notices/contacts.py): each unit's liaisons and
leaders as the sheet writes them — one row per unit with its people's columns, or one row per
person — their posts and phones, several people in one cell, the same person listed twice."""

from __future__ import annotations

from django.utils.translation import gettext as _

from supervision.models import Role
from supervision.selectors.directory import PersonEntry, name_key

from .contacts_layout import (
    PEOPLE_SEPARATORS,
    heading_key,
)
from .contacts_read import (
    PERSON_LAYOUT,
)
from .contacts_values import (
    choice_labels,
    person_name,
    phone_looks_right,
    phone_text,
    unit_name,
)

# The model's limits (Unit.name, Unit.short_name, User.full_name, User.title, User.phone).
NAME_MAX, SHORT_MAX, PERSON_MAX, TITLE_MAX, PHONE_MAX = 100, 40, 50, 60, 30
PERSON_MAX, TITLE_MAX, PHONE_MAX = 50, 60, 30
# (role, name column, post column, phone column) of the one-row-per-unit layout.
ROLE_COLUMNS = (
    (Role.LIAISON, "liaison", "liaison_title", "liaison_phone"),
    (Role.LEADER, "leader", "leader_title", "leader_phone"),
)
PLACEHOLDERS = frozenset({"—", "-", "－", "无", "/"})


class PeopleChecks:
    """Mixed into contacts._Checker, which holds what these read and write: ``rows`` (the sheet),
    ``resolved`` (the units found, by name), ``roles`` (role words), and ``error``/``warn``/
    ``too_long`` (the messages)."""

    def people(self) -> list[PersonEntry]:
        found: list[PersonEntry] = []
        seen: dict[tuple[str, str, tuple[str, str]], int] = {}
        for row, cells in self.rows.records:
            unit = self.resolved.get(name_key(unit_name(cells.get("name", ""))))
            people = self.row_people(row, cells)
            if unit is None:
                continue  # the unit's row has an error already
            for key, role, name, title, phone in people:
                if not name:
                    continue
                errors_before = len(self.errors)
                self.too_long(row, key, name, PERSON_MAX)
                self.too_long(row, _title_key(key), title, TITLE_MAX)
                self.too_long(row, _phone_key(key), phone, PHONE_MAX)
                if len(self.errors) > errors_before:
                    continue
                if phone and not phone_looks_right(phone):
                    self.warn(
                        row,
                        _phone_key(key),
                        _("“%(phone)s” does not look like a phone number; it is kept as written.") % {"phone": phone},
                    )
                entry = PersonEntry(row, unit.name, name, role, title, phone)
                identity = (name_key(unit.name), role, entry.identity)
                if identity in seen:
                    self.warn(
                        row,
                        key,
                        _("%(name)s is listed for this unit and role on row %(row)d already: counted once.")
                        % {"name": name, "row": seen[identity]},
                    )
                    continue
                seen[identity] = row
                found.append(entry)
        return found

    def row_people(self, row: int, cells: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
        """(name column, role, name, post, phone) of each person on the row."""
        if self.rows.layout == PERSON_LAYOUT:
            name = person_name(cells.get("person", ""))
            title, phone, role_text = cells.get("title", ""), phone_text(cells.get("phone", "")), cells.get("role", "")
            if not name:
                if title or phone or role_text:
                    self.error(row, "person", _("Missing: the person's name is required."))
                return []
            role = self.roles.get(heading_key(role_text), "")
            if role not in (Role.LIAISON, Role.LEADER):
                if not role_text:
                    self.error(row, "role", _("Missing: write the person's role."))
                else:
                    self.error(
                        row,
                        "role",
                        _("“%(value)s” is not a role in a unit: write one of %(choices)s.")
                        % {"value": role_text[:50], "choices": choice_labels(Role, (Role.LIAISON, Role.LEADER))},
                    )
                return []
            return [("person", role, name, " ".join(title.split()), phone)]
        people = []
        for role, name_key_, title_key, phone_key in ROLE_COLUMNS:
            names = [person_name(n) for n in PEOPLE_SEPARATORS.split(cells.get(name_key_, "")) if n.strip()]
            title, phone = " ".join(cells.get(title_key, "").split()), phone_text(cells.get(phone_key, ""))
            if not names:
                if title or phone:
                    self.error(row, name_key_, _("Missing: the name of the person whose post or phone is given."))
                continue
            if len(names) == 1:
                people.append((name_key_, role, names[0], title, phone))
                continue
            titles = self.split(row, title_key, title, len(names))
            phones = self.split(row, phone_key, phone, len(names))
            if titles is None or phones is None:
                continue
            people += [(name_key_, role, n, t, p) for n, t, p in zip(names, titles, phones, strict=True)]
        return people

    def split(self, row: int, key: str, text: str, count: int) -> list[str] | None:
        """Several people in one cell: their posts or phones one each, or one for all."""
        parts = [p.strip() for p in PEOPLE_SEPARATORS.split(text) if p.strip()]
        if len(parts) == count:
            # "—" holds the place of someone without a post or phone (the export writes it so).
            return ["" if p in PLACEHOLDERS else p for p in parts]
        if len(parts) <= 1:
            return [text] * count
        self.error(
            row,
            key,
            _(
                "%(names)d names but %(values)d values here: give one for each person, "
                "in the same order, separated by 、."
            )
            % {"names": count, "values": len(parts)},
        )
        return None


def _title_key(name_column: str) -> str:
    return "title" if name_column == "person" else f"{name_column}_title"


def _phone_key(name_column: str) -> str:
    return "phone" if name_column == "person" else f"{name_column}_phone"
