"""What each user may see (selectors and has_perm, each against a matrix written out by hand), and
the audit trail is append-only."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from guardian.shortcuts import assign_perm

from supervision import services
from supervision.models import Assignment, AuditEvent, Evidence, Letter, User
from supervision.selectors import visibility
from tests.helpers import ACTORS, draft_letter, sign_and_issue

OFFICE = ("clerk", "inspector", "director", "observer")
EVERYONE = (*ACTORS, "liaison_c", "leader_c")


@pytest.fixture
def scene(world) -> SimpleNamespace:
    """Two issued letters and two unissued ones.

    shared: to A and B, one item each holds as lead.
    coop:   to A and C, one item led by A with C cooperating.
    draft / signed: addressed to A, not issued.
    """
    w = world
    shared = sign_and_issue(w, draft_letter(w, units=[w.unit_a, w.unit_b]))
    coop = sign_and_issue(w, draft_letter(w, units=[w.unit_a, w.unit_c], items=[(w.unit_a, [w.unit_c])]))
    draft = draft_letter(w, units=[w.unit_a])
    signed = draft_letter(w, units=[w.unit_a])
    services.letter_sign(actor=w.director, letter=signed)

    def asg(letter: Letter, unit) -> Assignment:
        return Assignment.objects.get(letter=letter, unit=unit)

    return SimpleNamespace(
        shared=shared,
        coop=coop,
        draft=draft,
        signed=signed,
        shared_a=asg(shared, w.unit_a),
        shared_b=asg(shared, w.unit_b),
        coop_lead_a=asg(coop, w.unit_a),
        coop_c=asg(coop, w.unit_c),
    )


def _pks(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_unit_sees_its_own_assignments_only(world, scene):
    for who in ("liaison_a", "leader_a"):
        assert _pks(visibility.assignments_visible_to(getattr(world, who))) == {scene.shared_a.pk, scene.coop_lead_a.pk}
    for who in ("liaison_b", "leader_b"):
        assert _pks(visibility.assignments_visible_to(getattr(world, who))) == {scene.shared_b.pk}


def test_unit_sees_letters_addressed_to_it_once_issued(world, scene):
    assert _pks(visibility.letters_visible_to(world.liaison_a)) == {scene.shared.pk, scene.coop.pk}
    assert _pks(visibility.letters_visible_to(world.liaison_b)) == {scene.shared.pk}
    assert _pks(visibility.letters_visible_to(world.leader_c)) == {scene.coop.pk}


@pytest.mark.parametrize("who", ["liaison_a", "leader_a"])
def test_drafts_and_signed_letters_are_invisible_to_units(world, scene, who: str):
    user = getattr(world, who)
    assert not visibility.letters_visible_to(user).filter(pk__in=[scene.draft.pk, scene.signed.pk]).exists()
    assert visibility.letter_get(user, scene.draft.pk) is None
    assert not visibility.items_visible_to(user).filter(letter__in=[scene.draft, scene.signed]).exists()


def test_cooperating_unit_sees_the_item_and_its_own_assignment_not_the_leads(world, scene):
    c = world.liaison_c
    assert _pks(visibility.assignments_visible_to(c)) == {scene.coop_c.pk}
    assert visibility.assignment_get(c, scene.coop_lead_a.pk) is None
    assert visibility.assignment_get(c, scene.coop_c.pk) == scene.coop_c
    assert _pks(visibility.items_visible_to(c)) == {scene.coop_c.item_id}
    assert not c.has_perm("supervision.view_assignment", scene.coop_lead_a)


@pytest.mark.parametrize("who", OFFICE)
def test_office_users_see_everything_including_drafts(world, scene, who: str):
    user = getattr(world, who)
    assert _pks(visibility.assignments_visible_to(user)) == _pks(Assignment.objects.all())
    assert _pks(visibility.letters_visible_to(user)) == {
        scene.shared.pk,
        scene.coop.pk,
        scene.draft.pk,
        scene.signed.pk,
    }


def test_outsider_sees_nothing(world, scene):
    o = world.outsider
    assert not visibility.letters_visible_to(o).exists()
    assert not visibility.assignments_visible_to(o).exists()
    assert not visibility.items_visible_to(o).exists()
    assert not visibility.evidence_visible_to(o).exists()
    assert visibility.assignment_get(o, scene.shared_a.pk) is None


def test_inactive_user_sees_nothing(world, scene):
    world.liaison_a.is_active = False
    world.liaison_a.save()
    user = User.objects.get(pk=world.liaison_a.pk)
    assert not visibility.assignments_visible_to(user).exists()
    assert not user.has_perm("supervision.view_assignment", scene.shared_a)


def test_guardian_grant_shows_that_one_letter_to_the_outsider(world, scene):
    o = world.outsider
    assign_perm("supervision.view_letter", o, scene.shared)
    o = User.objects.get(pk=o.pk)  # a fresh user: no cached permissions
    assert _pks(visibility.letters_visible_to(o)) == {scene.shared.pk}
    assert o.has_perm("supervision.view_letter", scene.shared)
    assert not o.has_perm("supervision.view_letter", scene.coop)
    # The letter, not its units' work: assignments stay hidden.
    assert not visibility.assignments_visible_to(o).exists()
    assert not o.has_perm("supervision.view_assignment", scene.shared_a)
    # The items of that letter (its attachment table) come with it.
    assert _pks(visibility.items_visible_to(o)) == set(scene.shared.items.values_list("pk", flat=True))


def test_guardian_grant_on_one_assignment(world, scene):
    o = world.outsider
    assign_perm("supervision.view_assignment", o, scene.shared_b)
    o = User.objects.get(pk=o.pk)
    assert _pks(visibility.assignments_visible_to(o)) == {scene.shared_b.pk}
    assert o.has_perm("supervision.view_assignment", scene.shared_b)


# Who sees what of the scene, written out by hand: (assignments, letters) per person. The office
# sees every letter, drafts included; a unit sees its own assignments and the issued letters
# addressed to it; the outsider sees nothing.
_ALL_ASSIGNMENTS = {"shared_a", "shared_b", "coop_lead_a", "coop_c"}
_ALL_LETTERS = {"shared", "coop", "draft", "signed"}
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    **dict.fromkeys(OFFICE, (_ALL_ASSIGNMENTS, _ALL_LETTERS)),
    **dict.fromkeys(("liaison_a", "leader_a"), ({"shared_a", "coop_lead_a"}, {"shared", "coop"})),
    **dict.fromkeys(("liaison_b", "leader_b"), ({"shared_b"}, {"shared"})),
    **dict.fromkeys(("liaison_c", "leader_c"), ({"coop_c"}, {"coop"})),
    "outsider": (set(), set()),
}


def test_the_matrix_names_everyone_and_everything(world, scene):
    # A person or a row the matrix forgot would be checked by nobody.
    assert set(EXPECTED) == set(EVERYONE)
    assert {getattr(scene, n).pk for n in _ALL_ASSIGNMENTS} == _pks(Assignment.objects.all())
    assert {getattr(scene, n).pk for n in _ALL_LETTERS} == _pks(Letter.objects.all())


@pytest.mark.parametrize("who", EVERYONE)
def test_each_person_sees_exactly_the_expected_assignments_and_letters(world, scene, who: str):
    user = User.objects.get(pk=getattr(world, who).pk)  # a fresh user: no cached permissions
    assignments, letters = EXPECTED[who]
    expected_asg = {getattr(scene, n).pk for n in assignments}
    expected_letters = {getattr(scene, n).pk for n in letters}
    # The list pages (selectors) and the object checks (has_perm) each against the matrix.
    assert _pks(visibility.assignments_visible_to(user)) == expected_asg
    assert _pks(visibility.letters_visible_to(user)) == expected_letters
    for name in sorted(_ALL_ASSIGNMENTS):
        a = getattr(scene, name)
        assert user.has_perm("supervision.view_assignment", a) == (name in assignments), (who, name)
        assert (visibility.assignment_get(user, a.pk) is not None) == (name in assignments), (who, name)
    for name in sorted(_ALL_LETTERS):
        letter = getattr(scene, name)
        assert user.has_perm("supervision.view_letter", letter) == (name in letters), (who, name)
        assert (visibility.letter_get(user, letter.pk) is not None) == (name in letters), (who, name)


def test_has_perm_is_only_about_viewing(world, scene):
    # Changing is never a permission: the services decide by role and state.
    assert not world.clerk.has_perm("supervision.change_assignment", scene.shared_a)
    assert not world.liaison_a.has_perm("supervision.change_assignment", scene.shared_a)


def test_evidence_is_visible_with_its_assignment_only(world, scene):
    services.assignment_claim(actor=world.liaison_a, assignment=scene.shared_a)
    services.assignment_report_progress(
        actor=world.liaison_a,
        assignment=scene.shared_a,
        text="已完成一半",
        files=[SimpleUploadedFile("现场.pdf", b"%PDF-1.4 test", "application/pdf")],
    )
    ev = Evidence.objects.get()
    for who in EVERYONE:
        user = User.objects.get(pk=getattr(world, who).pk)
        expected = who in OFFICE or who in ("liaison_a", "leader_a")
        assert visibility.evidence_visible_to(user).filter(pk=ev.pk).exists() == expected, who
        assert user.has_perm("supervision.view_evidence", ev) == expected, who


def test_reassigned_item_becomes_visible_to_the_new_unit(world, scene):
    a = scene.shared_a
    services.assignment_request_return(actor=world.liaison_a, assignment=a, reason="不属于本县")
    services.assignment_approve_return(actor=world.leader_a, assignment=a)
    new = services.assignment_reassign(actor=world.clerk, assignment=a, unit=world.unit_c)
    assert visibility.assignment_get(world.liaison_c, new.pk) == new
    assert visibility.assignment_get(world.liaison_a, new.pk) is None
    # C now sees the letter its new assignment comes from, though it was not addressed.
    assert visibility.letter_get(world.liaison_c, scene.shared.pk) is not None


# --- the audit trail is append-only ----------------------------------------------------------------


def _event(world) -> AuditEvent:
    letter = draft_letter(world)
    return AuditEvent.objects.filter(letter=letter).earliest("id")


def test_audit_save_on_an_existing_row_raises(world):
    event = _event(world)
    event.comment = "改写历史"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).comment == ""


def test_audit_update_is_refused_by_the_database(world):
    event = _event(world)
    # IntegrityError on SQLite (RAISE(ABORT)), InternalError on PostgreSQL: both DatabaseErrors.
    expected = IntegrityError if connection.vendor == "sqlite" else DatabaseError
    with pytest.raises(expected), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(comment="改写历史")
    with pytest.raises(expected), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor=world.outsider)
    fresh = AuditEvent.objects.get(pk=event.pk)
    assert (fresh.comment, fresh.actor_id) == ("", world.clerk.pk)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL refuses DELETE by trigger (SQLite's test flush deletes row by row)",
)
def test_audit_delete_is_refused_by_postgresql(world):
    event = _event(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
