"""Races on PostgreSQL: real threads, one connection each, committed transactions.

SQLite serialises writers and ignores SELECT ... FOR UPDATE, so a race there proves nothing;
these tests run only against PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from supervision import services
from supervision.models import Assignment, AuditEvent, Letter, LetterNumberCounter, Role
from supervision.services import AlreadyClaimed, InvalidTransition, office_checks
from tests.conftest import issue_letter, make_user
from tests.helpers import draft_letter

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need PostgreSQL row locks; set DATABASE_URL to a PostgreSQL database to run them",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 20


def race(work: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run each callable in its own thread, all released at once; ("ok", result) or ("error", exc)."""
    barrier = threading.Barrier(len(work))
    outcomes: list[tuple[str, Any] | None] = [None] * len(work)

    def run(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[i] = ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - every outcome is checked by the test
            outcomes[i] = ("error", exc)
        finally:
            # Each thread has its own connection; close it so the test database can be dropped.
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(work)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung: a lock was never released"
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]


def test_twenty_liaisons_claim_the_same_assignment_once(world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    liaisons = [make_user(f"liaison_a_{n:02d}", world.unit_a, Role.LIAISON) for n in range(THREADS)]

    outcomes = race(
        [
            lambda u=u: services.assignment_claim(actor=u, assignment=a.pk, responsible_person=u.username)
            for u in liaisons
        ]
    )

    winners = [i for i, (kind, _v) in enumerate(outcomes) if kind == "ok"]
    losers = [v for kind, v in outcomes if kind == "error"]
    assert len(winners) == 1, outcomes
    assert len(losers) == THREADS - 1
    # Anything other than a clean refusal (a deadlock, a constraint error) is a failure.
    assert all(isinstance(e, AlreadyClaimed | InvalidTransition) for e in losers), losers
    a = Assignment.objects.get(pk=a.pk)
    winner = liaisons[winners[0]]
    assert (a.state, a.claimed_by_id, a.responsible_person, a.version) == (
        "accepted",
        winner.pk,
        winner.username,
        1,
    )
    claims = AuditEvent.objects.filter(assignment=a, action="assignment.claimed")
    assert list(claims.values_list("actor_id", flat=True)) == [winner.pk]


def test_twenty_letters_issued_at_once_get_numbers_one_to_twenty(world):
    letters = []
    for _ in range(THREADS):
        letter = draft_letter(world, units=[world.unit_a, world.unit_b], items=[(None, []), (world.unit_a, [])])
        services.letter_sign(actor=world.director, letter=letter)
        letters.append(letter)
    # Neither the counter row nor any number exists yet: the threads race to create both.
    assert not LetterNumberCounter.objects.exists()

    outcomes = race(
        [lambda letter=letter: services.letter_issue(actor=world.clerk, letter=letter) for letter in letters]
    )

    errors = [v for kind, v in outcomes if kind == "error"]
    assert not errors, errors
    issued = Letter.objects.filter(pk__in=[letter.pk for letter in letters])
    assert set(issued.values_list("state", flat=True)) == {"issued"}
    serials = sorted(issued.values_list("serial", flat=True))
    assert serials == list(range(1, THREADS + 1))
    year = issued.first().year
    assert set(issued.values_list("number", flat=True)) == {f"测巩办督〔{year}〕{n}号" for n in range(1, THREADS + 1)}
    assert LetterNumberCounter.objects.get().last_number == THREADS
    # Item 1 goes to A and B as lead, item 2 to A: three assignments per letter, no more.
    for letter in letters:
        got = sorted(Assignment.objects.filter(letter=letter).values_list("item__seq", "unit_id", "role"))
        assert got == sorted(
            [(1, world.unit_a.pk, "lead"), (1, world.unit_b.pk, "lead"), (2, world.unit_a.pk, "lead")]
        ), letter.pk
    assert AuditEvent.objects.filter(action="letter.issued").count() == THREADS
    assert AuditEvent.objects.filter(action="assignment.issued").count() == 3 * THREADS


def test_concurrent_verify_and_reject_one_wins(world):
    # Two inspectors decide the same completion at once: exactly one decision stands.
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    services.assignment_start(actor=world.liaison_a, assignment=a.pk)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=a.pk, text="已完成")
    services.assignment_approve_completion(actor=world.leader_a, assignment=a.pk)
    second = make_user("inspector2", world.office, Role.INSPECTOR)

    outcomes = race(
        [
            lambda: services.assignment_verify(actor=world.inspector, assignment=a.pk),
            lambda: services.assignment_reject(actor=second, assignment=a.pk, reason="仍有问题"),
        ]
    )

    kinds = sorted(kind for kind, _v in outcomes)
    assert kinds == ["error", "ok"], outcomes
    assert all(isinstance(v, InvalidTransition) for kind, v in outcomes if kind == "error")
    a = Assignment.objects.get(pk=a.pk)
    decisions = list(
        AuditEvent.objects.filter(assignment=a, action__in=["assignment.verified", "assignment.rejected"]).values_list(
            "action", "to_state"
        )
    )
    assert len(decisions) == 1
    assert decisions[0][1] == a.state


