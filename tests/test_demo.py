"""The demo campaign (``manage.py load_demo``): loaded once for this module through the services,
then checked for the shape of the real campaign and the rules every history must obey."""

from __future__ import annotations

import ast
import re
import time
from collections import defaultdict
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from demo.units import DEMO_PASSWORD, OFFICE_NAME, OFFICE_SHORT
from notices import layout, title_breaks
from notices.letters import letter_pdf
from supervision.models import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    AuditEvent,
    Cycle,
    Escalation,
    EscalationLevel,
    Evidence,
    ExtensionRequest,
    ExtensionState,
    Item,
    Letter,
    LetterKind,
    LetterState,
    Membership,
    Notice,
    Notification,
    ProgressReport,
    Role,
    Unit,
    UnitKind,
    UnitResult,
    User,
)
from supervision.selectors.rankings import notices_visible_to, unit_history
from supervision.selectors.search import Light, light_expression
from tests.factories import signed_in
from tests.notices import pdfs

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
    # Reminder letters (催办函) are drafted by tick as assignments fall overdue: counted apart.
    own = Letter.objects.exclude(kind=LetterKind.REMINDER)
    assert own.filter(state=LetterState.DRAFT).count() == 2
    assert own.filter(state=LetterState.SIGNED).count() == 1
    assert Letter.objects.filter(state=LetterState.CLOSED).exists()
    assert 900 <= Item.objects.exclude(letter__kind=LetterKind.REMINDER).count() <= 1000
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
    assert signed.exclude(kind=LetterKind.REMINDER).count() == 41
    assert signed.filter(kind=LetterKind.REMINDER).exists()
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
    assert not Assignment.objects.filter(parent=None).filter(~Exists(issued)).exists()
    # A sub-task is issued by the unit that handed it down.
    handed = AuditEvent.objects.filter(assignment=OuterRef("pk"), action="assignment.handed_down")
    assert not Assignment.objects.exclude(parent=None).filter(~Exists(handed)).exists()
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


