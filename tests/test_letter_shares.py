"""Sharing an issued letter with a person or a unit outside its distribution (services/grants.py):
they read the letter and its items, never the units' tasks or evidence; the office's clerk or
director decides, each share and its withdrawal is audited, the reader is told."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.models import GroupObjectPermission, UserObjectPermission

from supervision import services
from supervision.models import (
    AuditEvent,
    Letter,
    LetterKind,
    LetterPrefix,
    Membership,
    Notification,
    PeerGroup,
    Role,
    Unit,
    UnitKind,
    User,
)
from supervision.selectors import visibility
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from tests.conftest import issue_letter, make_user
from tests.helpers import draft_letter, last_audit_id, new_audit, snapshot


@pytest.fixture
def inspection(world) -> SimpleNamespace:
    """An inspection body outside every letter's distribution, with two members."""
    body = Unit.objects.create(
        name="市纪委监委派驻纪检监察组",
        short_name="派驻纪检组",
        kind=UnitKind.DEPARTMENT,
        peer_group=PeerGroup.DEPARTMENT,
    )
    return SimpleNamespace(
        unit=body,
        liaison=make_user("jw_liaison", body, Role.LIAISON, full_name="纪检联络员"),
        leader=make_user("jw_leader", body, Role.LEADER, full_name="纪检组长"),
    )


def _fresh(user: User) -> User:
    # A new object: no cached roles from before a membership changed.
    return User.objects.get(pk=user.pk)


def _page(client, user: User, name: str, *args) -> int:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    return client.get(reverse(name, args=args)).status_code


def _listed(client, user: User) -> set[int]:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    response = client.get(reverse("letters:list"))
    assert response.status_code == 200
    return {row.pk for row in response.context["rows"]}


def _grants() -> tuple[int, int]:
    return UserObjectPermission.objects.count(), GroupObjectPermission.objects.count()


# --- a person --------------------------------------------------------------------------------------


def test_a_person_the_clerk_shares_with_reads_the_letter_is_told_and_it_is_audited(client, world, letter):
    reader = world.outsider
    assert letter.pk not in _listed(client, reader)
    assert _page(client, reader, "letters:detail", letter.pk) == 404
    since = last_audit_id()

    services.letter_share(actor=world.clerk, letter=letter, user=reader)

    assert _listed(client, reader) == {letter.pk}
    assert _page(client, reader, "letters:detail", letter.pk) == 200
    [event] = new_audit(since)
    assert (event.action, event.actor_id, event.actor_role, event.actor_unit_id, event.letter_id) == (
        "letter.shared",
        world.clerk.pk,
        Role.CLERK,
        world.office.pk,
        letter.pk,
    )
    assert event.data["user"] == reader.pk
    note = Notification.objects.get(recipient=reader)
    assert (note.verb, note.letter_id) == ("letter_shared", letter.pk)
    assert letter.number in note.text
    # The letter and its items, read-only; not the units' tasks or their evidence.
    reader = _fresh(reader)
    assert set(visibility.items_visible_to(reader).values_list("pk", flat=True)) == set(
        letter.items.values_list("pk", flat=True)
    )
    assert not visibility.assignments_visible_to(reader).exists()
    assert not visibility.evidence_visible_to(reader).exists()
    some_task = letter.assignments.first()
    assert _page(client, reader, "tasks:detail", some_task.pk) == 404


def test_unsharing_takes_the_letter_away_again_and_is_audited(client, world, letter):
    services.letter_share(actor=world.director, letter=letter, user=world.outsider)
    assert _listed(client, world.outsider) == {letter.pk}
    since = last_audit_id()

    services.letter_unshare(actor=world.clerk, letter=letter, user=world.outsider)

    assert _listed(client, world.outsider) == set()
    assert _page(client, world.outsider, "letters:detail", letter.pk) == 404
    [event] = new_audit(since)
    assert (event.action, event.actor_id, event.data["user"]) == ("letter.unshared", world.clerk.pk, world.outsider.pk)
    assert _grants() == (0, 0)
    # Taking back what was never shared is refused.
    with pytest.raises(InvalidInput):
        services.letter_unshare(actor=world.clerk, letter=letter, user=world.outsider)


