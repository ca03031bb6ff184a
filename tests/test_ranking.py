"""Ranking (双周排队): the figures frozen at a cycle's close, the score and its breakdown, places
and tie-breaks, the escalation ladder, rule set versions, and who sees which results."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from supervision import clock, scoring, services
from supervision.models import (
    DEFAULT_WEIGHTS,
    POINT_FIELDS,
    AuditEvent,
    Cycle,
    Escalation,
    EscalationLevel,
    Notification,
    RuleSet,
    TieBreak,
    UnitResult,
)
from supervision.selectors.rankings import (
    escalations_of,
    interview_list,
    ranking_of,
    referral_list,
    results_visible_to,
    unit_breakdown,
    unit_history,
)
from supervision.services import NotAllowed
from supervision.services.ranking import ranking_recompute
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, report, tick, use_calendar

FAR = dt.date(2024, 6, 28)


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


def result(cycle_number: int, unit) -> UnitResult:
    return UnitResult.objects.get(cycle__number=cycle_number, unit=unit)


# --- the arithmetic -----------------------------------------------------------------------------------


def test_the_breakdown_of_the_documented_rules():
    f = scoring.Figures(
        held=4,
        claims_due=4,
        claimed_on_time=3,
        reports_due=3,
        reports_made=2,
        overdue=1,
        closed=1,
        rejections=1,
        returns_upheld=1,
        returns_rejected=1,
        extensions=1,
    )
    points = scoring.breakdown(f, DEFAULT_WEIGHTS)
    assert points == {
        "points_base": Decimal("0.00"),
        "points_claims": Decimal("7.50"),
        "points_reports": Decimal("20.00"),
        "points_on_time": Decimal("30.00"),
        "points_closed": Decimal("5.00"),
        "points_rejections": Decimal("-2.00"),
        "points_returns_rejected": Decimal("-1.00"),
        "points_returns_upheld": Decimal("0.00"),
        "points_extensions": Decimal("-0.50"),
    }
    assert scoring.total(points) == Decimal("59.00")
    # Nothing due: nothing missed. Nothing held: nothing to earn on it.
    empty = scoring.breakdown(scoring.Figures(), DEFAULT_WEIGHTS)
    assert (empty["points_claims"], empty["points_reports"], empty["points_on_time"]) == (
        Decimal("10.00"),
        Decimal("30.00"),
        Decimal("0.00"),
    )


def test_thirds_round_half_up_to_the_cent():
    f = scoring.Figures(held=3, claims_due=3, claimed_on_time=1, reports_due=3, reports_made=2, closed=2)
    weights = {**DEFAULT_WEIGHTS, "claim_points": Decimal("10.00"), "report_points": Decimal("0.05")}
    points = scoring.breakdown(f, weights)
    assert points["points_claims"] == Decimal("3.33")
    assert points["points_reports"] == Decimal("0.03")  # 0.0333… rounds down, 0.035 would round up
    assert points["points_closed"] == Decimal("13.33")


_counts = st.integers(min_value=0, max_value=500)
_weights = st.decimals(min_value=0, max_value=Decimal("999.99"), places=2, allow_nan=False, allow_infinity=False)


@st.composite
def _figures(draw) -> scoring.Figures:
    held = draw(_counts)
    claims_due, reports_due = draw(_counts), draw(_counts)
    return scoring.Figures(
        held=held,
        claims_due=claims_due,
        claimed_on_time=draw(st.integers(0, claims_due)),
        reports_due=reports_due,
        reports_made=draw(st.integers(0, reports_due)),
        overdue=draw(st.integers(0, held)),
        closed=draw(st.integers(0, held)),
        rejections=draw(_counts),
        returns_upheld=draw(_counts),
        returns_rejected=draw(_counts),
        extensions=draw(_counts),
    )


@hsettings(max_examples=300, deadline=None)
@given(f=_figures(), weights=st.fixed_dictionaries(dict.fromkeys(DEFAULT_WEIGHTS, _weights)))
def test_every_breakdown_adds_up_to_its_score_exactly(f, weights):
    points = scoring.breakdown(f, weights)
    assert set(points) == set(POINT_FIELDS)
    assert all(p == p.quantize(Decimal("0.01")) for p in points.values())
    score = scoring.total(points)
    assert score == sum(points.values(), Decimal("0"))
    assert isinstance(score, Decimal)
    # The integer arithmetic rounds exactly as Decimal's half-up quantize would.
    for key, weight, part, whole in (
        ("points_claims", "claim_points", f.claimed_on_time, f.claims_due),
        ("points_reports", "report_points", f.reports_made, f.reports_due),
        ("points_on_time", "on_time_points", f.held - f.overdue, f.held),
        ("points_closed", "closed_points", f.closed, f.held),
    ):
        if whole:
            exact = (weights[weight] * part / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert points[key] == exact, key


def _entries() -> list[scoring.Entry]:
    def entry(pk: int, group: str = "county", order: int = 0, **figures: int) -> scoring.Entry:
        base = {"held": 4, "claims_due": 4, "claimed_on_time": 4, "reports_due": 4, "reports_made": 4}
        return scoring.Entry(
            unit_id=pk, peer_group=group, sort_order=order, figures=scoring.Figures(**{**base, **figures})
        )

    return [
        entry(1, order=5),
        entry(2, order=3),  # ties with 1 on everything: the office's order decides (3 before 5)
        entry(3, held=8, overdue=2),  # 30 on time of 40 …
        entry(4, overdue=1),  # … the same 30: fewer overdue goes first
        entry(5, reports_made=3, closed=1),  # 10 + 22.5 + 40 + 5 = 77.5
        entry(6, reports_made=2, closed=2),  # 10 + 15 + 40 + 10 = 75 …
        entry(7, claimed_on_time=2),  # … 5 + 30 + 40 = 75 as well
        entry(8, held=0),  # holds nothing: not ranked
        entry(9, group="department"),  # alone in its group
    ]


def test_places_are_deterministic_whatever_order_the_units_come_in():
    expected = [(e.unit_id, e.rank, e.tie_break) for e in scoring.rank(_entries(), DEFAULT_WEIGHTS)]
    for seed in range(20):
        shuffled = _entries()
        random.Random(seed).shuffle(shuffled)
        got = [(e.unit_id, e.rank, e.tie_break) for e in scoring.rank(shuffled, DEFAULT_WEIGHTS)]
        assert got == expected


def test_ties_break_by_the_documented_rules_and_say_why():
    placed = {e.unit_id: e for e in scoring.rank(_entries(), DEFAULT_WEIGHTS)}
    assert placed[2].rank < placed[1].rank
    assert (placed[1].tie_break, placed[1].tied_with) == (TieBreak.ORDER, 2)
    assert placed[4].rank < placed[3].rank and placed[3].tie_break == TieBreak.OVERDUE
    assert placed[6].score == placed[7].score
    # 6 reported 2 of 4, 7 all 4: 7 goes first, 6 is placed after it for its reports.
    assert placed[7].rank < placed[6].rank and placed[6].tie_break == TieBreak.REPORTS
    assert not placed[8].ranked and placed[8].rank is None
    assert (placed[9].rank, placed[9].group_size, placed[9].is_last) == (1, 1, False)
    counties = sorted((e for e in placed.values() if e.peer_group == "county" and e.ranked), key=lambda e: e.rank)
    assert [e.rank for e in counties] == list(range(1, 8)) and counties[-1].is_last


def test_more_written_off_then_fewer_rejections_then_order():
    def entry(pk, **f):
        return scoring.Entry(unit_id=pk, peer_group="county", sort_order=0, figures=scoring.Figures(held=10, **f))

    # Same score by design: 2 more closed (+4.00) against 2 more rejections (−4.00).
    placed = {e.unit_id: e for e in scoring.rank([entry(1, closed=2, rejections=2), entry(2)], DEFAULT_WEIGHTS)}
    assert placed[1].score == placed[2].score
    assert placed[1].rank == 1 and placed[2].tie_break == TieBreak.CLOSED
    placed = {e.unit_id: e for e in scoring.rank([entry(1, rejections=0), entry(2, rejections=0)], DEFAULT_WEIGHTS)}
    assert placed[2].tie_break == TieBreak.ORDER


# --- the figures of a cycle ----------------------------------------------------------------------------


def test_the_figures_frozen_at_the_close(world):
    """Every figure of the rule set, counted over cycle 1's window for unit A."""
    tick(at("2024-01-02", "09:00"))
    moment = at("2024-01-02")
    l1 = issue_at(moment, world, items=3, units=[world.unit_a], deadline=FAR)
    l2 = issue_at(moment, world, items=1, units=[world.unit_a], deadline=FAR)
    l3 = issue_at(moment, world, items=1, units=[world.unit_a], deadline=FAR)
    rework, done, extended = mine(l1, world.unit_a)
    (returned,) = mine(l2, world.unit_a)
    (insisted,) = mine(l3, world.unit_a)
    la, lead = world.liaison_a, world.leader_a
    with clock.frozen(at("2024-01-03")):
        for a in (rework, done, extended):
            services.assignment_claim(actor=la, assignment=a.pk)
        for a in (rework, done):
            services.assignment_start(actor=la, assignment=a.pk)
            services.assignment_submit_completion(actor=la, assignment=a.pk, text="已完成")
            services.assignment_approve_completion(actor=lead, assignment=a.pk)
        services.assignment_reject(actor=world.inspector, assignment=rework.pk, reason="仍有问题")
        services.assignment_verify(actor=world.inspector, assignment=done.pk)
        ext = services.extension_request(
            actor=la, assignment=extended.pk, requested_deadline=FAR + dt.timedelta(days=30), reason="雨季施工"
        )
        services.extension_sign(actor=lead, extension=ext.pk)
        for a in (returned, insisted):
            services.assignment_request_return(actor=la, assignment=a.pk, reason="不属于本单位职责")
            services.assignment_approve_return(actor=lead, assignment=a.pk)
    with clock.frozen(at("2024-01-04")):
        services.extension_approve(actor=world.clerk, extension=ext.pk)
        services.assignment_reassign(actor=world.clerk, assignment=returned.pk, unit=world.unit_c)
        services.assignment_reissue(actor=world.clerk, assignment=insisted.pk, comment="经核实属本单位")
    with clock.frozen(at("2024-01-10")):
        services.assignment_close(actor=world.director, assignment=done.pk)

    tick(cutoff(0))
    a = result(1, world.unit_a)
    figures = {name: getattr(a, name) for name in scoring.FIGURE_FIELDS}
    assert figures == {
        "held": 4,  # rework, done (closed in the window), extended, insisted; the reassigned one is gone
        "claims_due": 4,
        "claimed_on_time": 3,  # the refused return went back unclaimed
        "reports_due": 4,
        "reports_made": 2,  # the two completion reports
        "overdue": 0,
        "closed": 1,
        "rejections": 1,
        "returns_upheld": 1,
        "returns_rejected": 1,
        "extensions": 1,
    }
    assert (a.points_claims, a.points_reports, a.points_on_time, a.points_closed) == (
        Decimal("7.50"),
        Decimal("15.00"),
        Decimal("40.00"),
        Decimal("5.00"),
    )
    assert a.score == Decimal("64.00") == sum((getattr(a, p) for p in POINT_FIELDS), Decimal("0"))
    c = result(1, world.unit_c)  # the reassigned item, issued to C on 4 January
    assert (c.held, c.claims_due, c.claimed_on_time, c.reports_due, c.reports_made) == (1, 1, 0, 1, 0)


