"""The units and people of the province-scale deployment: a province office, city offices below it
(each with counties, departments and work teams), townships below the counties; a liaison and a
leader in every unit, four office staff in every office.

Written with ``bulk_create`` (a few thousand rows per table: the ORM is fast enough, and it fills
every column the way the models say). Everyone gets an unusable password except the few sample
accounts the command prints, so a data set for benchmarks opens no door.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from supervision import clock
from supervision.models import LetterPrefix, Membership, PeerGroup, Role, Unit, UnitKind, User

from . import names

OFFICE_STAFF = (Role.CLERK, Role.INSPECTOR, Role.DIRECTOR, Role.OBSERVER)
# Of each city's units (offices aside): the counties, departments and work teams; townships fill the rest.
COUNTY_SHARE, DEPARTMENT_SHARE, TEAM_SHARE = 0.027, 0.06, 0.018
# The first county of each city has this many townships (when the size allows): a task broken down to
# all of them is the parent with 50 sub-tasks the pages are tried and measured on.
BIG_COUNTY_TOWNSHIPS = 52


@dataclass
class Node:
    """A unit as the generator needs it."""

    id: int
    code: str
    kind: str
    parent_id: int | None
    short: str = ""
    liaison_id: int = 0
    leader_id: int = 0
    children: list[int] = field(default_factory=list)  # townships of a county


@dataclass
class Office:
    unit: Node
    staff: dict[str, int]  # role -> user id
    prefixes: dict[str, tuple[int, str]]  # letter kind -> (prefix id, prefix)
    counties: list[Node] = field(default_factory=list)
    departments: list[Node] = field(default_factory=list)
    teams: list[Node] = field(default_factory=list)

    @property
    def direct(self) -> list[Node]:
        return self.counties + self.departments + self.teams


@dataclass
class Tree:
    province: Office
    cities: list[Office]
    nodes: dict[int, Node]
    users: int = 0
    # username -> what the account is for (the sample accounts with a usable password)
    samples: dict[str, Any] = field(default_factory=dict)

    @property
    def unit_count(self) -> int:
        return len(self.nodes)


@dataclass
class _Pending:
    """Units and people to write, collected level by level."""

    users: list[User] = field(default_factory=list)
    roles: list[tuple[int, str, str]] = field(default_factory=list)  # (user index, unit code, role)


def _layout(units: int, cities: int) -> tuple[int, int, int, int]:
    """(counties, departments, teams, townships) per city for about ``units`` units in all."""
    per_city = max(4, (units - 1 - cities) // cities)
    counties = max(1, round(per_city * COUNTY_SHARE))
    departments = max(1, min(len(names.DEPARTMENTS), round(per_city * DEPARTMENT_SHARE)))
    teams = max(1, min(len(names.WORK_TEAMS), round(per_city * TEAM_SHARE)))
    townships = max(counties, per_city - counties - departments - teams)
    return counties, departments, teams, townships


def _township_counts(counties: int, townships: int) -> list[int]:
    if counties == 1:
        return [townships]
    big = min(BIG_COUNTY_TOWNSHIPS, townships - (counties - 1))
    rest = townships - big
    share, extra = divmod(rest, counties - 1)
    return [big] + [share + (1 if n < extra else 0) for n in range(counties - 1)]


def build(*, cities: int, units: int, seed: int, password: str) -> Tree:
    rng = random.Random(seed)
    now = clock.now()
    unusable = make_password(None)
    usable = make_password(password)
    created = _Creator(now=now, unusable=unusable, rng=rng)
    counties, departments, teams, townships = _layout(units, cities)

    province = created.unit(
        "province", names.PROVINCE_NAME, names.PROVINCE_SHORT, UnitKind.OFFICE, None, staff=OFFICE_STAFF
    )
    created.flush()
    province_office = Office(unit=province, staff={}, prefixes={})
    city_offices: list[Office] = []
    taken: set[str] = set()
    for code, city, _abbr in names.CITIES[:cities]:
        # A city office receives the province's letters as a unit (liaison, leader) and issues its own.
        node = created.unit(
            code,
            names.city_office_name(city),
            f"{city}市巩固衔接办",
            UnitKind.OFFICE,
            province.id,
            staff=OFFICE_STAFF + (Role.LIAISON, Role.LEADER),
        )
        city_offices.append(Office(unit=node, staff={}, prefixes={}))
    created.flush()
    for (code, city, _abbr), office in zip(names.CITIES[:cities], city_offices, strict=False):
        parent = office.unit.id
        for n, place in enumerate(names.place_names(rng, counties, taken), start=1):
            suffix = names.county_suffix(rng)
            office.counties.append(
                created.unit(
                    f"{code}_k{n:02d}", f"{city}市{place}{suffix}人民政府", f"{place}{suffix}", "county", parent
                )
            )
        for n, dept in enumerate(names.DEPARTMENTS[:departments], start=1):
            office.departments.append(created.unit(f"{code}_d{n:02d}", f"{city}市{dept}", dept, "department", parent))
        for n, team in enumerate(names.WORK_TEAMS[:teams], start=1):
            office.teams.append(created.unit(f"{code}_w{n:02d}", f"{city}市{team}", team, "work_team", parent))
    created.flush()
    for office in city_offices:
        for county, count in zip(office.counties, _township_counts(counties, townships), strict=True):
            county_name = created.names[county.code]
            for m, place in enumerate(names.place_names(rng, count, set()), start=1):
                short = f"{place}{names.town_suffix(rng)}"
                full = f"{county_name.removesuffix('人民政府')}{short}人民政府"
                created.unit(f"{county.code}_t{m:02d}", full, short, "township", county.id)
    created.flush()
    created.people()

    tree = Tree(province=province_office, cities=city_offices, nodes=created.nodes, users=created.user_count)
    for office, prefixes in [(province_office, names.PROVINCE_PREFIXES)] + [
        (office, names.city_prefixes(abbr))
        for (_c, _n, abbr), office in zip(names.CITIES[:cities], city_offices, strict=False)
    ]:
        office.staff = created.staff[office.unit.code]
        for kind, prefix in prefixes:
            row = LetterPrefix.objects.create(
                office_id=office.unit.id, kind=kind, prefix=prefix, issuing_body=created.names[office.unit.code]
            )
            office.prefixes[kind] = (row.pk, prefix)
    tree.samples = _samples(tree, usable)
    # The first city's counties rank their townships too (双周排队 one level down; optional elsewhere).
    Unit.objects.filter(pk__in=[c.id for c in city_offices[0].counties]).update(ranks_sub_units=True)
    return tree


class _Creator:
    """Collects units level by level and writes each level in one go (parents need their ids)."""

    def __init__(self, *, now, unusable: str, rng: random.Random):
        self.now, self.unusable, self.rng = now, unusable, rng
        self.pending: list[tuple[Node, Unit, tuple[str, ...]]] = []
        self.nodes: dict[int, Node] = {}
        self.by_code: dict[str, Node] = {}
        self.names: dict[str, str] = {}
        self.staff: dict[str, dict[str, int]] = {}
        self.order = 0
        self.roles: list[tuple[Node, tuple[str, ...]]] = []
        self.user_count = 0

    def unit(
        self, code: str, name: str, short: str, kind: str, parent_id: int | None, staff: tuple[str, ...] = ()
    ) -> Node:
        self.order += 1
        group = PeerGroup.OFFICE if kind == UnitKind.OFFICE else kind
        row = Unit(name=name, short_name=short, kind=kind, peer_group=group, parent_id=parent_id, sort_order=self.order)
        node = Node(id=0, code=code, kind=kind, parent_id=parent_id, short=short)
        self.pending.append((node, row, staff or (Role.LIAISON, Role.LEADER)))
        self.names[code] = name
        return node

    def flush(self) -> None:
        rows = Unit.objects.bulk_create([row for _n, row, _s in self.pending], batch_size=2000)
        for (node, _row, staff), row in zip(self.pending, rows, strict=True):
            node.id = row.pk
            if node.kind == UnitKind.TOWNSHIP:
                self.nodes[node.parent_id].children.append(node.id)
            self.nodes[node.id] = node
            self.by_code[node.code] = node
            self.roles.append((node, staff))
        self.pending = []

    def people(self) -> None:
        users: list[User] = []
        wanted: list[tuple[Node, str]] = []
        for node, roles in self.roles:
            for role in roles:
                users.append(
                    User(
                        username=f"{node.code}_{role}",
                        full_name=names.person_name(self.rng),
                        password=self.unusable,
                        date_joined=self.now,
                    )
                )
                wanted.append((node, role))
        users = User.objects.bulk_create(users, batch_size=2000)
        memberships = []
        for user, (node, role) in zip(users, wanted, strict=True):
            memberships.append(Membership(user_id=user.pk, unit_id=node.id, role=role))
            self.staff.setdefault(node.code, {})[role] = user.pk
            if role == Role.LIAISON:
                node.liaison_id = user.pk
            elif role == Role.LEADER:
                node.leader_id = user.pk
        Membership.objects.bulk_create(memberships, batch_size=2000)
        self.user_count = len(users)


def _samples(tree: Tree, usable: str) -> dict[str, Any]:
    """The accounts the command prints, with a usable password: one of each kind of person."""
    city = tree.cities[0]
    county = city.counties[0]
    township = tree.nodes[county.children[0]]
    samples = {
        f"{tree.province.unit.code}_clerk": _("Province office clerk"),
        f"{tree.province.unit.code}_director": _("Province office director"),
        f"{city.unit.code}_clerk": _("City office clerk"),
        f"{city.unit.code}_director": _("City office director"),
        f"{city.unit.code}_liaison": _("City office liaison (receives the province's letters)"),
        f"{county.code}_liaison": _("County liaison (a task broken down to 50 townships)"),
        f"{county.code}_leader": _("County leader"),
        f"{township.code}_liaison": _("Township liaison"),
    }
    User.objects.filter(username__in=list(samples)).update(password=usable)
    return samples