def _imports(package: str) -> list[tuple[Path, str, list[str]]]:
    """(file, module, names) for every absolute import in a top-level package's source."""
    found = []
    for path in sorted((Path(settings.BASE_DIR) / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((path, node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found += [(path, a.name, []) for a in node.names]
    return found


def test_the_demo_is_an_app_of_its_own_and_a_client_of_the_domain():
    # The command ships with the demo app, not with the domain package a deployment installs.
    assert get_commands()["load_demo"] == "demo"
    # One-way: nothing in the domain, the documents or the web pages reaches for the demo...
    for package in ("supervision", "notices", "workflows", "project"):
        assert not [(p, m) for p, m, _ in _imports(package) if m.split(".")[0] == "demo"], package
    # ...and the demo uses the domain as the web layer does: no web or document code, and none
    # of the domain's private helpers.
    for path, module, names in _imports("demo"):
        assert module.split(".")[0] not in ("workflows", "notices", "project"), (path, module)
        if module.startswith("supervision"):
            assert not [n for n in [*module.split("."), *names] if n.startswith("_")], (path, module, names)


# --- cycles, ranking, notices (双周调度、双周通报、双周排队) ---------------------------------------


def test_past_cycles_are_closed_and_ranked_and_the_current_one_is_open(demo, db):
    cycles = list(Cycle.objects.order_by("number"))
    assert len(cycles) >= 5
    *closed, current = cycles
    assert current.state == "open" and current.opens_at < timezone.now() <= current.cutoff_at
    assert all(c.state == "closed" and c.rule_set_id for c in closed)
    # The office ranks the units placed nowhere in the tree (counties, work teams, departments) and
    # the townships below 离石区 only where they hold one of its own tasks (as a cooperating unit).
    top = set(Unit.objects.exclude(kind=UnitKind.OFFICE).filter(parent=None).values_list("pk", flat=True))
    holding = set(Assignment.objects.filter(parent=None).values_list("unit_id", flat=True))
    office = Unit.objects.get(name=OFFICE_NAME)
    for cycle in closed:
        # The office's own ranking: 离石区's of its townships is apart (see the end of this module).
        results = cycle.results.filter(ranked_by=office)
        ranked_units = set(results.values_list("unit_id", flat=True))
        assert top <= ranked_units and ranked_units - top <= holding
        ranked = results.filter(ranked=True)
        for group in ranked.values_list("peer_group", flat=True).distinct():
            places = sorted(ranked.filter(peer_group=group).values_list("rank", flat=True))
            assert places == list(range(1, len(places) + 1))
    # The ladder climbed somewhere, each step on the record.
    assert Escalation.objects.filter(level__gte=EscalationLevel.INTERVIEW).exists()
    actions = {1: "escalation.named", 2: "escalation.interview", 3: "escalation.referral"}
    for e in Escalation.objects.select_related("cycle"):
        steps = AuditEvent.objects.filter(
            action=actions[e.level], data__unit=e.unit_id, data__cycle=e.cycle.number, data__ranked_by=e.ranked_by_id
        )
        assert steps.count() == 1, e


def test_a_unit_follows_its_place_and_reasons_across_cycles(demo, db):
    leader = User.objects.get(username="linxian_leader")
    history = unit_history(leader, leader.memberships.get().unit)
    assert len(history) == Cycle.objects.filter(state="closed").count()
    assert all(h.adds_up and h.rank for h in history)
    assert len({h.rank for h in history}) > 1  # places move from cycle to cycle
    other = Unit.objects.get(short_name="离石区")
    assert unit_history(leader, other) == []


def test_notices_are_published_after_each_close(demo, db):
    office = Unit.objects.get(name=OFFICE_NAME)
    published = Notice.objects.filter(office=office, state="published")
    assert published.count() >= 3
    # One office notice for every closed cycle, the latest perhaps not drafted yet: 离石区's own
    # notices (below) come on top of these, never in their place.
    closed = Cycle.objects.filter(state="closed").count()
    assert closed - 1 <= Notice.objects.filter(office=office).count() <= closed
    assert f"{Notice.objects.filter(office=office).count()} notices" in demo.output
    liaison = User.objects.get(username="lishi_liaison")
    # 离石区 sees the office's published notices, and its own in every state.
    own = Notice.objects.filter(office__short_name="离石区")
    assert set(notices_visible_to(liaison)) == set(published) | set(own)
    assert Notification.objects.filter(verb="notice_published", recipient=liaison).count() == published.count()


def test_reminder_letters_chase_without_new_assignments(demo, db):
    reminders = Letter.objects.filter(kind=LetterKind.REMINDER)
    assert reminders.filter(state=LetterState.DRAFT).exists() and reminders.filter(state=LetterState.ISSUED).exists()
    assert not Assignment.objects.filter(letter__kind=LetterKind.REMINDER).exists()
    for letter in reminders.filter(state=LetterState.ISSUED)[:5]:
        assert letter.parent_id and letter.items.filter(chased_item__letter=letter.parent).exists()
        # Each overdue item once, naming the units late on it.
        chased = list(letter.items.values_list("chased_item_id", flat=True))
        assert None not in chased and len(chased) == len(set(chased))
    assert AuditEvent.objects.filter(action="assignment.chased").exists()
    assert AuditEvent.objects.filter(action="assignment.report_carried").exists()


def test_the_largest_reminder_prints_each_overdue_item_once(demo, db):
    from notices.letters import letter_pdf

    # The reminder chasing the most overdue tasks: 115 of 31 units on 4 items. Printed a row per
    # task it ran to 24 pages; each item once, with its units, it takes 6.
    reminder = (
        Letter.objects.filter(kind=LetterKind.REMINDER)
        .annotate(tasks=Count("items__item_units"), listed=Count("items", distinct=True))
        .order_by("-tasks", "pk")
        .first()
    )
    assert reminder.tasks > 3 * reminder.listed
    pdf = letter_pdf(reminder)
    pages = len(pdfs.page_sizes(pdf))
    assert pages <= 8
    # The attachment runs over several pages, its heading row on each.
    heading = ["序号", "问题描述", "整改措施", "逾期单位", "整改时限", "逾期天数"]
    headed = [n for n in range(2, pages + 1) if any(t and t[0] == heading for t in pdfs.tables(pdf, n))]
    assert len(headed) >= 2 and headed == list(range(headed[0], pages + 1))


# --- every demo letter against GB/T 9704 --------------------------------------------------------------
# Rendering the hundred-odd letters of the campaign takes a minute or two: the sweep runs in the
# PostgreSQL pass only, on the campaign this module has loaded already. Every kind of letter is
# measured in both passes by tests/notices/test_gbt9704_pages.py, and the demo's own names and
# titles by test_gbt9704_signature.py and test_gbt9704_titles.py.

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="minutes of rendering: runs with DATABASE_URL set to a PostgreSQL database",
)
SPACING = layout.grid().letter_spacing_pt


@pytest.fixture(scope="module")
def rendered(demo, django_db_blocker):
    """Every letter of the loaded campaign rendered once (in Chinese, as letters always are)."""
    with django_db_blocker.unblock():
        letters = list(Letter.objects.select_related("prefix").order_by("pk"))
        started = time.perf_counter()
        pdfs_by_letter = {letter.pk: letter_pdf(letter) for letter in letters}
        seconds = time.perf_counter() - started
    return SimpleNamespace(letters=letters, pdfs=pdfs_by_letter, seconds=seconds)


@on_postgres
def test_every_demo_letter_keeps_to_gbt9704(rendered, db):
    kinds = {letter.kind for letter in rendered.letters}
    assert kinds == set(LetterKind.values)
    problems = {}
    for letter in rendered.letters:
        pdf = rendered.pdfs[letter.pk]
        found = (
            pdfs.outside_block(pdf)
            + pdfs.folio_problems(pdf)
            + pdfs.full_line_problems(pdf, spacing_pt=SPACING)
            + pdfs.title_problems(pdf)
            + pdfs.signature_problems(pdf)
        )
        if found:
            problems[f"{letter.pk} {letter.kind} {letter.title}"] = found
    assert problems == {}
    # About the time of a letter on its own: the sweep is not made slow by the breaking.
    assert rendered.seconds / len(rendered.letters) < 2


@on_postgres
def test_demo_titles_break_between_words(rendered, db):
    for letter in rendered.letters:
        printed = [line.text for line in pdfs.title_lines(rendered.pdfs[letter.pk])]
        assert "".join(printed) == "".join(letter.title.split()), letter.title
        bounds, at = {0}, 0
        for word in title_breaks.words("".join(letter.title.split())):
            at += len(word)
            bounds.add(at)
        at = 0
        for line in printed[:-1]:
            at += len(line)
            assert at in bounds, (letter.title, printed)


@on_postgres
def test_the_demo_office_signs_in_its_short_form(rendered, db):
    for letter in rendered.letters:
        found = pdfs.lines(rendered.pdfs[letter.pk])
        assert found[0].text == OFFICE_NAME  # the red mark: the full name, narrowed
        body = [line.text for line in found if line.size == 16]
        assert OFFICE_SHORT in body and OFFICE_NAME not in body


# --- 分解、转办: 离石区 hands tasks down to its townships (demo/handing_down.py) -----------------------


@pytest.fixture
def lishi(demo, db) -> SimpleNamespace:
    county = Unit.objects.get(short_name="离石区", kind=UnitKind.COUNTY)
    parents = Assignment.objects.filter(unit=county, children__isnull=False).distinct()
    by_kind = {}
    for parent in parents:
        towns = frozenset(parent.children.values_list("unit__short_name", flat=True))
        by_kind[towns if len(towns) > 1 else "forwarded"] = parent
    return SimpleNamespace(
        unit=county,
        parents=parents,
        closed=by_kind.get(frozenset({"信义镇", "吴城镇"})),
        open=by_kind.get(frozenset({"枣林乡", "坪头乡"})),
        forwarded=by_kind.get("forwarded"),
    )


def _actors(assignment: Assignment, action: str) -> list[str]:
    events = AuditEvent.objects.filter(assignment=assignment, action=action).order_by("at", "pk")
    return list(events.values_list("actor__username", flat=True))


def test_lishi_hands_three_tasks_down(lishi):
    assert lishi.parents.count() == 3 and lishi.closed and lishi.open and lishi.forwarded
    subs = Assignment.objects.filter(parent__in=lishi.parents)
    assert subs.count() == 5
    for sub in subs.select_related("parent", "unit"):
        assert (sub.depth, sub.item_id, sub.letter_id) == (1, sub.parent.item_id, sub.parent.letter_id)
        assert sub.unit.parent_id == lishi.unit.pk and sub.deadline <= sub.parent.deadline
        assert list(sub.ancestors.values_list("unit_id", "distance")) == [(lishi.unit.pk, 1)]
        assert _actors(sub, "assignment.handed_down") == ["lishi_liaison"]
    # Broken down: each township its own villages, in the demo's words.
    for sub in subs.filter(handed_down_as="breakdown"):
        assert sub.measures.startswith("负责全") and "行政村" in sub.measures, sub.measures
    # Forwarded whole: the item's own measures.
    (forwarded,) = lishi.forwarded.children.all()
    assert forwarded.handed_down_as == "forward" and forwarded.measures == ""
    assert forwarded.deadline == lishi.forwarded.deadline


def test_the_broken_down_task_rolled_up_and_written_off_by_the_office(lishi):
    parent = lishi.closed
    assert parent.state == AssignmentState.CLOSED
    for sub in parent.children.all():
        assert sub.state == AssignmentState.CLOSED
        town = sub.unit.memberships.get(role=Role.LIAISON).user.username
        assert _actors(sub, "assignment.claimed") == [town]
        # Its own leader signs; 离石区's members verify and write off.
        assert _actors(sub, "assignment.completion_signed") == [town.replace("liaison", "leader")]
        assert _actors(sub, "assignment.verified") == ["lishi_liaison"]
        assert _actors(sub, "assignment.closed") == ["lishi_leader"]
        assert Evidence.objects.filter(report__assignment=sub, copied_from=None).exists()
    # 离石区's completion carries its townships' reports and their evidence, not copies on disk.
    report = ProgressReport.objects.filter(assignment=parent).order_by("-created_at", "-pk").first()
    assert "信义镇" in report.text and "吴城镇" in report.text
    rolled = Evidence.objects.filter(report=report)
    assert rolled.count() >= 2 and not rolled.filter(copied_from=None).exists()
    for evidence in rolled.select_related("copied_from__report"):
        assert evidence.copied_from.report.assignment.parent_id == parent.pk
        assert evidence.file.name == evidence.copied_from.file.name
    assert _actors(parent, "assignment.completion_submitted")[-1:] == ["lishi_liaison"]
    assert _actors(parent, "assignment.completion_signed")[-1:] == ["lishi_leader"]
    assert _actors(parent, "assignment.verified") == ["office_inspector"]
    assert _actors(parent, "assignment.closed") == ["office_director"]


def test_the_task_still_broken_down_shows_yellow_for_its_late_township(lishi):
    parent = lishi.open
    today = timezone.localdate()
    subs = {s.unit.short_name: s for s in parent.children.select_related("unit")}
    assert parent.state == AssignmentState.IN_PROGRESS and parent.deadline >= today
    assert subs["枣林乡"].state == AssignmentState.AWAITING_VERIFICATION  # 离石区 to verify
    late = subs["坪头乡"]
    assert late.state == AssignmentState.IN_PROGRESS and late.deadline < today
    assert _actors(late, "assignment.reminded") == ["lishi_liaison"]  # chased by 离石区, not the office
    assert parent.sub_task_overdue
    light = Assignment.objects.filter(pk=parent.pk).annotate(light=light_expression()).get().light
    assert light == Light.YELLOW


def test_the_forwarded_task_is_worked_on_by_its_township(lishi):
    (sub,) = lishi.forwarded.children.all()
    assert lishi.forwarded.state == AssignmentState.IN_PROGRESS
    assert sub.state == AssignmentState.IN_PROGRESS and sub.deadline >= timezone.localdate()
    assert sub.unit.short_name in sub.item.site  # to the township the problem was found in
    assert ProgressReport.objects.filter(assignment=sub).exists()
    assert Evidence.objects.filter(report__assignment=sub).exists()


def test_the_townships_accounts_are_printed(demo, db):
    # ``db`` keeps it among the database tests, which pytest-django runs first: without it the
    # test ran after them, when the module's campaign had been dropped, and loaded it again.
    for username in ("xinyi_liaison", "xinyi_leader", "wucheng_liaison", "wucheng_leader", "pingtou_liaison"):
        assert username in demo.output


# --- 离石区 ranks its townships and issues its own notice (demo/township_ranking.py) ---------------


def test_lishi_is_set_by_the_office_to_rank_its_townships(lishi):
    assert Unit.objects.get(pk=lishi.unit.pk).ranks_sub_units
    (marked,) = AuditEvent.objects.filter(action="unit.sub_ranking_set", data__unit=lishi.unit.pk)
    assert marked.actor.username == "office_director"
    # Set before anything was handed down, so every close with township tasks ranks them.
    first = AuditEvent.objects.filter(action="assignment.handed_down").order_by("at").first()
    assert marked.at < first.at
    ranked = UnitResult.objects.filter(ranked_by=lishi.unit)
    assert ranked.exists() and not ranked.exclude(cycle__state="closed").exists()
    assert set(ranked.values_list("unit__parent_id", flat=True)) == {lishi.unit.pk}
    # The townships holding a sub-task at a close are ranked then, in places 1..n.
    for cycle_id in ranked.values_list("cycle_id", flat=True).distinct():
        places = sorted(ranked.filter(cycle_id=cycle_id, ranked=True).values_list("rank", flat=True))
        assert places == list(range(1, len(places) + 1))


def test_lishi_publishes_its_own_notice_of_the_townships_ranking(lishi):
    notices = Notice.objects.filter(office=lishi.unit).select_related("cycle", "drafter", "signer")
    placed = UnitResult.objects.filter(ranked_by=lishi.unit, ranked=True)
    ranked_cycles = set(placed.values_list("cycle_id", flat=True))
    # One for every cycle it placed townships in, the latest perhaps not drafted yet.
    assert len(ranked_cycles) - 1 <= notices.count() and {n.cycle_id for n in notices} <= ranked_cycles
    published = [n for n in notices if n.state == "published"]
    assert published
    for notice in published:
        assert notice.title == f"离石区乡镇巩固衔接问题整改双周排队通报（第{notice.cycle.number}期）"
        assert notice.opening.startswith("按照")
        assert (notice.drafter.username, notice.signer.username) == ("lishi_liaison", "lishi_leader")
        assert notice.sign_comment
        sent = AuditEvent.objects.get(action="notice.sent", data__notice=notice.pk)
        assert (sent.actor.username, sent.data["to"]) == ("lishi_liaison", notice.signer_id)
        # After the office's own notice of the same cycle is out.
        office_notice = Notice.objects.get(cycle=notice.cycle, office__name=OFFICE_NAME)
        assert office_notice.published_at < notice.created_at < notice.published_at <= timezone.now()
        # Every person of the townships it ranked is told; nobody outside its ranking is.
        towns = UnitResult.objects.filter(cycle=notice.cycle, ranked_by=lishi.unit).values("unit_id")
        people = set(Membership.objects.filter(unit__in=towns).values_list("user_id", flat=True))
        told = Notification.objects.filter(verb="notice_published", notice=notice)
        assert people and set(told.values_list("recipient_id", flat=True)) == people


def test_lishi_liaison_picks_its_township_ranking_and_notice_on_the_ranking_page(lishi, client):
    url = reverse("cycles:ranking")
    page = signed_in(client, User.objects.get(username="lishi_liaison"), "zh-hans").get(url).content.decode()
    assert f'<option value="{lishi.unit.pk}">离石区人民政府</option>' in page  # the picker the README points to
    latest = Notice.objects.filter(office=lishi.unit).select_related("cycle").order_by("-cycle__number").first()
    page = client.get(url, {"by": lishi.unit.pk, "cycle": latest.cycle.number}).content.decode()
    towns = UnitResult.objects.filter(ranked_by=lishi.unit, cycle=latest.cycle, ranked=True).values_list(
        "unit_id", flat=True
    )
    assert all(f'data-unit="{pk}"' in page for pk in towns) and latest.title in page