def test_a_report_after_the_cut_off_counts_for_the_next_cycle(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, deadline=FAR)
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    claim_and_report(cutoff(0) + dt.timedelta(minutes=1), world.liaison_b, mine(letter, world.unit_b))
    tick(cutoff(0) + dt.timedelta(minutes=2))
    assert (result(1, world.unit_b).reports_made, result(1, world.unit_b).claimed_on_time) == (0, 0)
    tick(cutoff(1))
    assert result(2, world.unit_b).reports_made == 1
    assert result(2, world.unit_a).reports_made == 0  # one report per cycle is asked: A missed cycle 2


def test_reports_beyond_one_per_cycle_earn_nothing(world):
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=1, deadline=FAR)
    claim_and_report(at("2024-01-03"), world.liaison_a, mine(letter, world.unit_a))
    claim_and_report(at("2024-01-03"), world.liaison_b, mine(letter, world.unit_b))
    for day in ("2024-01-04", "2024-01-05", "2024-01-08"):
        report(at(day), world.liaison_a, mine(letter, world.unit_a))
    tick(cutoff(0))
    a, b = result(1, world.unit_a), result(1, world.unit_b)
    assert (a.reports_made, a.score) == (b.reports_made, b.score) == (1, a.score)
    # Equal in every figure: the office's order of units decides, and says so.
    assert (b.rank, b.tie_break, b.tied_with_id) == (2, TieBreak.ORDER, world.unit_a.pk)