def test_closing_the_last_two_assignments_at_once_closes_the_letter(world, monkeypatch):
    # Each director's transaction alone sees the other assignment still open; the letter must
    # still end up closed, exactly once.
    letter = issue_letter(world, items=1, units=[world.unit_a, world.unit_b])
    pairs = [(world.unit_a, world.liaison_a, world.leader_a), (world.unit_b, world.liaison_b, world.leader_b)]
    ids = []
    for unit, liaison, leader in pairs:
        a = Assignment.objects.get(letter=letter, unit=unit)
        services.assignment_claim(actor=liaison, assignment=a.pk)
        services.assignment_start(actor=liaison, assignment=a.pk)
        services.assignment_submit_completion(actor=liaison, assignment=a.pk, text="已完成")
        services.assignment_approve_completion(actor=leader, assignment=a.pk)
        services.assignment_verify(actor=world.inspector, assignment=a.pk)
        ids.append(a.pk)
    second = make_user("director2", world.office, Role.DIRECTOR)
    # Hold both transactions right after each closed its assignment and before either looks at
    # the letter: the worst interleaving, every run rather than by luck.
    real = office_checks.letter_close_if_done
    both_closed = threading.Barrier(2)

    def paused(**kwargs: Any) -> bool:
        both_closed.wait(timeout=30)
        return real(**kwargs)

    monkeypatch.setattr(office_checks, "letter_close_if_done", paused)

    outcomes = race(
        [
            lambda: services.assignment_close(actor=world.director, assignment=ids[0]),
            lambda: services.assignment_close(actor=second, assignment=ids[1]),
        ]
    )

    assert [kind for kind, _v in outcomes] == ["ok", "ok"], outcomes
    assert Letter.objects.get(pk=letter.pk).state == "closed"
    assert AuditEvent.objects.filter(letter=letter, action="letter.closed").count() == 1


def test_withdrawal_racing_claims_leaves_one_consistent_outcome(world):
    # The office withdraws a letter while liaisons of both units claim its items: either the
    # letter is withdrawn and no claim took, or a claim took and the letter stays issued.
    letter = issue_letter(world, items=2, units=[world.unit_a, world.unit_b])
    targets = list(Assignment.objects.filter(letter=letter).values_list("pk", "unit_id"))
    liaison = {world.unit_a.pk: world.liaison_a, world.unit_b.pk: world.liaison_b}
    work: list[Callable[[], Any]] = [
        lambda: services.letter_withdraw(actor=world.clerk, letter=letter.pk, reason="发文对象有误")
    ]
    work += [
        lambda pk=pk, unit=unit: services.assignment_claim(actor=liaison[unit], assignment=pk) for pk, unit in targets
    ]

    outcomes = race(work)

    assert all(kind == "ok" or isinstance(v, InvalidTransition) for kind, v in outcomes), outcomes
    letter = Letter.objects.get(pk=letter.pk)
    states = set(Assignment.objects.filter(letter=letter).values_list("state", flat=True))
    if outcomes[0][0] == "ok":
        assert (letter.state, states) == ("withdrawn", {"withdrawn"})
        assert not AuditEvent.objects.filter(letter=letter, action="assignment.claimed").exists()
    else:
        assert letter.state == "issued"
        assert "accepted" in states and "withdrawn" not in states
