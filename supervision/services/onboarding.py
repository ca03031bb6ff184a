"""Moving in (入驻): the office's unit directory imported whole, accounts with one-time passwords,
and the first sign-in's own password.

``directory_import`` takes what ``notices.contacts`` read from the 单位通讯录 (``parsed``: its
``entries`` and ``errors``) and writes it all or nothing, in one transaction: the new units (a
parent before its children), an account for each new person, their roles, and an audit row for
every unit and account made. What already exists is matched, never duplicated nor changed (the
rules are in ``selectors.directory``): importing the same sheet twice creates nothing the second
time. Only an office clerk or director may import.

Each new account gets a one-time password, random and readable (``k7mp-rx4t-wn9c``: twelve
characters from an alphabet without 0/o, 1/l/i, about 59 bits), that passes the project's
password validators, and ``must_change_password``: until its owner chooses their own
(``account_password_choose``, from the page every other page leads to), nothing else opens. The
passwords are handed back once, in the result, for the page and the printed sheet; only their
hashes are stored, and neither the audit rows nor the log ever carry them.

Hashing: the project's password hasher is made slow on purpose (about 0.2 s a password with
PBKDF2's million rounds), which would make a directory of 300 people a minute's request. A
one-time password is random, not chosen by a person, so its own entropy carries its safety:
it is hashed with the same PBKDF2 at ``ONE_TIME_ITERATIONS`` rounds (59 bits plus 14 more of
work), and Django hashes it again at full cost at the first sign-in (the hasher's must_update),
moments before its owner replaces it anyway.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from supervision.models import OFFICE_ROLES, Membership, Role, Unit, UnitKind, User
from supervision.selectors.directory import DirectoryEntries, DirectoryPlan, directory_plan, name_key

from .audit import audit_event, audit_record, audit_record_many
from .errors import InvalidInput, NotAllowed
from .roles import has_role, office_ids

# Who in the office brings the directory in.
IMPORT_ROLES = (Role.CLERK, Role.DIRECTOR)
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS = 3
GROUP_LENGTH = 4
ONE_TIME_ITERATIONS = 20_000


class Secret(str):
    """A one-time password: its text as any string, its repr masked, so that an error report
    (Django's reporter lists each frame's local variables) or a log line never shows it."""

    def __repr__(self) -> str:
        return "'********'"


class Parsed(Protocol):
    """What ``notices.contacts.parse_directory`` returns (supervision does not import notices)."""

    entries: DirectoryEntries
    errors: Sequence[object]


@dataclass(frozen=True)
class NewAccount:
    user_id: int
    username: str
    full_name: str
    title: str
    phone: str
    password: str = field(repr=False)  # the one-time password, in clear: shown once, never stored
    roles: tuple[tuple[str, str], ...]  # (unit name, role)


@dataclass
class DirectoryImportResult:
    units_created: list[Unit] = field(default_factory=list)
    units_existing: int = 0
    accounts: list[NewAccount] = field(default_factory=list)
    roles_added: int = 0  # roles given to accounts already here
    roles_kept: int = 0  # roles the sheet lists that were held already

    @property
    def changed_nothing(self) -> bool:
        return not self.units_created and not self.accounts and not self.roles_added


def importing_office(user: User) -> tuple[int, str] | None:
    """(office id, role) under which ``user`` may import a directory, or None."""
    for office in sorted(office_ids(user)):
        role = has_role(user, office, IMPORT_ROLES)
        if role is not None:
            return office, role
    return None


def may_import_directory(user: User) -> bool:
    return importing_office(user) is not None


def one_time_password() -> str:
    """A random password one can read out and type: three groups of four, e.g. k7mp-rx4t-wn9c."""
    groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _n in range(GROUP_LENGTH)) for _g in range(PASSWORD_GROUPS))
    return Secret("-".join(groups))


def _valid_one_time_password(user: User) -> str:
    # Random passwords pass the validators all but always; one that happens not to (a repeated
    # chunk, a similarity to the username) is simply drawn again.
    while True:
        password = one_time_password()
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def _one_time_hash(password: str) -> str:
    """The stored hash of a one-time password (see the module's note on the rounds)."""
    hasher = get_hasher("default")
    if isinstance(hasher, PBKDF2PasswordHasher) and hasher.iterations > ONE_TIME_ITERATIONS:
        return hasher.encode(password, hasher.salt(), iterations=ONE_TIME_ITERATIONS)
    return make_password(password)


def _order_new_units(plan: DirectoryPlan) -> list[list[int]]:
    """Indexes of the new units in levels: each unit after its parent (the sheet may list a
    township before its county)."""
    new = {name_key(u.entry.name): i for i, u in enumerate(plan.units) if u.is_new}
    levels: list[list[int]] = []
    placed: set[str] = set()
    waiting = dict(new)
    while waiting:
        level = [i for key, i in waiting.items() if name_key(plan.units[i].entry.parent) not in waiting]
        if not level:
            # A circle of parents: the reader refuses those, so this is a sheet that skipped it.
            raise InvalidInput(_("Some units are each other's parents, round in a circle."), field="parent")
        levels.append(level)
        for i in level:
            key = name_key(plan.units[i].entry.name)
            placed.add(key)
            waiting.pop(key)
    return levels


@transaction.atomic
def directory_import(*, actor: User, parsed: Parsed) -> DirectoryImportResult:
    """Import the directory all or nothing; returns what was made, the one-time passwords with it."""
    found = importing_office(actor)
    if found is None:
        raise NotAllowed(_("Only the office's clerks and directors may import the unit directory."))
    office_id, role = found
    if parsed.errors:
        raise InvalidInput(_("The directory has errors: correct them and import it again."), field="file")
    # One import at a time, across every office: unit names and usernames are unique site-wide, so
    # two offices' clerks confirming at once would both see a unit as new or plan one username.
    # Every office's row is locked, in one order (no deadlock), and read whole (a lock is taken only
    # on rows fetched). SQLite has no row locks but serialises writers, which the catch below covers.
    list(Unit.objects.select_for_update().filter(kind=UnitKind.OFFICE).order_by("pk").values_list("pk", flat=True))
    try:
        return _carry_out(actor=actor, role=role, office_id=office_id, parsed=parsed)
    except IntegrityError as exc:
        # Someone made an account or a unit of a planned name meanwhile (the admin, the API, an
        # import that did not take the lock): the transaction goes back whole, nothing is written.
        raise InvalidInput(
            _("The directory changed meanwhile: upload it again to see a new preview."), field="file"
        ) from exc


def _carry_out(*, actor: User, role: str, office_id: int, parsed: Parsed) -> DirectoryImportResult:
    plan = directory_plan(parsed.entries)
    if plan.errors:
        # Checked again here: the preview showed these, but the accounts may have changed since.
        raise InvalidInput(plan.errors[0][1], field="file")
    result = DirectoryImportResult(units_existing=len(plan.existing_units))
    units: dict[str, Unit] = {name_key(u.entry.name): u.existing for u in plan.units if u.existing is not None}
    events = []

    for level in _order_new_units(plan):
        made = []
        for i in level:
            entry = plan.units[i].entry
            parent = None
            if entry.parent:
                parent = units.get(name_key(entry.parent)) or plan.known.get(name_key(entry.parent))
                if parent is None or parent.kind == UnitKind.OFFICE:
                    raise InvalidInput(_("No unit is called “%(name)s”.") % {"name": entry.parent[:50]}, field="parent")
            unit = Unit(
                name=entry.name,
                short_name=entry.short_name,
                kind=entry.kind,
                peer_group=entry.peer_group or entry.kind,
                parent=parent,
                sort_order=entry.sort_order,
            )
            try:
                unit.clean()
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages), field="kind") from exc
            made.append(unit)
        Unit.objects.bulk_create(made)
        for unit in made:
            units[name_key(unit.name)] = unit
            result.units_created.append(unit)
            events.append(
                audit_event(
                    actor=actor,
                    role=role,
                    unit_id=office_id,
                    action="unit.created",
                    comment=unit.name,
                    data={
                        "unit": unit.pk,
                        "name": unit.name,
                        "kind": unit.kind,
                        "peer_group": unit.peer_group,
                        "parent": unit.parent_id,
                    },
                )
            )

    passwords: list[str] = []
    users: list[User] = []
    for account in plan.accounts:
        user = User(
            username=account.username,
            full_name=account.full_name,
            title=account.title,
            phone=account.phone,
            must_change_password=True,
        )
        password = _valid_one_time_password(user)
        user.password = _one_time_hash(password)
        passwords.append(password)
        users.append(user)
    User.objects.bulk_create(users)

    memberships: list[Membership] = []
    seen: set[tuple[int, int, str]] = set()
    account_roles: dict[int, list[tuple[str, str]]] = {}
    for planned in plan.people:
        if planned.has_role:
            result.roles_kept += 1
            continue
        unit = units[name_key(planned.entry.unit)]
        user = planned.user if planned.user is not None else users[planned.account or 0]
        key = (user.pk, unit.pk, planned.entry.role)
        if key in seen:
            continue
        seen.add(key)
        memberships.append(Membership(user=user, unit=unit, role=planned.entry.role))
        if planned.user is not None:
            result.roles_added += 1
            events.append(
                audit_event(
                    actor=actor,
                    role=role,
                    unit_id=office_id,
                    action="membership.added",
                    comment=f"{user.display_name} · {unit.name}",
                    data={"user": user.pk, "unit": unit.pk, "role": planned.entry.role},
                )
            )
        else:
            account_roles.setdefault(planned.account or 0, []).append((unit.name, planned.entry.role))
    Membership.objects.bulk_create(memberships)

    for index, user in enumerate(users):
        roles = tuple(account_roles.get(index, ()))
        result.accounts.append(
            NewAccount(user.pk, user.username, user.full_name, user.title, user.phone, passwords[index], roles)
        )
        # The username and the roles; never the password.
        events.append(
            audit_event(
                actor=actor,
                role=role,
                unit_id=office_id,
                action="account.created",
                comment=f"{user.username} · {user.full_name}",
                data={"user": user.pk, "username": user.username, "roles": [list(r) for r in roles]},
            )
        )
    events.append(
        audit_event(
            actor=actor,
            role=role,
            unit_id=office_id,
            action="directory.imported",
            data={
                "units_created": len(result.units_created),
                "units_existing": result.units_existing,
                "accounts_created": len(result.accounts),
                "roles_added": result.roles_added,
                "roles_kept": result.roles_kept,
            },
        )
    )
    audit_record_many(events)
    return result


