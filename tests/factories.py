"""Factories the tests build their scenes from, in one place: the people (one user per role in
the office and in units A, B and C, and an outsider), letters drafted or issued, an assignment
in a given state, and a test client signed in as a person.

Everything goes through the services, as a user would: a factory never writes a row the
engine could not have written itself. The pytest fixtures built on these live in
tests/conftest.py; the transition table used to drive assignments lives in tests/helpers.py.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.test import Client

from supervision import services
from supervision.models import (
    Assignment,
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

FUTURE = dt.date.today() + dt.timedelta(days=60)


# --- people ------------------------------------------------------------------------------------------


def make_user(username: str, unit: Unit | None = None, *roles: str, full_name: str = "") -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, full_name=full_name or username)
    for role in roles:
        Membership.objects.create(user=user, unit=unit, role=role)
    return user


def build_world() -> SimpleNamespace:
    """One office, two counties and a department, one user per role in each, and an outsider
    with no role anywhere."""
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


def build_hierarchy(w: SimpleNamespace) -> SimpleNamespace:
    """Units below the world's counties, for handing tasks down (分解/转办): two townships under
    county A (甲县) and one under county B, a village under A's first township (a fourth level),
    a liaison and a leader in each. With the default four levels the office's task of A may go
    to A's townships, and theirs no further than the village."""

    def below(parent: Unit, name: str, short: str, kind: str, group: str, code: str) -> Unit:
        unit = Unit.objects.create(name=name, short_name=short, kind=kind, peer_group=group, parent=parent)
        setattr(w, code, unit)
        setattr(w, f"liaison_{code}", make_user(f"liaison_{code}", unit, Role.LIAISON))
        setattr(w, f"leader_{code}", make_user(f"leader_{code}", unit, Role.LEADER))
        return unit

    township = (UnitKind.TOWNSHIP, PeerGroup.TOWNSHIP)
    below(w.unit_a, "甲县东镇人民政府", "东镇", *township, "town_a1")
    below(w.unit_a, "甲县西乡人民政府", "西乡", *township, "town_a2")
    below(w.unit_b, "乙县南镇人民政府", "南镇", *township, "town_b1")
    # Villages are not a kind of their own: a township-kind unit one level further down.
    below(w.town_a1, "甲县东镇东村", "东村", *township, "village_a1")
    return w


# --- letters -----------------------------------------------------------------------------------------


def issue_letter(
    w: SimpleNamespace,
    *,
    items: int = 2,
    units: list[Unit] | None = None,
    kind: str = LetterKind.SUPERVISION,
    deadline: dt.date = FUTURE,
) -> Letter:
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


def draft_letter(
    world: SimpleNamespace,
    *,
    units: list[Unit] | None = None,
    cc: list[Unit] | None = None,
    kind: str = "supervision",
    items: list[tuple[Unit | None, list[Unit]]] | None = None,
    deadline: dt.date | None = None,
) -> Letter:
    """A draft by the clerk. ``items``: (lead unit or None, cooperating units) per item; by default
    one item with no units named (it goes to every addressee as lead)."""
    units = [world.unit_a, world.unit_b] if units is None else units
    letter = services.letter_create(
        actor=world.clerk,
        office=world.office,
        kind=kind,
        title="关于加快整改反馈问题的督办函",
        body="请按时完成整改。",
        addressee_ids=[u.pk for u in units],
        cc_ids=[u.pk for u in cc or []],
    )
    for n, (lead, cooperating) in enumerate(items if items is not None else [(None, [])], start=1):
        services.item_add(
            actor=world.clerk,
            letter=letter,
            description=f"问题描述{n}：安置点配套设施不完善",
            measures="完善配套设施",
            deadline=deadline or FUTURE,
            lead_unit_id=lead.pk if lead is not None else None,
            cooperating_unit_ids=[u.pk for u in cooperating],
        )
    return letter


def sign_and_issue(world: SimpleNamespace, letter: Letter) -> Letter:
    services.letter_sign(actor=world.director, letter=letter)
    return services.letter_issue(actor=world.clerk, letter=letter)


# --- assignments -------------------------------------------------------------------------------------


def assignment_in(world: SimpleNamespace, state: str) -> Assignment:
    """Unit A's assignment of a fresh one-item letter (to A and B), driven through the services
    by the people who would do it into ``state``: a key of tests.helpers.PATHS ("issued",
    "in_progress", "closed", "ext_awaiting_decision", …)."""
    # tests.helpers builds its transition table on these factories: imported here, not above.
    from tests.helpers import drive

    return drive(world, state).assignment


def write_off(world: SimpleNamespace, assignment: Assignment, liaison: User, leader: User) -> None:
    """The whole unit and office path from issued to closed."""
    services.assignment_claim(actor=liaison, assignment=assignment.pk)
    services.assignment_submit_completion(
        actor=liaison,
        assignment=services.assignment_start(actor=liaison, assignment=assignment.pk).pk,
        text="已全部完成整改",
    )
    services.assignment_approve_completion(actor=leader, assignment=assignment.pk)
    services.assignment_verify(actor=world.inspector, assignment=assignment.pk)
    services.assignment_close(actor=world.director, assignment=assignment.pk)


# --- clients -----------------------------------------------------------------------------------------


def signed_in(client: Any, user: User, language: str = "en") -> Any:
    """The test client signed in as ``user``. The pages follow the browser's language (Chinese by
    default); the page tests read English unless they say otherwise."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    client.force_login(user)
    return client


def browser_for(user: User, language: str = "en") -> Client:
    """A fresh client signed in as ``user`` that gets errors back as responses, 500 included, as
    a browser would see them (the default test client raises the view's exception instead)."""
    return signed_in(Client(raise_request_exception=False), user, language)
