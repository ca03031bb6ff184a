"""The issue's "done when": a unit's liaison, with a personal token and nothing else, claims a task
and reports progress on it with evidence, as the task page would; the office reads it back."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from project.limits import body_limit, form_limit
from supervision.models import Assignment, AuditEvent, Evidence, ProgressReport
from tests.factories import signed_in


def test_a_token_claims_a_task_and_reports_on_it_with_evidence(world, letter, assignment_a, api, client):
    liaison = api("liaison_a")
    # The task is in the liaison's "to claim" queue, with the claim among its steps.
    queue = liaison.get("/api/assignments/", {"queue": "unclaimed"}).json()["results"]
    assert assignment_a.pk in [row["id"] for row in queue]
    task = liaison.get(f"/api/assignments/{assignment_a.pk}/").json()
    claim = next(a for a in task["actions"] if a["key"] == "claim")
    assert claim["needs"] == "responsible_person"

    r = liaison.post(claim["url"], {"responsible_person": "王科长"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["done"] == "Claimed. It is now in your list."
    assert body["assignment"]["state"] == "accepted"
    assert body["assignment"]["claimed_by"]["id"] == world.liaison_a.pk
    assert body["assignment"]["responsible_person"] == "王科长"
    report = next(a for a in body["assignment"]["actions"] if a["key"] == "report_progress")
    assert report["needs"] == "report"

    photo = SimpleUploadedFile("现场照片.pdf", b"%PDF-1.4 site photo", "application/pdf")
    sheet = SimpleUploadedFile("台账.txt", "整改台账".encode(), "text/plain")
    form = {"text": "已完成排查，正在施工", "files": [photo, sheet], "token": "api-form-1"}
    r = liaison.post_multipart(report["url"], form)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["done"] == "Progress reported."
    assert body["assignment"]["state"] == "in_progress"
    assert body["report"]["text"] == "已完成排查，正在施工"
    assert sorted(e["name"] for e in body["report"]["evidence"]) == ["台账.txt", "现场照片.pdf"]

    # The same as the page: one report, two files, audited as the liaison's claim and report.
    a = Assignment.objects.get(pk=assignment_a.pk)
    assert (a.state, a.claimed_by_id) == ("in_progress", world.liaison_a.pk)
    assert ProgressReport.objects.filter(assignment=a).count() == 1
    assert Evidence.objects.filter(report__assignment=a).count() == 2
    actions = list(AuditEvent.objects.filter(assignment=a, actor=world.liaison_a).values_list("action", flat=True))
    assert actions == ["assignment.claimed", "assignment.reported"]

    # Sent again with the same key (a retry after a lost answer): recorded once.
    again = SimpleUploadedFile("现场照片.pdf", b"%PDF-1.4 site photo", "application/pdf")
    liaison.post_multipart(report["url"], {"text": "已完成排查，正在施工", "files": [again], "token": "api-form-1"})
    assert Evidence.objects.filter(report__assignment=a).count() == 2

    # The office reads the report and downloads the evidence, by token or in the browser.
    office = api("inspector")
    reports = office.get(f"/api/assignments/{a.pk}/reports/").json()["results"]
    evidence = {e["name"]: e for e in reports[0]["evidence"]}["现场照片.pdf"]
    download = office.get(evidence["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 site photo"
    signed_in(client, world.inspector)
    assert client.get(evidence["url"]).status_code == 200
    # Another unit sees neither the report nor the file.
    other = api("liaison_b")
    assert other.get(f"/api/assignments/{a.pk}/reports/").status_code == 404
    assert other.get(evidence["download"]).status_code == 404


def test_a_bad_report_changes_nothing_and_says_why(world, letter, assignment_a, api):
    liaison = api("liaison_a")
    liaison.post(f"/api/assignments/{assignment_a.pk}/claim/", {})
    r = liaison.post(f"/api/assignments/{assignment_a.pk}/report_progress/", {"text": "  "})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_input"
    exe = SimpleUploadedFile("run.exe", b"MZ\x90\x00", "application/x-msdownload")
    r = liaison.post_multipart(f"/api/assignments/{assignment_a.pk}/report_progress/", {"text": "进展", "files": [exe]})
    assert r.status_code == 400
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()


def test_a_report_sent_to_the_api_may_carry_as_much_evidence_as_one_sent_from_the_page():
    # The body limit (project/limits.py) lets the evidence through on both routes, and only there.
    page = body_limit("/tasks/12/do/report_progress/")
    assert body_limit("/api/assignments/12/report_progress/") == page
    assert body_limit("/api/assignments/12/submit_completion/") == page
    assert body_limit("/api/assignments/12/claim/") == form_limit() < page
