"""The state machine under random use: hypothesis drives random sequences of every transition
service, by random people of the world (a dual-role member and the outsider among them), over a
small letter (2 items × units A and B) and letters drafted on the way. After every step:

* a refused step (a DomainError) changed nothing at all (tests.helpers.snapshot);
* an accepted step left exactly one audit row per change of each assignment (its version moved
  by as many as the new audit rows recording a change), and the audit chain stays continuous;
* a closed letter has only closed (or dead) assignments; letter numbers are 1..n, gap-free;

and every run ends with the whole of ``check_integrity`` passing.

Speed: the world and the letter are built once; each example runs inside a savepoint that is
rolled back at its end. ``derandomize=True``: the same 1,000 sequences on every run, so CI is
stable and a failure reproduces; hypothesis still shrinks it to a short one.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as dj_settings
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from supervision import clock, integrity, services
from supervision.models import (
    Assignment,
    AuditEvent,
    Evidence,
    ExtensionRequest,
    Item,
    Letter,
    LetterAttachment,
    LetterKind,
    LetterNumberCounter,
    Notification,
    ProgressReport,
    Role,
    SignOff,
    Unit,
)
from supervision.selectors.queues import reassign_targets
from supervision.services import DomainError
from supervision.services.reminders import assignment_remind
from tests.conftest import build_world, issue_letter, make_user
from tests.helpers import snapshot
from workflows.tasks import buttons

# What tests.helpers.snapshot compares, read with bare SQL: whole rows of the tables a transition
# updates, counts of those it only inserts into. About a tenth of the ORM's cost per step, which
# is what lets 1,000 sequences run in CI time; a test below checks the two agree.
_ROWS = (Assignment, ExtensionRequest, Letter, LetterNumberCounter)
_COUNTED = (Item, AuditEvent, Notification, ProgressReport, Evidence, LetterAttachment, SignOff)


def fingerprint() -> tuple:
    q = connection.ops.quote_name
    out = []
    with connection.cursor() as cursor:
        for model in _ROWS:
            cursor.execute(f"SELECT * FROM {q(model._meta.db_table)} ORDER BY {q('id')}")
            out.append(tuple(cursor.fetchall()))
        counts = ", ".join(f"(SELECT COUNT(*) FROM {q(m._meta.db_table)})" for m in _COUNTED)
        cursor.execute(f"SELECT {counts}")
        out.append(cursor.fetchone())
    return tuple(out)


PEOPLE = (
    "clerk",
    "inspector",
    "director",
    "observer",
    "liaison_a",
    "leader_a",
    "dual",
    "liaison_b",
    "leader_b",
    "liaison_c",
    "outsider",
)
people = st.sampled_from(PEOPLE)
# Who can ever see a button on these letters' assignments (the observer and the outsider never
# do; the button-service agreement for them is tested in test_transition_matrix).
OFFERED_TO = tuple(p for p in PEOPLE if p not in ("observer", "outsider"))
# An index into the assignments in play (taken modulo their number).
picks = st.integers(min_value=0, max_value=15)
texts = st.sampled_from(["已完成排查", "整改过半", "已完成排查"])
tokens = st.sampled_from(["", "", "tok-aaaaaaaa.report_progress", "tok-bbbbbbbb.report_progress"])


def _reassign(m, u, a, **_kw):
    target = reassign_targets(Assignment.objects.get(pk=a)).first() or m.w.unit_c
    return services.assignment_reassign(actor=u, assignment=a, unit=target)


def _extension_request(m, u, a, **_kw):
    deadline = Assignment.objects.get(pk=a).deadline + dt.timedelta(days=10)
    return services.extension_request(actor=u, assignment=a, requested_deadline=deadline, reason="工期长")


# Every transition service, called with valid input: (machine, actor, assignment or extension id).
s_ = services
CALLS = {
    "claim": lambda m, u, a, **kw: s_.assignment_claim(actor=u, assignment=a),
    "unclaim": lambda m, u, a, **kw: s_.assignment_unclaim(actor=u, assignment=a),
    "request_return": lambda m, u, a, **kw: s_.assignment_request_return(actor=u, assignment=a, reason="非本单位"),
    "approve_return": lambda m, u, a, **kw: s_.assignment_approve_return(actor=u, assignment=a),
    "refuse_return": lambda m, u, a, **kw: s_.assignment_refuse_return(actor=u, assignment=a, comment="属本单位"),
    "reassign": _reassign,
    "reissue": lambda m, u, a, **kw: s_.assignment_reissue(actor=u, assignment=a, comment="经核实属本单位"),
    "start": lambda m, u, a, **kw: s_.assignment_start(actor=u, assignment=a),
    "report_progress": lambda m, u, a, text="已完成排查", token="", **kw: s_.assignment_report_progress(
        actor=u, assignment=a, text=text, token=token
    ),
    "carry_forward": lambda m, u, a, **kw: s_.assignment_carry_forward(actor=u, assignment=a),
    "submit_completion": lambda m, u, a, **kw: s_.assignment_submit_completion(actor=u, assignment=a, text="已完成"),
    "approve_completion": lambda m, u, a, **kw: s_.assignment_approve_completion(actor=u, assignment=a),
    "refuse_completion": lambda m, u, a, **kw: s_.assignment_refuse_completion(
        actor=u, assignment=a, comment="材料不全"
    ),
    "verify": lambda m, u, a, **kw: s_.assignment_verify(actor=u, assignment=a),
    "reject": lambda m, u, a, **kw: s_.assignment_reject(actor=u, assignment=a, reason="现场仍有问题"),
    "close": lambda m, u, a, **kw: s_.assignment_close(actor=u, assignment=a),
    "reopen": lambda m, u, a, **kw: s_.assignment_reopen(actor=u, assignment=a, reason="问题反弹"),
    "remind": lambda m, u, a, **kw: assignment_remind(actor=u, assignment=a),
    "extension_request": _extension_request,
    "extension_sign": lambda m, u, e, **kw: s_.extension_sign(actor=u, extension=e),
    "extension_refuse": lambda m, u, e, **kw: s_.extension_refuse(actor=u, extension=e, comment="不同意"),
    "extension_approve": lambda m, u, e, **kw: s_.extension_approve(actor=u, extension=e),
    "extension_reject": lambda m, u, e, **kw: s_.extension_reject(actor=u, extension=e, comment="不予延期"),
}
# The page's action keys and the calls above that carry them out.
BUTTONS = {key: key for key in CALLS} | {"request_extension": "extension_request"}

# Set by the test before the machine runs: the world and the letter every example starts from.
SHARED: dict[str, object] = {}
ACCEPTED: Counter[str] = Counter()


class Campaign(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.w: SimpleNamespace = SHARED["world"]  # type: ignore[assignment]
        self.now: dt.datetime = SHARED["start"]  # type: ignore[assignment]
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.before = fingerprint()
        self.checked: tuple | None = None

    def teardown(self) -> None:
        try:
            found = [str(v) for v in integrity.check_all(files=False)]
            assert not found, found
        finally:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------------

    def _user(self, name: str):
        return getattr(self.w, name)

    def _assignment(self, pick: int) -> int:
        ids = list(Assignment.objects.order_by("pk").values_list("pk", flat=True))
        return ids[pick % len(ids)]

    def _extension(self, pick: int) -> int | None:
        ids = list(ExtensionRequest.objects.order_by("pk").values_list("pk", flat=True))
        return ids[pick % len(ids)] if ids else None

    def _do(self, name: str, call) -> DomainError | None:
        """Run one service call at the machine's time and check what it left behind; the refusal
        if it was refused."""
        versions = dict(Assignment.objects.values_list("pk", "version"))
        since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            with clock.frozen(self.now), transaction.atomic():
                call()
        except DomainError as refused:
            assert fingerprint() == self.before, "a refused step changed something"
            return refused
        # Which calls got through: the sequences must reach deep states, not only bounce off refusals.
        ACCEPTED[name] += 1
        self.before = fingerprint()
        # One audit row per change: each assignment's version moved by its new change rows.
        changes: dict[int, int] = {}
        rows = AuditEvent.objects.filter(pk__gt=since, assignment__isnull=False).exclude(to_state="")
        for asg, action in rows.values_list("assignment_id", "action"):
            if action not in integrity.NO_VERSION_BUMP:
                changes[asg] = changes.get(asg, 0) + 1
        for pk, version in Assignment.objects.values_list("pk", "version"):
            assert version - versions.get(pk, 0) == changes.get(pk, 0), (pk, versions.get(pk), version, changes)
        return None

    # --- any transition, by anyone: mostly refusals, which must change nothing -------------------

    @rule(call=st.sampled_from(sorted(CALLS)), who=people, pick=picks, text=texts, token=tokens)
    def anyone_tries(self, call, who, pick, text, token):
        user = self._user(who)
        if call.startswith("extension_") and call != "extension_request":
            target = self._extension(pick)
            if target is None:
                return
        else:
            target = self._assignment(pick)
        self._do(call, lambda: CALLS[call](self, user, target, text=text, token=token))

    # --- what the page offers, by someone it is offered to: must be accepted ---------------------

    def _offered(self, pick: int, choice: int) -> None:
        a = Assignment.objects.select_related("letter").get(pk=self._assignment(pick))
        offers = []
        # The page's buttons read the clock too (an extension's deadline, this cycle's report).
        with clock.frozen(self.now):
            for name in OFFERED_TO:
                user = self._user(name)
                offers += [(name, BUTTONS[x.key], a.pk) for x in buttons.assignment_buttons(user, a)]
                for ext in ExtensionRequest.objects.filter(assignment=a):
                    offers += [(name, f"extension_{x.key}", ext.pk) for x in buttons.extension_buttons(user, ext)]
        if not offers:
            return
        who, call, target = offers[choice % len(offers)]
        user = self._user(who)
        refused = self._do(call, lambda: CALLS[call](self, user, target, text="已完成排查", token=""))
        assert refused is None, (who, call, a.state, refused)

    @rule(pick=picks, choice=st.integers(min_value=0, max_value=30))
    def someone_acts(self, pick, choice):
        self._offered(pick, choice)

    @rule(pick=st.just(0) | picks, choice=st.integers(min_value=0, max_value=30))
    def someone_acts_on_the_first(self, pick, choice):
        self._offered(pick, choice)

    @rule(choice=st.integers(min_value=0, max_value=30))
    def someone_acts_on_the_first_again(self, choice):
        self._offered(0, choice)

    @rule(who=people)
    def withdraw_letter(self, who):
        letter = SHARED["letter_id"]
        self._do(
            "letter_withdraw", lambda: services.letter_withdraw(actor=self._user(who), letter=letter, reason="误发")
        )

    # --- letters drafted, signed and issued on the way -------------------------------------------

    @rule(who=st.just("clerk") | people, unit=st.sampled_from(["unit_a", "unit_b"]))
    def draft(self, who, unit):
        def call() -> None:
            letter = services.letter_create(
                actor=self._user(who),
                office=self.w.office,
                kind=LetterKind.ASSIGNMENT,
                title="交办函",
                body="请整改。",
                addressee_ids=[getattr(self.w, unit).pk],
            )
            services.item_add(
                actor=self._user(who),
                letter=letter,
                description="问题：设施不完善",
                measures="完善设施",
                deadline=self.now.date() + dt.timedelta(days=40),
            )

        self._do("letter_create", call)

    @rule(who=st.just("director") | people, pick=picks)
    def sign_letter(self, who, pick):
        drafts = list(Letter.objects.filter(state="draft").order_by("pk"))
        if drafts:
            letter = drafts[pick % len(drafts)]
            self._do("letter_sign", lambda: services.letter_sign(actor=self._user(who), letter=letter))

    @rule(who=st.just("clerk") | people, pick=picks)
    def issue_letter(self, who, pick):
        signed = list(Letter.objects.filter(state="signed").order_by("pk"))
        if signed:
            letter = signed[pick % len(signed)]
            self._do("letter_issue", lambda: services.letter_issue(actor=self._user(who), letter=letter))

    # --- the rare far ends, tried on purpose ---------------------------------------------------------
    # Carrying a report forward needs a claim, a report and a quiet cycle; reopening needs a whole
    # write-off. Random calls reach them seldom, and which random campaigns run changes whenever
    # this file changes (the seed is derived from its rules), so these rules make sure they come.

    @rule(pick=picks)
    def a_quiet_cycle(self, pick):
        # The claimer reports, nothing changes for a whole cycle, and the claimer says so.
        a = Assignment.objects.get(pk=self._assignment(pick))
        if a.claimed_by_id and a.state in ("accepted", "in_progress"):
            claimer = a.claimed_by
            self._do(
                "report_progress",
                lambda: services.assignment_report_progress(actor=claimer, assignment=a.pk, text="进展顺利"),
            )
            self.now += dt.timedelta(days=14)
            self._do("carry_forward", lambda: services.assignment_carry_forward(actor=claimer, assignment=a.pk))

    @rule(pick=picks, who=st.sampled_from(["inspector", "director"]))
    def the_office_reopens(self, pick, who):
        a = Assignment.objects.get(pk=self._assignment(pick))
        if a.state == "closed":
            user = self._user(who)
            self._do("reopen", lambda: services.assignment_reopen(actor=user, assignment=a.pk, reason="问题反弹"))

    @rule(days=st.sampled_from([1, 15]))
    def time_passes(self, days):
        self.now += dt.timedelta(days=days)

    # --- after every step ------------------------------------------------------------------------

    @invariant()
    def letters_and_audit_hold(self):
        # A refused step changed nothing (checked in _do), so only a change can break these.
        if self.before == self.checked:
            return
        self.checked = self.before
        found = [
            str(v)
            for v in (
                *integrity.letter_states(),
                *integrity.letter_numbers(),
                *integrity.audit_chain(),
                *integrity.audit_current_state(),
            )
        ]
        assert not found, found


def test_the_fingerprint_sees_what_the_snapshot_sees(world):
    # The cheap comparison used per step notices every change the suite's snapshot notices.
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    before, quick = snapshot(), fingerprint()
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    assert snapshot() != before and fingerprint() != quick
    before, quick = snapshot(), fingerprint()
    Assignment.objects.filter(pk=a.pk).update(responsible_person="李四")
    assert snapshot() != before and fingerprint() != quick
    before, quick = snapshot(), fingerprint()
    assert snapshot() == before and fingerprint() == quick


# The 1,000 sequences run once per `make test`, in the SQLite pass (about 2 minutes); on PostgreSQL the
# same sequences take about 5 minutes, and what differs there (row locks, concurrent claims and numbers)
# is what tests/test_concurrency.py and tests/test_report_idempotency.py race for real.
@pytest.mark.skipif(dj_settings.IS_POSTGRES, reason="the 1,000 random campaigns run in the SQLite pass of make test")
def test_random_campaigns_keep_every_invariant(db):
    # A fixed start: the campaigns cross report windows, cut-offs and deadlines, so a run started
    # on another weekday or hour would draw the same steps into other outcomes.
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo(dj_settings.TIME_ZONE))
    with clock.frozen(start):
        world = build_world()
        world.dual = make_user("dual_a", world.unit_a, Role.LIAISON, Role.LEADER)
        Unit.objects.filter(pk=world.unit_c.pk).update(is_active=True)
        letter = issue_letter(
            world, items=2, units=[world.unit_a, world.unit_b], deadline=start.date() + dt.timedelta(days=60)
        )
    SHARED.update(world=world, letter_id=letter.pk, start=start)
    run_state_machine_as_test(
        Campaign,
        settings=settings(
            max_examples=int(os.environ.get("SM_EXAMPLES", 1000)),
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # Every kind of step was accepted somewhere: the whole machine was exercised, the far end
    # (write-off, reopening) and the letters' own life included.
    expected = set(CALLS) | {"letter_create", "letter_sign", "letter_issue", "letter_withdraw"}
    assert expected <= set(ACCEPTED), sorted(expected - set(ACCEPTED))


pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