@transaction.atomic
def account_password_choose(*, actor: User, password: str) -> User:
    """The signed-in person's own password in place of the one-time one: checked by the
    project's validators, and ``must_change_password`` cleared, with an audit row (no password)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotAllowed(_("Sign in first."))
    user = User.objects.select_for_update().get(pk=actor.pk)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="new_password1") from exc
    if user.check_password(password):
        raise InvalidInput(_("Choose a password of your own, not the one you were given."), field="new_password1")
    was_one_time = user.must_change_password
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_record(
        actor=user,
        action="account.password_chosen",
        data={"user": user.pk, "one_time_password_replaced": was_one_time},
    )
    actor.password, actor.must_change_password = user.password, False
    return user


@transaction.atomic
def account_one_time_password_reset(*, actor: User, user: User | int) -> str:
    """A new one-time password for a unit's account (lost, or expired before its first use): the
    account must choose its own again at the next sign-in, and every session it has ends (the
    password's hash changes). Only an office clerk or director, and only for active accounts with
    a role in a unit and none in the office, never an administrator's: those are master data's.
    Returns the password, to be shown once; the audit row never holds it."""
    found = importing_office(actor)
    if found is None:
        raise NotAllowed(_("Only the office's clerks and directors may issue one-time passwords."))
    office_id, role = found
    target = User.objects.select_for_update().filter(pk=getattr(user, "pk", user)).first()
    if target is None:
        raise InvalidInput(_("There is no such account."), field="username")
    roles = set(Membership.objects.filter(user=target).values_list("role", "unit__kind"))
    if (
        not target.is_active
        or target.is_superuser
        or target.is_staff
        or any(r in OFFICE_ROLES or kind == UnitKind.OFFICE for r, kind in roles)
        or not roles
    ):
        raise InvalidInput(
            _("Only an active account of a unit (a liaison or a leader) gets a one-time password here."),
            field="username",
        )
    password = _valid_one_time_password(target)
    target.password = _one_time_hash(password)
    target.must_change_password = True
    target.save(update_fields=["password", "must_change_password"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=office_id,
        action="account.one_time_password_reset",
        comment=f"{target.username} · {target.full_name}",
        data={"user": target.pk, "username": target.username},
    )
    return Secret(password)