# --- places, the ladder, determinism --------------------------------------------------------------------


def _campaign(world, cycles: int, laggard=None):
    """A letter to A and B; A reports every cycle, ``laggard`` (default B) claims late and never reports."""
    laggard = laggard or world.unit_b
    tick(at("2024-01-02", "09:00"))
    letter = issue_at(at("2024-01-02"), world, items=2, deadline=FAR)
    people = {world.unit_a.pk: world.liaison_a, world.unit_b.pk: world.liaison_b}
    diligent = world.unit_a if laggard == world.unit_b else world.unit_b
    claim_and_report(at("2024-01-03"), people[diligent.pk], mine(letter, diligent))
    with clock.frozen(at("2024-01-08")):
        for a in mine(letter, laggard):
            services.assignment_claim(actor=people[laggard.pk], assignment=a.pk)
    tick(cutoff(0))
    for n in range(1, cycles):
        report(cutoff(n) - dt.timedelta(days=3), people[diligent.pk], mine(letter, diligent))
        tick(cutoff(n))
    return letter


def test_the_office_sees_every_place_and_the_last_is_named(world):
    _campaign(world, cycles=1)
    a, b, c = (result(1, u) for u in (world.unit_a, world.unit_b, world.unit_c))
    assert (a.rank, a.group_size, a.score) == (1, 2, Decimal("80.00"))
    assert (b.rank, b.group_size, b.score) == (2, 2, Decimal("40.00"))
    assert (b.claimed_on_time, b.reports_made) == (0, 0)
    assert not c.ranked and c.rank is None and c.held == 0
    esc = Escalation.objects.get()
    assert (esc.unit_id, esc.level, esc.streak, esc.peer_group) == (world.unit_b.pk, EscalationLevel.NAMED, 1, "county")
    event = AuditEvent.objects.get(action="escalation.named")
    assert event.data == {
        "cycle": 1,
        "office": world.office.pk,
        "ranked_by": world.office.pk,
        "unit": world.unit_b.pk,
        "peer_group": "county",
        "streak": 1,
    }
    told = set(Notification.objects.filter(verb="ranking_escalation").values_list("recipient__username", flat=True))
    assert told == {"liaison_b", "leader_b", "clerk", "director"}
    assert [r.unit_id for r in ranking_of(world.observer, Cycle.objects.get(number=1), "county")] == [
        world.unit_a.pk,
        world.unit_b.pk,
    ]


