"""Shared fixtures: one office, two counties and a department, one user per role in each, and
an outsider with no role anywhere."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from supervision import services
from supervision.models import (
    Assignment,
    LetterKind,
    LetterPrefix,
    Membership,
    PeerGroup,
    Role,
    Unit,
    UnitKind,
    User,
)

FUTURE = dt.date.today() + dt.timedelta(days=60)


@pytest.fixture(autouse=True)
def _english_messages():
    # Assertions read the English source strings; the zh_Hans catalog is tested on its own.
    with translation.override("en"):
        yield


def make_user(username: str, unit: Unit | None = None, *roles: str, full_name: str = "") -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, full_name=full_name or username)
    for role in roles:
        Membership.objects.create(user=user, unit=unit, role=role)
    return user


def build_world() -> SimpleNamespace:
    office = Unit.objects.create(
        name="市巩固衔接领导小组办公室", short_name="市巩固办", kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE
    )
    for kind, prefix in [
        (LetterKind.SUPERVISION, "测巩办督"),
        (LetterKind.ASSIGNMENT, "测巩办交"),
        (LetterKind.REMINDER, "测巩办催"),
    ]:
        LetterPrefix.objects.create(office=office, kind=kind, prefix=prefix, issuing_body="市巩固衔接领导小组")
    unit_a = Unit.objects.create(
        name="甲县人民政府", short_name="甲县", kind=UnitKind.COUNTY, peer_group=PeerGroup.COUNTY
    )
    unit_b = Unit.objects.create(
        name="乙县人民政府", short_name="乙县", kind=UnitKind.COUNTY, peer_group=PeerGroup.COUNTY
    )
    unit_c = Unit.objects.create(
        name="市农业农村局", short_name="农业农村局", kind=UnitKind.DEPARTMENT, peer_group=PeerGroup.DEPARTMENT
    )
    w = SimpleNamespace(office=office, unit_a=unit_a, unit_b=unit_b, unit_c=unit_c)
    w.clerk = make_user("clerk", office, Role.CLERK)
    w.inspector = make_user("inspector", office, Role.INSPECTOR)
    w.director = make_user("director", office, Role.DIRECTOR)
    w.observer = make_user("observer", office, Role.OBSERVER)
    w.liaison_a = make_user("liaison_a", unit_a, Role.LIAISON)
    w.leader_a = make_user("leader_a", unit_a, Role.LEADER)
    w.liaison_b = make_user("liaison_b", unit_b, Role.LIAISON)
    w.leader_b = make_user("leader_b", unit_b, Role.LEADER)
    w.liaison_c = make_user("liaison_c", unit_c, Role.LIAISON)
    w.leader_c = make_user("leader_c", unit_c, Role.LEADER)
    w.outsider = make_user("outsider")
    return w


@pytest.fixture
def world(db) -> SimpleNamespace:
    return build_world()


def issue_letter(
    w: SimpleNamespace,
    *,
    items: int = 2,
    units: list[Unit] | None = None,
    kind: str = LetterKind.SUPERVISION,
    deadline: dt.date = FUTURE,
):
    """A letter drafted by the clerk, signed by the director and issued to the units (default A and B)."""
    units = units or [w.unit_a, w.unit_b]
    letter = services.letter_create(
        actor=w.clerk,
        office=w.office,
        kind=kind,
        title="关于加快整改反馈问题的督办函",
        body="请按时完成整改。",
        addressee_ids=[u.pk for u in units],
    )
    for n in range(items):
        services.item_add(
            actor=w.clerk,
            letter=letter,
            description=f"问题描述{n + 1}：安置点配套设施不完善",
            measures="完善配套设施",
            deadline=deadline,
        )
    services.letter_sign(actor=w.director, letter=letter)
    return services.letter_issue(actor=w.clerk, letter=letter)


@pytest.fixture
def letter(world):
    return issue_letter(world)


@pytest.fixture
def assignment_a(world, letter) -> Assignment:
    """An issued assignment of unit A."""
    return Assignment.objects.filter(letter=letter, unit=world.unit_a).order_by("item__seq").first()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE']}"


def pytest_configure(config):
    # Hashing with PBKDF2 costs ~0.3 s a user; the fixtures create a dozen per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
