"""The people and units the benchmarks act as: one office and its staff, and responsible units
with one liaison and one leader each (the shape of tests/conftest.py's build_world, scaled up)."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from supervision import services
from supervision.models import (
    Letter,
    LetterKind,
    LetterPrefix,
    Membership,
    PeerGroup,
    Role,
    Unit,
    UnitKind,
    User,
)

DEADLINE = dt.date.today() + dt.timedelta(days=90)


@dataclass
class World:
    office: Unit
    clerk: User
    director: User
    inspector: User
    units: list[Unit]
    liaison: dict[int, User]  # unit id -> its liaison
    leader: dict[int, User]  # unit id -> its leader

    @property
    def unit_ids(self) -> list[int]:
        return [u.pk for u in self.units]


def fresh(user: User) -> User:
    """A new copy of the user, as each request would load it: the services cache the user's
    roles on the instance, and a reused instance would skip that query every time after the first."""
    return copy.copy(user)


def _users(names: list[str]) -> list[User]:
    # One unusable password for all: hashing 200 real passwords would cost a minute.
    password = make_password(None)
    return User.objects.bulk_create([User(username=n, full_name=n, password=password) for n in names])


def build(n_units: int) -> World:
    office = Unit.objects.create(
        name="基准测试领导小组办公室", short_name="基准办", kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE
    )
    LetterPrefix.objects.create(
        office=office, kind=LetterKind.SUPERVISION, prefix="基准办督", issuing_body="基准测试领导小组"
    )
    clerk, director, inspector = _users(["bench_clerk", "bench_director", "bench_inspector"])
    units = Unit.objects.bulk_create(
        [
            Unit(
                name=f"基准县{n:03d}人民政府",
                short_name=f"基准县{n:03d}",
                kind=UnitKind.COUNTY,
                peer_group=PeerGroup.COUNTY,
                sort_order=n,
            )
            for n in range(1, n_units + 1)
        ]
    )
    liaisons = _users([f"bench_liaison_{n:03d}" for n in range(1, n_units + 1)])
    leaders = _users([f"bench_leader_{n:03d}" for n in range(1, n_units + 1)])
    Membership.objects.bulk_create(
        [
            Membership(user=clerk, unit=office, role=Role.CLERK),
            Membership(user=director, unit=office, role=Role.DIRECTOR),
            Membership(user=inspector, unit=office, role=Role.INSPECTOR),
        ]
        + [Membership(user=u, unit=unit, role=Role.LIAISON) for u, unit in zip(liaisons, units, strict=True)]
        + [Membership(user=u, unit=unit, role=Role.LEADER) for u, unit in zip(leaders, units, strict=True)]
    )
    return World(
        office=office,
        clerk=clerk,
        director=director,
        inspector=inspector,
        units=units,
        liaison={unit.pk: u for u, unit in zip(liaisons, units, strict=True)},
        leader={unit.pk: u for u, unit in zip(leaders, units, strict=True)},
    )


def signed_letter(
    world: World, *, unit_ids: list[int], items: int, title: str = "关于加快整改反馈问题的督办函"
) -> Letter:
    """A letter drafted by the clerk and signed by the director, ready to issue. Its items name no
    unit, so each goes to every addressee as lead."""
    clerk = fresh(world.clerk)
    letter = services.letter_create(
        actor=clerk,
        office=world.office,
        kind=LetterKind.SUPERVISION,
        title=title,
        body="请对照问题清单逐项整改，按时报送整改进展。",
        addressee_ids=unit_ids,
    )
    for n in range(1, items + 1):
        services.item_add(
            actor=clerk,
            letter=letter,
            description=f"问题{n}：安置点配套设施不完善，后续扶持措施落实不到位",
            measures="完善配套设施，落实后续扶持措施",
            deadline=DEADLINE,
        )
    return services.letter_sign(actor=fresh(world.director), letter=letter)


def issued_letter(world: World, *, unit_ids: list[int], items: int) -> Letter:
    letter = signed_letter(world, unit_ids=unit_ids, items=items)
    return services.letter_issue(actor=fresh(world.clerk), letter=letter)