def test_the_ladder_over_three_cycles(world):
    _campaign(world, cycles=3)
    ladder = list(Escalation.objects.filter(unit=world.unit_b).order_by("cycle__number").values_list("level", "streak"))
    assert ladder == [(EscalationLevel.NAMED, 1), (EscalationLevel.INTERVIEW, 2), (EscalationLevel.REFERRAL, 3)]
    actions = list(
        AuditEvent.objects.filter(action__startswith="escalation.").order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["escalation.named", "escalation.interview", "escalation.referral"]
    third = Cycle.objects.get(number=3)
    assert [e.unit_id for e in interview_list(world.clerk, third)] == [world.unit_b.pk]
    assert [e.unit_id for e in referral_list(world.clerk, third)] == [world.unit_b.pk]
    assert list(interview_list(world.clerk, Cycle.objects.get(number=1))) == []
    assert not Escalation.objects.filter(unit=world.unit_a).exists()


def test_a_better_cycle_resets_the_run(world):
    letter = _campaign(world, cycles=2)
    # In cycle 3 B reports and A does not: A is last for the first time, B's run is over.
    report(cutoff(2) - dt.timedelta(days=3), world.liaison_b, mine(letter, world.unit_b))
    tick(cutoff(2))
    assert (result(3, world.unit_b).last_streak, result(3, world.unit_a).last_streak) == (0, 1)
    assert Escalation.objects.get(cycle__number=3).unit_id == world.unit_a.pk
    assert Escalation.objects.get(cycle__number=3).level == EscalationLevel.NAMED


def test_the_ladder_thresholds_are_settings(world, settings):
    settings.CYCLE_LADDER = [2, 3, 5]
    _campaign(world, cycles=3)
    assert list(Escalation.objects.order_by("cycle__number").values_list("cycle__number", "level")) == [
        (2, EscalationLevel.NAMED),
        (3, EscalationLevel.INTERVIEW),
    ]
    assert result(1, world.unit_b).last_streak == 1  # last, but not yet a step of the ladder


def test_ranking_a_closed_cycle_again_gives_the_same_places(world):
    _campaign(world, cycles=2)
    first = Cycle.objects.get(number=1)
    stored = {r.unit_id: (r.rank, r.score, r.tie_break) for r in first.results.all()}
    again = {e.unit_id: (e.rank, e.score, e.tie_break) for e in ranking_recompute(first)}
    assert again == stored
    # New weights do not touch it: the cycle keeps the version it used.
    services.ruleset_revise(
        actor=world.director, weights={"claim_points": Decimal("50"), "report_points": Decimal("0")}, notes="试行"
    )
    assert {e.unit_id: (e.rank, e.score, e.tie_break) for e in ranking_recompute(first)} == stored
    assert Cycle.objects.get(number=1).rule_set.version == 1
    # Nor does the office reordering its units.
    world.unit_a.sort_order = 99
    world.unit_a.save()
    assert {e.unit_id: (e.rank, e.score, e.tie_break) for e in ranking_recompute(first)} == stored
    tick(cutoff(2))
    assert Cycle.objects.get(number=3).rule_set.version == 2


# --- rule sets ------------------------------------------------------------------------------------------


def test_the_default_rules_are_named_in_the_offices_language_whoever_creates_them(world):
    # The tests run in English; the name is printed in notices, so it is stored in Chinese.
    assert services.ruleset_current().name == "双周排队评分规则"


def test_editing_the_rules_saves_a_new_version(world):
    v1 = services.ruleset_current()
    assert v1.version == 1 and v1.weights() == DEFAULT_WEIGHTS
    v2 = services.ruleset_revise(actor=world.clerk, weights={"extension_penalty": Decimal("1.5")}, notes="加重延期扣分")
    v1.refresh_from_db()
    assert (v1.is_current, v1.extension_penalty) == (False, Decimal("0.50"))
    assert (v2.version, v2.is_current, v2.extension_penalty, v2.replaces_id) == (2, True, Decimal("1.50"), v1.pk)
    assert services.ruleset_current() == v2
    event = AuditEvent.objects.get(action="ruleset.revised")
    assert event.data["changed"] == {"extension_penalty": ["0.50", "1.50"]}
    with pytest.raises(NotAllowed):
        services.ruleset_revise(actor=world.liaison_a, weights={})
    with pytest.raises(services.InvalidInput):
        services.ruleset_revise(actor=world.clerk, weights={"claim_points": Decimal("-1")})
    assert RuleSet.objects.count() == 2


def test_the_admin_saves_edited_weights_as_a_new_version(client, world):
    world.director.is_staff = True
    world.director.is_superuser = True
    world.director.save()
    v1 = services.ruleset_current()
    client.force_login(world.director)
    data = {name: str(value) for name, value in v1.weights().items()}
    data.update(name=v1.name, notes="调整权重", min_held="1", report_points="35.00", on_time_points="35.00")
    response = client.post(f"/admin/supervision/ruleset/{v1.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    v1.refresh_from_db()
    assert v1.report_points == Decimal("30.00") and not v1.is_current
    v2 = RuleSet.objects.get(is_current=True)
    assert (v2.version, v2.report_points, v2.on_time_points, v2.created_by) == (
        2,
        Decimal("35.00"),
        Decimal("35.00"),
        world.director,
    )


# --- who sees what --------------------------------------------------------------------------------------


def test_a_unit_sees_its_own_breakdown_and_no_one_elses(world):
    _campaign(world, cycles=2)
    cycle = Cycle.objects.get(number=1)
    own = unit_breakdown(world.liaison_a, cycle, world.unit_a)
    assert own is not None and own.adds_up and own.rank == 1
    assert sum((line.points for line in own.lines), Decimal("0")) == own.score == Decimal("80.00")
    assert unit_breakdown(world.liaison_a, cycle, world.unit_b) is None
    assert unit_breakdown(world.leader_b, cycle, world.unit_a) is None
    assert unit_breakdown(world.outsider, cycle, world.unit_a) is None
    assert set(results_visible_to(world.liaison_a).values_list("unit_id", flat=True)) == {world.unit_a.pk}
    assert [r.unit_id for r in ranking_of(world.liaison_b, cycle)] == [world.unit_b.pk]
    assert list(escalations_of(world.liaison_a, cycle)) == []
    assert [e.unit_id for e in escalations_of(world.liaison_b, cycle)] == [world.unit_b.pk]
    # The office sees all, the observer included.
    for who in (world.clerk, world.observer, world.director):
        assert unit_breakdown(who, cycle, world.unit_b) is not None
        assert results_visible_to(who).filter(cycle=cycle).count() == 3


def test_a_unit_follows_its_place_and_reasons_across_cycles(world):
    _campaign(world, cycles=3)
    history = unit_history(world.leader_b, world.unit_b)
    assert [(h.result.cycle.number, h.rank, h.group_size) for h in history] == [(1, 2, 2), (2, 2, 2), (3, 2, 2)]
    assert [h.escalation.level for h in history] == [1, 2, 3]
    assert all(h.adds_up for h in history)
    assert unit_history(world.leader_a, world.unit_b) == []
