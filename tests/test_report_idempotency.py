"""One progress report per assignment and cycle: a second report in the cycle amends it, and the
same submission sent twice (a double click, parallel identical requests) is stored once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from supervision import clock, services
from supervision.models import Assignment, AuditEvent, Evidence, ProgressReport
from supervision.selectors.rankings import report_span
from supervision.services import InvalidInput
from tests.conftest import issue_letter
from tests.helpers import snapshot

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="races need PostgreSQL row locks; set DATABASE_URL to a PostgreSQL database to run them",
)


@pytest.fixture
def working(world) -> Assignment:
    """Unit A's assignment, claimed and started by its liaison."""
    letter = issue_letter(world, items=1, units=[world.unit_a, world.unit_b])
    a = Assignment.objects.get(letter=letter, unit=world.unit_a)
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    services.assignment_start(actor=world.liaison_a, assignment=a.pk)
    return a


def _report(world, a, text: str, **kwargs):
    return services.assignment_report_progress(actor=world.liaison_a, assignment=a.pk, text=text, **kwargs)


def _actions(a) -> list[str]:
    return list(AuditEvent.objects.filter(assignment=a).order_by("id").values_list("action", flat=True))


def test_a_second_report_in_the_cycle_amends_the_first(world, working):
    first = _report(world, working, "已完成排查")
    second = _report(
        world, working, "已完成排查，正在整改", files=[SimpleUploadedFile("现场.pdf", b"%PDF-1.4 x", "application/pdf")]
    )
    assert second.pk == first.pk
    report = ProgressReport.objects.get(assignment=working)
    assert (report.text, report.amended_at is not None) == ("已完成排查，正在整改", True)
    assert Evidence.objects.filter(report=report).count() == 1
    assert _actions(working)[-2:] == ["assignment.reported", "assignment.report_amended"]
    amended = AuditEvent.objects.filter(assignment=working).latest("id")
    # The earlier text stays on record.
    assert amended.data["previous_text"] == "已完成排查"
    assert amended.data["report"] == report.pk
    # Twenty more in the same cycle: still one report.
    for n in range(20):
        _report(world, working, f"第{n}次补充")
    assert ProgressReport.objects.filter(assignment=working).count() == 1


def test_a_report_in_the_next_cycle_is_a_new_one(world, working):
    _report(world, working, "已完成排查")
    with clock.frozen(clock.now() + dt.timedelta(days=15)):
        _report(world, working, "整改过半")
    texts = list(ProgressReport.objects.filter(assignment=working).order_by("id").values_list("text", "cycle_seq"))
    assert [t for t, _seq in texts] == ["已完成排查", "整改过半"]
    assert texts[1][1] == texts[0][1] + 1


def test_the_same_form_sent_twice_is_stored_once(world, working):
    first = _report(world, working, "已完成排查", token="tok-12345678.report_progress")
    before = snapshot()
    # Even with other text: the token says it is the same form (a resend), not a new report.
    again = _report(world, working, "已完成排查 ", token="tok-12345678.report_progress")
    assert again.pk == first.pk
    assert snapshot() == before


def test_the_same_text_again_changes_nothing(world, working):
    _report(world, working, "已完成排查")
    before = snapshot()
    _report(world, working, "已完成排查")
    assert snapshot() == before


def test_a_malformed_token_is_refused_and_changes_nothing(world, working):
    before = snapshot()
    with pytest.raises(InvalidInput, match="reload the page"):
        _report(world, working, "已完成排查", token="<script>")
    assert snapshot() == before


def test_a_completion_report_sent_twice_is_accepted_once(world, working):
    token = "tok-abcdefgh.submit_completion"
    first = services.assignment_submit_completion(
        actor=world.liaison_a, assignment=working.pk, text="已全部完成", token=token
    )
    before = snapshot()
    # The second request finds the state moved on; it is the same form, so it answers success.
    again = services.assignment_submit_completion(
        actor=world.liaison_a, assignment=working.pk, text="已全部完成", token=token
    )
    assert again.pk == first.pk
    assert snapshot() == before


