"""The unit directory (单位通讯录) as an office brings it when it moves in: the entries read from its
sheet, and the plan of what importing them would do to the units and accounts already here.

The sheet is read in ``notices.contacts`` (headings, kinds, parents, every row checked); what it
hands over is plain data, ``DirectoryEntries``. ``directory_plan`` matches it against the
database without writing anything: the preview shows the plan, and
``services.onboarding.directory_import`` makes it again inside its transaction and carries it out.

Matching rules (the import never makes a second copy of anything):

- a unit is the existing unit of the same name (spaces and the width of brackets aside); an
  existing unit is used as it is, never changed by the import;
- a person is an existing account of the same name and the same phone number (digits compared),
  in any unit: one person listed for two units gets one account with a role in each; a person
  listed without a phone is the account of that name already in that unit, if there is one;
- a person's role in a unit already held is left as it is;
- an account that works in the office (any office role), an administrator's (superuser or staff)
  or one switched off is never matched: the sheet naming one is an error (``DirectoryPlan.errors``),
  so that an import can never give such an account a unit's role; those are given under master
  data, on purpose.

New accounts are named after the person's mobile number (11 digits) when the sheet gives one and
nobody has that username yet: people know their own number, it reads out over the phone, and it
is the same whatever order the sheet lists people in. Otherwise (a landline only, or the number
already taken) the username is the unit's short name and the role, e.g. 市发改委联络员, with 2, 3 …
added when taken: readable too, and as deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from supervision.models import OFFICE_ROLES, Membership, Role, Unit, User

# Mobile numbers in mainland China: 1, then 3-9, then nine digits; "+86"/"86" in front allowed.
MOBILE = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d{9})(?!\d)")
# The role's word in a username made without a mobile number: fixed Chinese, whatever the
# language of the page that ran the import, so the same sheet gives the same usernames.
ROLE_WORDS = {Role.LIAISON: "联络员", Role.LEADER: "分管领导"}
USERNAME_MAX = 150


def name_key(name: str) -> str:
    """Names as compared: the width of brackets and letters and any spaces do not matter."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", name or ""))


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))