# --- a unit ----------------------------------------------------------------------------------------


def test_a_unit_share_reaches_its_members_today_and_tomorrow(client, world, letter, inspection):
    services.letter_share(actor=world.clerk, letter=letter, unit=inspection.unit)

    for member in (inspection.liaison, inspection.leader):
        assert _listed(client, member) == {letter.pk}
        assert Notification.objects.filter(recipient=member, verb="letter_shared", letter=letter).exists()
    assert AuditEvent.objects.filter(action="letter.shared", data__unit=inspection.unit.pk).count() == 1
    assert not visibility.assignments_visible_to(_fresh(inspection.liaison)).exists()
    # Membership decides, with nothing to keep in sync: a new member reads it, a leaver no longer.
    newcomer = make_user("jw_new", inspection.unit, Role.LIAISON)
    assert _listed(client, newcomer) == {letter.pk}
    Membership.objects.filter(user=inspection.leader).delete()
    assert _listed(client, inspection.leader) == set()
    # Other units see nothing more than before.
    assert letter.pk not in _listed(client, world.liaison_c)

    services.letter_unshare(actor=world.director, letter=letter, unit=inspection.unit)
    assert _listed(client, inspection.liaison) == set()
    assert _listed(client, newcomer) == set()


# --- refusals: nothing changes ---------------------------------------------------------------------


def _other_office_clerk() -> User:
    other = Unit.objects.create(name="县巩固衔接领导小组办公室", kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE)
    LetterPrefix.objects.create(office=other, kind=LetterKind.SUPERVISION, prefix="县巩办督", issuing_body="县领导小组")
    return make_user("other_clerk", other, Role.CLERK)


@pytest.mark.parametrize("who", ["liaison_a", "leader_a", "inspector", "observer", "outsider", "other_clerk"])
def test_only_the_issuing_office_s_clerk_or_director_may_share(world, letter, inspection, who):
    actor = _other_office_clerk() if who == "other_clerk" else getattr(world, who)
    before, grants = snapshot(), _grants()
    for target in ({"user": world.outsider}, {"unit": inspection.unit}):
        with pytest.raises(NotAllowed):
            services.letter_share(actor=actor, letter=letter, **target)
    assert (snapshot(), _grants()) == (before, grants)
    assert _fresh(world.outsider).has_perm("supervision.view_letter", letter) is False


def test_nobody_but_the_office_may_take_a_share_back(world, letter):
    services.letter_share(actor=world.clerk, letter=letter, user=world.outsider)
    before, grants = snapshot(), _grants()
    for actor in (world.liaison_a, world.observer, world.outsider, _other_office_clerk()):
        with pytest.raises(NotAllowed):
            services.letter_unshare(actor=actor, letter=letter, user=world.outsider)
    assert (snapshot(), _grants()) == (before, grants)


def test_a_draft_or_signed_letter_cannot_be_shared(world):
    draft = draft_letter(world)
    signed = draft_letter(world)
    services.letter_sign(actor=world.director, letter=signed)
    before, grants = snapshot(), _grants()
    for letter in (draft, signed):
        with pytest.raises(InvalidTransition):
            services.letter_share(actor=world.clerk, letter=letter, user=world.outsider)
    assert (snapshot(), _grants()) == (before, grants)
    assert not visibility.letters_visible_to(_fresh(world.outsider)).exists()


def test_sharing_what_adds_nothing_is_refused(world, inspection):
    letter = issue_letter(world, units=[world.unit_a])
    letter.cc_units.add(world.unit_c)  # as if copied when drafted
    services.letter_share(actor=world.clerk, letter=letter, unit=inspection.unit)
    before, grants = snapshot(), _grants()
    refused = [
        {"user": world.liaison_a},  # an addressee's member
        {"user": world.leader_c},  # a copied unit's member
        {"user": world.observer},  # the issuing office
        {"user": inspection.liaison},  # already reads it through the shared unit
        {"unit": world.unit_a},
        {"unit": world.unit_c},
        {"unit": world.office},
        {"unit": inspection.unit},  # twice
        {},  # nobody
        {"user": world.outsider, "unit": world.unit_b},  # two at once
    ]
    for target in refused:
        with pytest.raises(InvalidInput):
            services.letter_share(actor=world.clerk, letter=letter, **target)
    world.outsider.is_active = False
    world.outsider.save()
    with pytest.raises(InvalidInput):
        services.letter_share(actor=world.clerk, letter=letter, user=world.outsider)
    assert (snapshot(), _grants()) == (before, grants)


