"""Importing the unit directory: units with their parents, accounts with one-time passwords and
their roles, all or nothing, once; audit rows without a password; only the office's clerks and
directors."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password

from notices.contacts import parse_directory
from supervision.models import AuditEvent, Membership, PeerGroup, Role, Unit, UnitKind, User
from supervision.services import InvalidInput, NotAllowed
from supervision.services.onboarding import (
    ONE_TIME_ITERATIONS,
    _one_time_hash,
    directory_import,
    one_time_password,
)
from tests.onboarding.sheets import PERSON_HEADINGS, demo_directory, workbook

pytestmark = pytest.mark.django_db

SMALL = [
    ["丙县人民政府", "丙县", "县（市、区）", "", 3, "张三", "股长", "13900000001", "李四", "副县长", "0358-1234567"],
    ["丙县城关镇人民政府", "城关镇", "乡镇", "丙县", 1, "王五", "站长", "13900000003", "", "", ""],
    ["市水利局", "", "市直部门", "", 2, "赵六", "科长", "13900000004", "钱七", "副局长", "13900000005"],
]


def test_import_creates_units_parents_accounts_and_roles(world):
    result = directory_import(actor=world.clerk, parsed=parse_directory(workbook(SMALL)))
    assert sorted(u.name for u in result.units_created) == ["丙县人民政府", "丙县城关镇人民政府", "市水利局"]
    county = Unit.objects.get(name="丙县人民政府")
    town = Unit.objects.get(name="丙县城关镇人民政府")
    assert (county.kind, county.peer_group, county.short_name, county.sort_order) == (
        UnitKind.COUNTY,
        PeerGroup.COUNTY,
        "丙县",
        3,
    )
    assert (town.kind, town.parent_id) == (UnitKind.TOWNSHIP, county.pk)
    assert [a.username for a in result.accounts] == [
        "13900000001",
        "丙县分管领导",  # a landline only: the unit's short name and the role
        "13900000003",
        "13900000004",
        "13900000005",
    ]
    zhang = User.objects.get(username="13900000001")
    assert (zhang.full_name, zhang.title, zhang.phone, zhang.must_change_password) == (
        "张三",
        "股长",
        "13900000001",
        True,
    )
    assert set(Membership.objects.filter(user=zhang).values_list("unit__name", "role")) == {
        ("丙县人民政府", Role.LIAISON)
    }
    assert set(Membership.objects.filter(user__username="丙县分管领导").values_list("unit__name", "role")) == {
        ("丙县人民政府", Role.LEADER)
    }
    # Each one-time password signs in to its own account, and only there.
    for account in result.accounts:
        user = User.objects.get(pk=account.user_id)
        assert user.check_password(account.password)
        assert not User.objects.get(username="13900000004").check_password(result.accounts[0].password)


def test_one_time_passwords_are_readable_random_and_pass_the_validators(world):
    result = directory_import(actor=world.clerk, parsed=parse_directory(demo_directory()))
    passwords = [a.password for a in result.accounts]
    assert len(set(passwords)) == len(passwords) == 96
    for account in result.accounts:
        assert re.fullmatch(r"[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}", account.password)
        validate_password(account.password, User.objects.get(pk=account.user_id))
    assert len({one_time_password() for _n in range(200)}) == 200


def test_the_one_time_hash_is_pbkdf2_at_fewer_rounds_and_upgraded_at_sign_in(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    stored = _one_time_hash("k7mp-rx4t-wn9c")
    assert stored.startswith(f"pbkdf2_sha256${ONE_TIME_ITERATIONS}$")
    user = User.objects.create(username="someone", password=stored)
    assert user.check_password("k7mp-rx4t-wn9c")
    user.refresh_from_db()
    # Checked once, the hash is made again at the project's full cost.
    assert not user.password.startswith(f"pbkdf2_sha256${ONE_TIME_ITERATIONS}$")
    assert user.check_password("k7mp-rx4t-wn9c")


def test_audit_rows_for_units_and_accounts_never_hold_a_password(world):
    result = directory_import(actor=world.clerk, parsed=parse_directory(workbook(SMALL)))
    events = AuditEvent.objects.filter(actor=world.clerk, actor_unit=world.office)
    assert events.filter(action="unit.created").count() == 3
    assert events.filter(action="account.created").count() == 5
    summary = events.get(action="directory.imported")
    assert summary.data == {
        "units_created": 3,
        "units_existing": 0,
        "accounts_created": 5,
        "roles_added": 0,
        "roles_kept": 0,
    }
    created = events.get(action="account.created", data__username="13900000001")
    assert created.data["roles"] == [["丙县人民政府", "liaison"]]
    everything = " ".join(f"{e.comment} {e.data}" for e in AuditEvent.objects.all())
    for account in result.accounts:
        assert account.password not in everything


def test_importing_the_same_sheet_again_creates_nothing(world):
    directory_import(actor=world.clerk, parsed=parse_directory(workbook(SMALL)))
    counts = (Unit.objects.count(), User.objects.count(), Membership.objects.count())
    again = directory_import(actor=world.director, parsed=parse_directory(workbook(SMALL)))
    assert again.changed_nothing
    assert (again.units_existing, again.roles_kept) == (3, 5)
    assert (Unit.objects.count(), User.objects.count(), Membership.objects.count()) == counts


def test_people_already_here_are_not_made_twice(world):
    User.objects.filter(pk=world.liaison_a.pk).update(full_name="张三", phone="139 0000 0001")
    sheet = workbook(
        [
            ["甲县人民政府", "张三", "股长", "13900000001", "联络员"],  # already there: kept
            ["乙县人民政府", "张三", "股长", "13900000001", "联络员"],  # the same person: a role added
            ["甲县人民政府", "孙八", "干事", "", "联络员"],
            ["甲县人民政府", "孙八", "干事", "", "分管领导"],  # one account, two roles in one unit
        ],
        headings=PERSON_HEADINGS,
    )
    result = directory_import(actor=world.clerk, parsed=parse_directory(sheet))
    assert result.roles_kept == 1 and result.roles_added == 1
    assert set(Membership.objects.filter(user=world.liaison_a).values_list("unit__name", flat=True)) == {
        "甲县人民政府",
        "乙县人民政府",
    }
    (account,) = result.accounts
    assert account.username == "甲县联络员"
    assert set(account.roles) == {("甲县人民政府", Role.LIAISON), ("甲县人民政府", Role.LEADER)}
    assert AuditEvent.objects.filter(action="membership.added", data__user=world.liaison_a.pk).count() == 1


def test_a_namesake_with_another_phone_gets_an_account_and_a_note(world):
    User.objects.filter(pk=world.liaison_a.pk).update(full_name="张三", phone="13900000001")
    from supervision.selectors.directory import directory_plan

    parsed = parse_directory(
        workbook([["甲县人民政府", "张三", "", "13911112222", "联络员"]], headings=PERSON_HEADINGS)
    )
    plan = directory_plan(parsed.entries)
    assert plan.notes == [
        (
            2,
            "张三 already has an account in this unit (liaison_a) with another phone number: a new account is "
            "made. If it is the same person, correct the phone number in the sheet.",
        )
    ]
    assert [a.username for a in plan.accounts] == ["13911112222"]


def test_usernames_step_around_those_taken(world):
    User.objects.create(username="13900000001")
    User.objects.create(username="丙县分管领导")
    result = directory_import(actor=world.clerk, parsed=parse_directory(workbook(SMALL[:1])))
    assert [a.username for a in result.accounts] == ["丙县联络员", "丙县分管领导2"]


@pytest.mark.parametrize("who", ["liaison_a", "leader_a", "inspector", "observer", "outsider"])
def test_only_office_clerks_and_directors_import(world, who):
    with pytest.raises(NotAllowed):
        directory_import(actor=getattr(world, who), parsed=parse_directory(workbook(SMALL)))
    assert not Unit.objects.filter(name="丙县人民政府").exists()
    assert not User.objects.filter(username="13900000001").exists()


def test_a_sheet_with_errors_is_refused_whole(world):
    parsed = parse_directory(workbook([*SMALL, ["丁县人民政府", "", "星球"]]))
    assert parsed.errors
    with pytest.raises(InvalidInput):
        directory_import(actor=world.clerk, parsed=parsed)
    assert not Unit.objects.filter(name="丙县人民政府").exists()


def test_all_or_nothing_when_a_write_fails(world, monkeypatch):
    from supervision.services import onboarding

    def broken(events):
        raise RuntimeError("disk full")

    monkeypatch.setattr(onboarding, "audit_record_many", broken)
    with pytest.raises(RuntimeError):
        directory_import(actor=world.clerk, parsed=parse_directory(workbook(SMALL)))
    assert not Unit.objects.filter(name__in=["丙县人民政府", "市水利局"]).exists()
    assert not User.objects.filter(username__startswith="139").exists()


def test_the_demo_office_moves_in_in_one_go(world, django_assert_max_num_queries):
    """The 48 responsible units of the demo office (49 with the office), a liaison and a leader
    each: one import, a bounded number of queries whatever the length of the sheet."""
    parsed = parse_directory(demo_directory())
    with django_assert_max_num_queries(30):
        result = directory_import(actor=world.clerk, parsed=parsed)
    assert len(result.units_created) == 48 and len(result.accounts) == 96
    assert Unit.objects.exclude(kind=UnitKind.OFFICE).count() == 48 + 3  # and the world's three
    assert Unit.objects.get(name="离石区坪头乡人民政府").parent.name == "离石区人民政府"
    assert Membership.objects.filter(unit__in=result.units_created).count() == 96
    assert Unit.objects.filter(kind=UnitKind.WORK_TEAM, peer_group=PeerGroup.WORK_TEAM).count() == 18


def test_new_units_under_units_already_here(world, django_assert_max_num_queries):
    towns = [[f"甲县第{n}镇人民政府", f"第{n}镇", "乡镇", "甲县", n] for n in range(1, 41)]
    parsed = parse_directory(workbook(towns))
    with django_assert_max_num_queries(20):
        result = directory_import(actor=world.clerk, parsed=parsed)
    assert len(result.units_created) == 40
    assert set(Unit.objects.filter(name__startswith="甲县第").values_list("parent", flat=True)) == {world.unit_a.pk}


def test_reading_a_directory_already_here_is_a_few_queries(world, django_assert_max_num_queries):
    directory_import(actor=world.clerk, parsed=parse_directory(demo_directory()))
    with django_assert_max_num_queries(6):
        parsed = parse_directory(demo_directory())
    assert parsed.errors == [] and len(parsed.entries.units) == 48


def test_a_password_never_shows_in_a_repr(world):
    """Error reports list local variables by their repr: a one-time password is masked there."""
    result = directory_import(actor=world.clerk, parsed=parse_directory(workbook(SMALL[:1])))
    for account in result.accounts:
        assert account.password not in repr(account) and account.password not in repr(result)
        assert repr(account.password) == "'********'" and len(str(account.password)) == 14


def _someone_takes_a_planned_username(monkeypatch):
    """Between the plan and the writes, another account takes the first planned username (the
    admin, the API, another office's import): what a snapshot cannot see."""
    from supervision.services import onboarding

    real_plan = onboarding.directory_plan

    def plan_then_race(entries):
        plan = real_plan(entries)
        User.objects.create(username=plan.accounts[0].username)
        return plan

    monkeypatch.setattr(onboarding, "directory_plan", plan_then_race)


def test_an_account_made_meanwhile_is_a_clear_error_and_nothing_is_written(world, monkeypatch):
    _someone_takes_a_planned_username(monkeypatch)
    with pytest.raises(InvalidInput) as raised:
        directory_import(actor=world.clerk, parsed=parse_directory(workbook(SMALL)))
    assert raised.value.message == "The directory changed meanwhile: upload it again to see a new preview."
    assert not Unit.objects.filter(name__in=["丙县人民政府", "丙县城关镇人民政府", "市水利局"]).exists()
    assert not User.objects.filter(username__startswith="139").exists()
    assert not AuditEvent.objects.filter(action__in=["account.created", "directory.imported"]).exists()


@pytest.mark.parametrize("who", ["clerk", "director", "inspector", "admin", "switched_off"])
def test_office_staff_administrators_and_switched_off_accounts_are_never_given_unit_roles(world, who):
    """The sheet lists someone whose name and phone match an account the import may not touch:
    an error on that row, the import refused, no role given."""
    if who == "admin":
        user = User.objects.create_user(username="root", password="pw-root", is_superuser=True, is_staff=True)
    elif who == "switched_off":
        user = world.liaison_b
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        user = getattr(world, who)
    User.objects.filter(pk=user.pk).update(full_name="周九", phone="13900000009")
    sheet = workbook([["甲县人民政府", "周九", "科员", "13900000009", "联络员"]], headings=PERSON_HEADINGS)
    parsed = parse_directory(sheet)
    from supervision.selectors.directory import directory_plan

    plan = directory_plan(parsed.entries)
    assert [row for row, _message in plan.errors] == [2]
    if who == "switched_off":
        assert "switched off (liaison_b)" in plan.errors[0][1]
    else:
        assert plan.errors[0][1] == "周九 works in the office: give unit roles under master data."
    with pytest.raises(InvalidInput):
        directory_import(actor=world.clerk, parsed=parsed)
    assert not Membership.objects.filter(user=user, unit=world.unit_a).exists()
    assert not User.objects.filter(full_name="周九").exclude(pk=user.pk).exists()
