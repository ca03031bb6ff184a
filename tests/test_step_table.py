"""The step table drives both the services and the buttons: for letters and notices, every state ×
every person, a step is offered if and only if its service accepts it (the assignment's and the
extension's steps are walked the same way in test_transition_matrix). And every step the table
declares has its button and its service, so a step added to one cannot be missing from the other."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from viewflow.fsm.base import TransitionMethod

from supervision import clock, services
from supervision.models import Assignment, AssignmentState, Cycle, Letter, LetterState, Notice, NoticeState, User
from supervision.models.audit import ACTION_LABELS
from supervision.services import DomainError, document_routing, steps
from tests.conftest import make_user
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.factories import draft_letter, signed_in, write_off
from tests.helpers import ACTORS
from workflows.tasks import buttons

PEOPLE = (*ACTORS, "dual")  # "dual": the office's clerk and one of its directors at once
REASON = "整改时限依据不足，请补充后再送签"


def _director() -> User:
    # Whom the step calls send a document to: the world's director.
    return User.objects.get(username="director")


LETTER_CALLS = {
    "edit": lambda u, letter: services.letter_update_draft(
        actor=u, letter=letter, title="关于加快整改的督办函（修改）"
    ),
    "sign": lambda u, letter: services.letter_sign(actor=u, letter=letter),
    "issue": lambda u, letter: services.letter_issue(actor=u, letter=letter),
    "withdraw": lambda u, letter: services.letter_withdraw(actor=u, letter=letter, reason="误发，撤回重发"),
    "send": lambda u, letter: document_routing.letter_send(actor=u, letter=letter, director=_director()),
    "return": lambda u, letter: document_routing.letter_return(actor=u, letter=letter, reason=REASON),
}
NOTICE_CALLS = {
    "edit": lambda u, notice: services.notice_update_draft(actor=u, notice=notice, title="第1期双周通报（修改）"),
    "sign": lambda u, notice: services.notice_sign(actor=u, notice=notice),
    "publish": lambda u, notice: services.notice_publish(actor=u, notice=notice),
    "send": lambda u, notice: document_routing.notice_send(actor=u, notice=notice, director=_director()),
    "return": lambda u, notice: document_routing.notice_return(actor=u, notice=notice, reason=REASON),
}
TEMPLATES = Path(settings.BASE_DIR) / "templates"


class _RollBack(Exception):
    pass


def _accepted(calls: dict, user, fresh) -> set[str]:
    """The keys whose service call succeeds for ``user`` now (each tried and rolled back)."""
    accepted = set()
    for key, call in calls.items():
        try:
            with transaction.atomic():
                call(user, fresh())
                accepted.add(key)
                raise _RollBack
        except (DomainError, _RollBack):
            pass
    return accepted


def _offered(user, obj) -> set[str]:
    return {s.key for s in steps.allowed(user, obj)}


# --- the table itself -----------------------------------------------------------------------------


def test_every_step_a_person_takes_has_its_button_and_its_service():
    offered = {
        subject: {s.key for s in steps.steps_of(subject) if not s.automatic} for subject in steps.SUBJECTS.values()
    }
    assert offered["assignment"] == set(buttons.ASSIGNMENT)
    assert offered["extension"] == set(buttons.EXTENSION)
    assert offered["letter"] == set(LETTER_CALLS)
    assert offered["notice"] == set(NOTICE_CALLS)
    # The document pages show a step's form under {% if steps.<key> %} (edit: the view's form).
    letter_page = (TEMPLATES / "letters" / "detail.html").read_text()
    notice_page = (TEMPLATES / "cycles" / "notice.html").read_text()
    assert {k for k in offered["letter"] if k != "edit"} <= set(re.findall(r"steps\.(\w+)", letter_page))
    assert offered["notice"] <= set(re.findall(r"steps\.(\w+)", notice_page))


def test_the_table_names_real_transitions_and_states():
    models = {subject: model for model, subject in steps.SUBJECTS.items()}
    for s in steps.TABLE:
        model = models[s.subject]
        states = {c for c, _label in model._meta.get_field("state").choices}
        if s.method:
            assert isinstance(getattr(model, s.method), TransitionMethod), s
            assert not s.states, s
        else:
            assert s.states and set(s.states) <= states, s
        assert s.roles and s.action.split(".")[0] in ("assignment", "extension", "letter", "notice"), s
    # Every step's audit row reads as words on a timeline and a task sheet, never as its code.
    assert not [s.action for s in steps.TABLE if s.action not in ACTION_LABELS]
    keys = [(s.subject, s.key) for s in steps.TABLE]
    assert len(keys) == len(set(keys))


# --- letters ----------------------------------------------------------------------------------------


def _letter_in(world, state: str, *, drafter=None) -> Letter:
    letter = draft_letter(world, units=[world.unit_a, world.unit_b])
    if drafter is not None:
        Letter.objects.filter(pk=letter.pk).update(drafter=drafter)
    if state == "draft":
        return letter
    if state in ("pending", "pending_to_dual"):
        to = world.dual if state == "pending_to_dual" else world.director
        return document_routing.letter_send(actor=world.clerk, letter=letter, director=to)
    services.letter_sign(actor=world.director, letter=letter)
    if state == "signed":
        return letter
    services.letter_issue(actor=world.clerk, letter=letter)
    a = Assignment.objects.get(letter=letter, unit=world.unit_a)
    if state == "taken":
        services.assignment_claim(actor=world.liaison_a, assignment=a)
    elif state == "withdrawn":
        services.letter_withdraw(actor=world.clerk, letter=letter, reason="误发")
    elif state == "closed":
        for x in Assignment.objects.filter(letter=letter):
            ours = x.unit_id == world.unit_a.pk
            write_off(world, x, *((world.liaison_a, world.leader_a) if ours else (world.liaison_b, world.leader_b)))
    return letter


LETTER_CASES = [
    "draft",
    "draft_by_dual",
    "pending",
    "pending_to_dual",
    "signed",
    "issued",
    "taken",
    "closed",
    "withdrawn",
]
PENDING = {"pending": "pending_signature", "pending_to_dual": "pending_signature"}


@pytest.mark.parametrize("case", LETTER_CASES)
def test_letter_buttons_are_exactly_what_the_services_allow(world, case: str):
    world.dual = make_user("dual_o", world.office, "clerk", "director")
    state = "draft" if case == "draft_by_dual" else case
    letter = _letter_in(world, state, drafter=world.dual if case == "draft_by_dual" else None)
    expected = {"taken": LetterState.ISSUED, **PENDING}.get(state, state)
    assert Letter.objects.get(pk=letter.pk).state == expected
    seen = set()
    for name in PEOPLE:
        user = getattr(world, name)
        offered = _offered(user, Letter.objects.get(pk=letter.pk))
        assert offered == _accepted(LETTER_CALLS, user, lambda: Letter.objects.get(pk=letter.pk)), (case, name)
        seen |= offered
    # The cases reach every step somewhere, and the drafter is never offered their own signature.
    assert seen == {
        "draft": {"edit", "send", "sign"},
        "draft_by_dual": {"edit", "send", "sign"},
        "pending": {"sign", "return"},
        "pending_to_dual": {"sign", "return"},
        "signed": {"issue"},
        "issued": {"withdraw"},
    }.get(case, set())
    if case == "draft_by_dual":
        assert _offered(world.dual, Letter.objects.get(pk=letter.pk)) == {"edit", "send"}
    if case.startswith("pending"):
        # Only the director it was sent to signs it or returns it; nobody changes it meanwhile.
        to, other = (world.dual, world.director) if case == "pending_to_dual" else (world.director, world.dual)
        assert _offered(to, Letter.objects.get(pk=letter.pk)) == {"sign", "return"}
        assert _offered(other, Letter.objects.get(pk=letter.pk)) == set()


def test_the_letter_page_shows_the_offered_steps_only(world, client):
    letter = _letter_in(world, "signed")
    url = reverse("letters:detail", args=[letter.pk])
    issue = reverse("letters:act", args=[letter.pk, "issue"])
    # The inspector and the observer read the office's letters but do not issue them.
    for name, shown in (("clerk", True), ("director", True), ("inspector", False), ("observer", False)):
        page = signed_in(client, getattr(world, name)).get(url).content.decode()
        assert (issue in page) is shown, name
    services.letter_issue(actor=world.clerk, letter=letter)
    services.assignment_claim(
        actor=world.liaison_a, assignment=Assignment.objects.get(letter=letter, unit=world.unit_a)
    )
    page = signed_in(client, world.clerk).get(url).content.decode()
    # Once a unit has taken it up, withdrawing is no longer offered (the service would refuse it).
    assert reverse("letters:act", args=[letter.pk, "withdraw"]) not in page


# --- notices ----------------------------------------------------------------------------------------


@pytest.fixture
def closed_cycle(world, settings):
    use_calendar(settings)
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, deadline=dt.date(2024, 6, 28))
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    return Cycle.objects.get(number=1)


def _notice_in(world, cycle, state: str, *, drafter) -> Notice:
    with clock.frozen(at("2024-01-15")):
        notice = services.notice_draft(actor=world.clerk, office=world.office, cycle=cycle)
        Notice.objects.filter(pk=notice.pk).update(drafter=drafter)
        if state in ("pending", "pending_to_dual"):
            to = world.dual if state == "pending_to_dual" else world.director
            document_routing.notice_send(actor=world.clerk, notice=notice.pk, director=to)
        if state in ("signed", "published"):
            services.notice_sign(actor=world.director, notice=notice.pk)
        if state == "published":
            services.notice_publish(actor=world.clerk, notice=notice.pk)
    return notice


@pytest.mark.parametrize("case", ["draft", "draft_by_dual", "pending", "pending_to_dual", "signed", "published"])
def test_notice_buttons_are_exactly_what_the_services_allow(world, closed_cycle, case: str):
    world.dual = make_user("dual_o", world.office, "clerk", "director")
    drafter = world.dual if case == "draft_by_dual" else world.clerk
    notice = _notice_in(world, closed_cycle, "draft" if case == "draft_by_dual" else case, drafter=drafter)
    fresh = lambda: Notice.objects.select_related("cycle").get(pk=notice.pk)  # noqa: E731
    assert fresh().state == {"draft_by_dual": NoticeState.DRAFT, **PENDING}.get(case, case)
    seen = set()
    with clock.frozen(at("2024-01-16")):
        for name in PEOPLE:
            user = getattr(world, name)
            offered = _offered(user, fresh())
            assert offered == _accepted(NOTICE_CALLS, user, fresh), (case, name)
            seen |= offered
    assert seen == {
        "draft": {"edit", "send", "sign"},
        "draft_by_dual": {"edit", "send", "sign"},
        "pending": {"sign", "return"},
        "pending_to_dual": {"sign", "return"},
        "signed": {"publish"},
    }.get(case, set())
    if case == "draft_by_dual":
        assert _offered(world.dual, fresh()) == {"edit", "send"}
    if case.startswith("pending"):
        to, other = (world.dual, world.director) if case == "pending_to_dual" else (world.director, world.dual)
        with clock.frozen(at("2024-01-16")):
            assert _offered(to, fresh()) == {"sign", "return"}
            assert _offered(other, fresh()) == set()


# --- automatic steps --------------------------------------------------------------------------------


def test_automatic_steps_are_never_offered_nor_posted(world):
    assert steps.step("letter", "close") is None and steps.step("assignment", "withdraw") is None
    letter = _letter_in(world, "issued")
    a = Assignment.objects.select_related("letter").get(letter=letter, unit=world.unit_a)
    for name in PEOPLE[:-1]:
        assert steps.WITHDRAW not in steps.allowed(getattr(world, name), a)
    assert a.state == AssignmentState.ISSUED


# --- handing down (分解 / 转办) and rolling up ---------------------------------------------------------

HAND_DOWN_CALLS = {
    "break_down": lambda w, a, u: services.assignment_break_down(
        actor=u, assignment=a.pk, parts=[services.SubTaskPart(w.town_a2.pk, a.deadline, "入户排查")]
    ),
    "forward": lambda w, a, u: services.assignment_forward(actor=u, assignment=a.pk, unit_id=w.town_a2.pk),
    "roll_up": lambda w, a, u: services.assignment_roll_up(actor=u, assignment=a.pk),
    "submit_completion": lambda w, a, u: services.assignment_submit_completion(actor=u, assignment=a.pk, text="完成"),
}


@pytest.mark.parametrize("case", ["claimed", "one_part_open", "forwarded", "parts_written_off"])
def test_hand_down_buttons_are_exactly_what_the_services_allow(hierarchy, case: str):
    from tests.hand_down.conftest import break_down, finish_below

    w = hierarchy
    letter = draft_letter(w, units=[w.unit_a])
    services.letter_sign(actor=w.director, letter=letter)
    services.letter_issue(actor=w.clerk, letter=letter)
    task = services.assignment_claim(actor=w.liaison_a, assignment=Assignment.objects.get(letter=letter))
    if case == "forwarded":
        services.assignment_forward(actor=w.liaison_a, assignment=task.pk, unit_id=w.town_a1.pk)
    elif case != "claimed":
        (sub,) = break_down(w, task, "town_a1")
        if case == "parts_written_off":
            finish_below(w, sub, "town_a1")
    expected = {
        "claimed": {"break_down", "forward"},
        "one_part_open": {"break_down"},
        "forwarded": set(),
        "parts_written_off": {"break_down", "roll_up", "submit_completion"},
    }[case]
    for name in ("liaison_a", "leader_a", "clerk", "director", "liaison_town_a1", "liaison_town_a2"):
        user = getattr(w, name)
        fresh = lambda: Assignment.objects.select_related("letter").get(pk=task.pk)  # noqa: E731
        offered = _offered(user, fresh()) & set(HAND_DOWN_CALLS)
        accepted = _accepted({k: (lambda u, a, c=c: c(w, a, u)) for k, c in HAND_DOWN_CALLS.items()}, user, fresh)
        assert offered == accepted, (case, name)
        assert offered == (expected if name == "liaison_a" else set()), (case, name)