# --- the letter page ---------------------------------------------------------------------------------


def _post(client, user: User, letter: Letter, action: str, data: dict) -> str:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    response = client.post(reverse("letters:act", args=[letter.pk, action]), data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_the_clerk_shares_and_unshares_on_the_letter_page(client, world, letter, inspection):
    page = _post(client, world.clerk, letter, "share", {"username": "outsider"})
    assert "They can now read this letter" in page
    page = _post(client, world.clerk, letter, "share", {"unit": inspection.unit.pk})
    # Both are listed on the page, with a way to take them back.
    assert "outsider" in page and inspection.unit.name in page and "Stop sharing" in page
    assert _listed(client, world.outsider) == {letter.pk}
    assert _listed(client, inspection.liaison) == {letter.pk}

    _post(client, world.clerk, letter, "unshare", {"user": world.outsider.pk})
    _post(client, world.clerk, letter, "unshare", {"unit": inspection.unit.pk})
    assert _listed(client, world.outsider) == set()
    assert _listed(client, inspection.liaison) == set()
    assert _grants() == (0, 0)


def test_the_page_refuses_bad_shares_with_a_message_and_changes_nothing(client, world, letter):
    before, grants = snapshot(), _grants()
    assert "No active user has this user name" in _post(client, world.clerk, letter, "share", {"username": "nobody"})
    assert "Name either one person or one unit" in _post(client, world.clerk, letter, "share", {})
    assert "Select a valid choice" in _post(client, world.clerk, letter, "share", {"unit": "99999"})
    # A unit member sees the letter but may not distribute it; no share form is offered to them.
    page = _post(client, world.liaison_a, letter, "share", {"username": "outsider"})
    assert "You need the role" in page
    assert reverse("letters:act", args=[letter.pk, "share"]) not in page
    assert (snapshot(), _grants()) == (before, grants)
    # Someone who cannot see the letter gets no page at all.
    client.force_login(world.outsider)
    assert client.post(reverse("letters:act", args=[letter.pk, "share"]), {"username": "outsider"}).status_code == 404
    assert client.post(reverse("letters:act", args=[letter.pk, "unshare"]), {"user": "x²"}).status_code == 404
    assert (snapshot(), _grants()) == (before, grants)


def test_the_admin_shows_a_letter_s_shares(client, world, letter, inspection, django_user_model):
    services.letter_share(actor=world.clerk, letter=letter, user=world.outsider)
    services.letter_share(actor=world.clerk, letter=letter, unit=inspection.unit)
    admin = django_user_model.objects.create_superuser(username="root", password="pw-root-0123456789")
    client.force_login(admin)
    page = client.get(reverse("admin:supervision_letter_change", args=[letter.pk])).content.decode()
    assert "outsider" in page and inspection.unit.name in page
    # A unit's grant group holds the grant, never the people: membership is read at query time.
    assert not Group.objects.get(name=f"unit:{inspection.unit.pk}").user_set.exists()


# --- cost ----------------------------------------------------------------------------------------


def test_shares_add_no_query_to_the_letter_list(client, world, inspection):
    letters = [issue_letter(world, items=1, units=[world.unit_a]) for _ in range(3)]

    def count(user: User) -> tuple[int, int]:
        client.force_login(user)
        client.get(reverse("letters:list"))  # warm caches (content types, session)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("letters:list"))
        return len(queries), len(response.context["rows"])

    unit_before, _rows = count(inspection.liaison)
    person_before, _rows = count(world.outsider)
    for n, letter in enumerate(letters):
        services.letter_share(actor=world.clerk, letter=letter, unit=inspection.unit)
        if n:
            services.letter_share(actor=world.clerk, letter=letter, user=world.outsider)
    assert count(inspection.liaison) == (unit_before, 3)
    assert count(world.outsider) == (person_before, 2)
    # As many as an addressed unit's member needs for the same three letters.
    assert count(world.liaison_a) == (unit_before, 3)