def test_the_database_refuses_a_second_progress_report_in_a_cycle(world, working):
    report = _report(world, working, "已完成排查")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressReport.objects.create(
            assignment=working,
            text="绕过服务",
            author=world.liaison_a,
            created_at=clock.now(),
            cycle_seq=report.cycle_seq,
        )


def test_the_page_offers_to_amend_this_cycles_report_and_a_double_click_counts_once(client, world, working):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(world.liaison_a)
    detail = reverse("tasks:detail", args=[working.pk])
    page = client.get(detail)
    token = page.context["form_token"]
    assert f'value="{token}.report_progress"' in page.content.decode()
    act = reverse("tasks:act", args=[working.pk, "report_progress"])
    data = {"text": "已完成排查", "token": f"{token}.report_progress"}
    for _click in range(2):
        response = client.post(act, data, follow=True)
        assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert ProgressReport.objects.filter(assignment=working).count() == 1
    assert _actions(working).count("assignment.reported") == 1
    # Now the form amends this cycle's report, showing its text.
    page = client.get(detail)
    html = page.content.decode()
    assert "Amend this cycle&#x27;s report" in html or "Amend this cycle's report" in html
    assert ">已完成排查</textarea>" in html
    assert page.context["form_token"] != token
    client.post(act, {"text": "整改过半", "token": f"{page.context['form_token']}.report_progress"})
    assert list(ProgressReport.objects.filter(assignment=working).values_list("text", flat=True)) == ["整改过半"]


# --- migrating a database with duplicates --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_merges_duplicates_into_the_latest(world):
    letter = issue_letter(world, items=1, units=[world.unit_a])
    a = Assignment.objects.get(letter=letter)
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    executor = MigrationExecutor(connection)
    executor.migrate([("supervision", "0007_report_cycle")])
    try:
        now = clock.now()
        # Three reports in one cycle as the old code stored them, a fourth in the next cycle.
        rows = [
            ProgressReport.objects.create(assignment=a, text=text, author=world.liaison_a, created_at=at)
            for text, at in [
                ("第一次", now - dt.timedelta(minutes=3)),
                ("第二次", now - dt.timedelta(minutes=2)),
                ("第三次", now - dt.timedelta(minutes=1)),
                ("下一期", now + dt.timedelta(days=15)),
            ]
        ]
        # As that schema knew it: later columns (Evidence.copied_from) are not there yet.
        old = executor.loader.project_state(("supervision", "0007_report_cycle")).apps
        old.get_model("supervision", "Evidence").objects.create(
            report_id=rows[0].pk,
            file="evidence/00/x",
            original_name="现场.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            uploaded_by_id=world.liaison_a.pk,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("supervision"))
    kept = list(
        ProgressReport.objects.filter(assignment=a).order_by("created_at").values_list("pk", "text", "cycle_seq")
    )
    seq = report_span(now).seq
    assert kept == [(rows[2].pk, "第三次", seq), (rows[3].pk, "下一期", seq + 1)]
    assert Evidence.objects.get().report_id == rows[2].pk
    merged = AuditEvent.objects.get(assignment=a, action="assignment.reports_merged")
    assert [m["text"] for m in merged.data["merged"]] == ["第二次", "第一次"]


# --- races on PostgreSQL --------------------------------------------------------------------------


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_ten_identical_reports_at_once_store_one(world, working):
    from tests.test_concurrency import race

    token = "tok-doubleclick.report_progress"
    outcomes = race([lambda: _report(world, working, "已完成排查", token=token) for _ in range(10)])
    assert [kind for kind, _v in outcomes] == ["ok"] * 10, outcomes
    assert len({v.pk for _kind, v in outcomes}) == 1
    assert ProgressReport.objects.filter(assignment=working).count() == 1
    assert AuditEvent.objects.filter(assignment=working, action__startswith="assignment.report").count() == 1


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_ten_different_reports_at_once_leave_one_amended_report(world, working):
    from tests.test_concurrency import race

    outcomes = race([lambda n=n: _report(world, working, f"第{n}次报送") for n in range(10)])
    assert [kind for kind, _v in outcomes] == ["ok"] * 10, outcomes
    assert ProgressReport.objects.filter(assignment=working).count() == 1
    actions = _actions(working)
    assert actions.count("assignment.reported") == 1
    assert actions.count("assignment.report_amended") == 9