def mobile_number(phone: str) -> str:
    """The first mobile number in a phone cell, as 11 digits; "" when there is none."""
    found = MOBILE.search(re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", phone or "")))
    return found.group(1) if found else ""


@dataclass(frozen=True)
class UnitEntry:
    """A unit as the sheet gives it. ``parent``: the parent's full name ("" for none), a unit of
    the sheet or one already here; ``kind`` and ``peer_group`` are codes."""

    row: int
    name: str
    short_name: str = ""
    kind: str = ""
    peer_group: str = ""
    parent: str = ""
    sort_order: int = 0


@dataclass(frozen=True)
class PersonEntry:
    """A person with a role in a unit. ``unit``: the full name of a unit of the sheet or one
    already here."""

    row: int
    unit: str
    full_name: str
    role: str
    title: str = ""
    phone: str = ""

    @property
    def identity(self) -> tuple[str, str]:
        """Who this is across the sheet: name and phone digits; without a phone, name and unit."""
        digits = phone_digits(self.phone)
        return (name_key(self.full_name), digits) if digits else (name_key(self.full_name), "@" + name_key(self.unit))


@dataclass
class DirectoryEntries:
    units: list[UnitEntry] = field(default_factory=list)
    people: list[PersonEntry] = field(default_factory=list)


@dataclass
class PlannedUnit:
    entry: UnitEntry
    existing: Unit | None

    @property
    def is_new(self) -> bool:
        return self.existing is None


@dataclass
class PlannedPerson:
    """``account``: the index in ``DirectoryPlan.accounts`` of the new account this entry gets
    (several entries of one person share it), or None when the person already has an account."""

    entry: PersonEntry
    user: User | None
    has_role: bool  # the role in that unit is held already: nothing to do
    account: int | None = None


@dataclass
class PlannedAccount:
    username: str
    full_name: str
    title: str
    phone: str
    entries: list[int] = field(default_factory=list)  # indexes in DirectoryPlan.people


@dataclass
class DirectoryPlan:
    units: list[PlannedUnit]
    people: list[PlannedPerson]
    accounts: list[PlannedAccount]
    # The units already here that the entries name (as units, people's units or parents), by name_key.
    known: dict[str, Unit] = field(default_factory=dict)
    # (row, message) for what the office should look at: a namesake with another phone, …
    notes: list[tuple[int, str]] = field(default_factory=list)
    # (row, message) for what stops the import: a person who matches an account the import may not touch.
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def new_units(self) -> list[PlannedUnit]:
        return [u for u in self.units if u.is_new]

    @property
    def existing_units(self) -> list[PlannedUnit]:
        return [u for u in self.units if not u.is_new]

    @property
    def new_roles(self) -> list[PlannedPerson]:
        return [p for p in self.people if not p.has_role]

    @property
    def roles_for_existing_accounts(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.user is not None and not p.has_role]

    @property
    def changes_nothing(self) -> bool:
        return not self.new_units and not self.new_roles


def units_for_matching() -> list[Unit]:
    """Every unit, inactive ones and offices included: a sheet naming one must be told so."""
    return list(Unit.objects.select_related("parent").order_by("pk"))


def _short(unit_name: str, entries: dict[str, UnitEntry], existing: dict[str, Unit]) -> str:
    key = name_key(unit_name)
    if key in existing:
        return existing[key].short_name or existing[key].name
    entry = entries.get(key)
    return (entry.short_name if entry else "") or unit_name


def directory_plan(entries: DirectoryEntries) -> DirectoryPlan:
    """What importing the entries would create, and what is already here (a few queries, however
    long the sheet: the units, the namesakes' accounts and roles, the usernames in the way)."""
    wanted = {name_key(u.name) for u in entries.units} | {name_key(p.unit) for p in entries.people}
    wanted |= {name_key(u.parent) for u in entries.units if u.parent}
    existing = {name_key(u.name): u for u in Unit.objects.all() if name_key(u.name) in wanted}
    units = [PlannedUnit(entry, existing.get(name_key(entry.name))) for entry in entries.units]
    by_key = {name_key(u.name): u for u in entries.units}

    names = {p.full_name for p in entries.people}
    namesakes: dict[str, list[User]] = {}
    for user in User.objects.filter(full_name__in=names).order_by("pk"):
        namesakes.setdefault(name_key(user.full_name), []).append(user)
    held: set[tuple[int, int, str]] = set()
    member_of: dict[int, set[int]] = {}
    in_office: set[int] = set()
    if namesakes:
        ids = [u.pk for users in namesakes.values() for u in users]
        for user_id, unit_id, role in Membership.objects.filter(user_id__in=ids).values_list(
            "user_id", "unit_id", "role"
        ):
            held.add((user_id, unit_id, role))
            member_of.setdefault(user_id, set()).add(unit_id)
            if role in OFFICE_ROLES:
                in_office.add(user_id)

    plan = DirectoryPlan(units=units, people=[], accounts=[], known=existing)
    accounts_by_identity: dict[tuple[str, str], int] = {}
    for entry in entries.people:
        unit = existing.get(name_key(entry.unit))
        user = _match(entry, unit, namesakes.get(name_key(entry.full_name), []), member_of, plan)
        if user is not None and _barred(user, in_office, entry, plan):
            user = None
        planned = PlannedPerson(entry, user, has_role=bool(user and unit and (user.pk, unit.pk, entry.role) in held))
        if user is None:
            index = accounts_by_identity.get(entry.identity)
            if index is None:
                index = len(plan.accounts)
                accounts_by_identity[entry.identity] = index
                plan.accounts.append(PlannedAccount("", entry.full_name, entry.title, entry.phone))
            planned.account = index
            plan.accounts[index].entries.append(len(plan.people))
        plan.people.append(planned)
    _name_accounts(plan, by_key, existing)
    return plan


def _match(
    entry: PersonEntry, unit: Unit | None, namesakes: list[User], member_of: dict[int, set[int]], plan: DirectoryPlan
) -> User | None:
    digits = phone_digits(entry.phone)
    in_unit = [u for u in namesakes if unit is not None and unit.pk in member_of.get(u.pk, ())]
    if digits:
        for user in namesakes:
            if phone_digits(user.phone) == digits:
                return user
        if in_unit:
            message = _(
                "%(name)s already has an account in this unit (%(username)s) with another phone number: a "
                "new account is made. If it is the same person, correct the phone number in the sheet."
            ) % {"name": entry.full_name, "username": in_unit[0].username}
            plan.notes.append((entry.row, message))
        return None
    return in_unit[0] if in_unit else None


def _barred(user: User, in_office: set[int], entry: PersonEntry, plan: DirectoryPlan) -> bool:
    """Whether ``user``, matched for ``entry``, is an account the import never touches; if so the
    entry is an error (never a role granted in silence)."""
    if user.is_superuser or user.is_staff or user.pk in in_office:
        message = _("%(name)s works in the office: give unit roles under master data.") % {"name": entry.full_name}
    elif not user.is_active:
        message = _(
            "%(name)s matches an account that is switched off (%(username)s): switch it on under master data "
            "first, or correct the phone number in the sheet."
        ) % {"name": entry.full_name, "username": user.username}
    else:
        return False
    plan.errors.append((entry.row, message))
    return True


def _name_accounts(plan: DirectoryPlan, by_key: dict[str, UnitEntry], existing: dict[str, Unit]) -> None:
    """Usernames for the new accounts (see the module's note), free of each other and of every
    username already here."""
    candidates: list[tuple[str, str]] = []  # (mobile, fallback stem) per account
    for account in plan.accounts:
        first = plan.people[account.entries[0]].entry
        stem = _short(first.unit, by_key, existing) + ROLE_WORDS.get(first.role, "")
        candidates.append((mobile_number(account.phone), re.sub(r"[^\w.@+-]", "", stem)[: USERNAME_MAX - 4] or "user"))
    taken: set[str] = set()
    if candidates:
        # Every username, in one query: a few thousand at most, and no OR of hundreds of prefixes.
        taken = {name.casefold() for name in User.objects.values_list("username", flat=True)}
    for account, (mobile, stem) in zip(plan.accounts, candidates, strict=True):
        if mobile and mobile not in taken:
            account.username = mobile
        else:
            account.username, n = stem, 1
            while account.username.casefold() in taken:
                n += 1
                account.username = f"{stem}{n}"
        taken.add(account.username.casefold())


@dataclass
class DirectoryRow:
    """One unit of the directory as the export writes it, with its people by role."""

    unit: Unit
    parent: str
    people: dict[str, list[User]]


def directory_rows() -> list[DirectoryRow]:
    """The active responsible units (not the office) with their liaisons and leaders, in the
    office's order: two queries however many units."""
    units = list(
        Unit.objects.filter(is_active=True)
        .exclude(kind="office")
        .select_related("parent")
        .order_by("kind", "sort_order", "pk")
    )
    people: dict[int, dict[str, list[User]]] = {}
    for membership in (
        Membership.objects.filter(unit__in=units, role__in=tuple(ROLE_WORDS), user__is_active=True)
        .select_related("user")
        .order_by("unit_id", "role", "created_at", "pk")
    ):
        people.setdefault(membership.unit_id, {}).setdefault(membership.role, []).append(membership.user)
    return [DirectoryRow(u, u.parent.name if u.parent_id else "", people.get(u.pk, {})) for u in units]
