"""The demo campaign (``manage.py load_demo``): loaded once for this module through the services,
then checked for the shape of the real campaign and the rules every history must obey."""

from __future__ import annotations

import re
from collections import defaultdict
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.test import override_settings
from django.utils import timezone, translation

from supervision.demo import DEMO_PASSWORD, OFFICE_NAME
from supervision.models import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    AuditEvent,
    ExtensionRequest,
    ExtensionState,
    Item,
    Letter,
    LetterKind,
    LetterState,
    Membership,
    Role,
    Unit,
    UnitKind,
    User,
)

NUMBER = re.compile(r"^吕巩办(督|交|催)〔(\d{4})〕([1-9]\d*)号$")


def _counts() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "users": User.objects.count(),
        "letters": Letter.objects.count(),
        "items": Item.objects.count(),
        "assignments": Assignment.objects.count(),
        "events": AuditEvent.objects.count(),
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the full campaign once (about half a minute) inside a transaction that is rolled
    back after the module; evidence files go to a temporary media root."""
    out, err = StringIO(), StringIO()
    media = tmp_path_factory.mktemp("demo_media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        translation.override("en"),
        transaction.atomic(),
    ):
        call_command("load_demo", stdout=out, stderr=err)
        yield SimpleNamespace(output=out.getvalue(), errors=err.getvalue(), counts=_counts())
        transaction.set_rollback(True)


def test_every_replayed_step_was_accepted_by_the_services(demo, db):
    assert demo.errors == ""
    assert "office_clerk" in demo.output and DEMO_PASSWORD in demo.output


def test_units_and_people(demo, db):
    office = Unit.objects.get(name=OFFICE_NAME)
    assert office.kind == UnitKind.OFFICE
    assert set(office.letter_prefixes.values_list("prefix", flat=True)) == {"吕巩办督", "吕巩办交", "吕巩办催"}
    assert Unit.objects.filter(kind=UnitKind.COUNTY, peer_group="county").count() == 13
    assert Unit.objects.filter(kind=UnitKind.WORK_TEAM).count() == 18
    assert 10 <= Unit.objects.filter(kind=UnitKind.DEPARTMENT).count() <= 15
    assert Unit.objects.filter(kind=UnitKind.TOWNSHIP, parent__short_name="离石区").exists()
    for role in (Role.CLERK, Role.INSPECTOR, Role.DIRECTOR, Role.OBSERVER):
        assert Membership.objects.filter(unit=office, role=role, user__is_staff=True).count() == 1
    for unit in Unit.objects.exclude(kind=UnitKind.OFFICE):
        assert set(unit.memberships.values_list("role", flat=True)) == {Role.LIAISON, Role.LEADER}, unit
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="linxian_liaison").check_password(DEMO_PASSWORD)


def test_letters_and_items_have_the_size_of_the_real_campaign(demo, db):
    sent = Letter.objects.exclude(state__in=[LetterState.DRAFT, LetterState.SIGNED])
    assert sent.filter(kind=LetterKind.SUPERVISION).count() == 19
    assert sent.filter(kind=LetterKind.ASSIGNMENT).count() == 21
    assert Letter.objects.filter(state=LetterState.DRAFT).count() == 2
    assert Letter.objects.filter(state=LetterState.SIGNED).count() == 1
    assert Letter.objects.filter(state=LetterState.CLOSED).exists()
    assert 900 <= Item.objects.count() <= 1000
    assert Item.objects.filter(deadline_kind="phase_then_ongoing").exists()
    assert Item.objects.filter(deadline_kind="by_date").exists()
    assert Item.objects.filter(category="common").exists() and Item.objects.filter(category="specific").exists()


def test_letter_numbers_are_well_formed_and_gap_free(demo, db):
    serials: dict[tuple[str, str], list[int]] = defaultdict(list)
    for number in Letter.objects.exclude(number=None).values_list("number", flat=True):
        match = NUMBER.match(number)
        assert match, number
        serials[(match[1], match[2])].append(int(match[3]))
    assert serials
    for numbers in serials.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


def test_four_eyes_on_every_signed_letter(demo, db):
    signed = Letter.objects.exclude(state=LetterState.DRAFT)
    assert signed.count() == 41
    for letter in signed:
        assert letter.signer_id and letter.signer_id != letter.drafter_id
        assert letter.signer.memberships.filter(role=Role.DIRECTOR).exists()
        assert letter.drafter.memberships.filter(role=Role.CLERK).exists()


def test_assignments_cover_the_state_machine(demo, db):
    present = set(Assignment.objects.values_list("state", flat=True).distinct())
    missing = set(AssignmentState.values) - present
    assert len(missing) <= 1, missing
    assert set(ExtensionRequest.objects.values_list("state", flat=True).distinct()) == set(ExtensionState.values)
    assert AuditEvent.objects.filter(action="assignment.reopened").exists()
    assert AuditEvent.objects.filter(action="assignment.rejected").exists()
    assert AuditEvent.objects.filter(action="assignment.completion_refused").exists()
    assert Assignment.objects.filter(reassigned_from__isnull=False).exists()
    overdue = Assignment.objects.filter(state__in=OPEN_STATES, deadline__lt=timezone.localdate())
    assert 0 < overdue.count() < Assignment.objects.filter(state__in=OPEN_STATES).count()


def test_every_assignment_was_issued_on_the_record(demo, db):
    issued = AuditEvent.objects.filter(assignment=OuterRef("pk"), action="assignment.issued")
    assert not Assignment.objects.filter(~Exists(issued)).exists()
    assert not AuditEvent.objects.filter(at__gt=timezone.now()).exists()


def test_loading_again_creates_nothing(demo, db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert _counts() == demo.counts
    assert "office_clerk" in out.getvalue()


def test_accounts_flag_only_prints(db):
    before = _counts()
    out = StringIO()
    call_command("load_demo", "--accounts", stdout=out)
    assert "office_director" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    assert _counts() == before
