"""The bulk progress page and the task sheet download through the test client: who reaches them,
what comes back, and that an upload's errors are listed on the page."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from notices.progress_sheet import COLUMNS, HEADER_ROW
from notices.xlsx import XLSX_CONTENT_TYPE
from supervision import services
from supervision.models import Assignment, ProgressReport
from tests.helpers import issue_letter, page_messages, signed_in, snapshot

PROGRESS = [c.heading for c in COLUMNS].index("本期进展") + 1


@pytest.fixture
def claimed(world) -> list[Assignment]:
    letter = issue_letter(world, items=2, units=[world.unit_a, world.unit_b])
    found = list(Assignment.objects.filter(letter=letter, unit=world.unit_a).order_by("item__seq"))
    for a in found:
        services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    return found


def _upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("整改进展报送表.xlsx", content, content_type=XLSX_CONTENT_TYPE)


def test_the_pages_need_a_login(client, claimed):
    for url in (
        reverse("notices:progress_page"),
        reverse("notices:progress_xlsx"),
        reverse("notices:task_sheet", args=[claimed[0].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


@pytest.mark.parametrize("who", ["clerk", "leader_a", "outsider"])
def test_only_people_who_report_progress_reach_the_bulk_page(client, world, claimed, who):
    c = signed_in(client, getattr(world, who))
    for url in (reverse("notices:progress_page"), reverse("notices:progress_xlsx")):
        response = c.get(url)
        assert response.status_code == 403, url
        assert "Liaison" in response.content.decode()
    assert "Report progress in bulk" not in c.get(reverse("tasks:list")).content.decode()


def test_a_liaison_downloads_fills_in_and_uploads_the_sheet(client, world, claimed):
    c = signed_in(client, world.liaison_a)
    listing = c.get(reverse("tasks:list")).content.decode()
    assert reverse("notices:progress_page") in listing
    page = c.get(reverse("notices:progress_page"))
    assert page.status_code == 200 and "2 assignments you can report on now" in page.content.decode()

    download = c.get(reverse("notices:progress_xlsx"))
    assert download.status_code == 200 and download["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in download["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    wb.active.cell(row=HEADER_ROW + 1, column=PROGRESS, value="已完成排查")
    wb.active.cell(row=HEADER_ROW + 2, column=PROGRESS, value="已开工建设")
    filled = io.BytesIO()
    wb.save(filled)

    response = c.post(reverse("notices:progress_page"), {"file": _upload(filled.getvalue())}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("tasks:list"))
    assert "Progress reported on 2 assignments." in page_messages(response)
    assert sorted(ProgressReport.objects.values_list("text", flat=True)) == ["已完成排查", "已开工建设"]


def test_an_upload_with_errors_lists_them_and_reports_nothing(client, world, claimed):
    c = signed_in(client, world.liaison_a)
    wb = load_workbook(io.BytesIO(b"".join(c.get(reverse("notices:progress_xlsx")).streaming_content)))
    ws = wb.active
    ws.cell(row=HEADER_ROW + 1, column=PROGRESS, value="已完成排查")
    ws.cell(row=HEADER_ROW + 2, column=1, value=999999)  # someone unprotected the sheet and changed the id
    ws.cell(row=HEADER_ROW + 2, column=PROGRESS, value="已开工建设")
    filled = io.BytesIO()
    wb.save(filled)
    before = snapshot()
    response = c.post(reverse("notices:progress_page"), {"file": _upload(filled.getvalue())})
    assert response.status_code == 400
    text = response.content.decode()
    assert "The sheet has 1 error; nothing was reported." in text
    assert f"Row {HEADER_ROW + 2}, 任务编号:" in text
    assert snapshot() == before


def test_a_file_that_is_no_workbook_is_a_message_not_an_error_page(client, world, claimed):
    response = signed_in(client, world.liaison_a).post(
        reverse("notices:progress_page"), {"file": _upload(b"PK\x03\x04 not really")}
    )
    assert response.status_code == 400
    assert "not an Excel workbook" in response.content.decode()


# --- the task sheet --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "liaison_b", "leader_c"])
def test_a_task_sheet_the_user_may_not_see_is_not_found(client, world, claimed, who):
    response = signed_in(client, getattr(world, who)).get(reverse("notices:task_sheet", args=[claimed[0].pk]))
    assert response.status_code == 404


def test_the_task_page_links_its_sheet_and_the_sheet_is_a_pdf(client, world, claimed):
    c = signed_in(client, world.leader_a)
    url = reverse("notices:task_sheet", args=[claimed[0].pk])
    assert url in c.get(reverse("tasks:detail", args=[claimed[0].pk])).content.decode()
    response = c.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; filename*=utf-8''")
    assert response.content.startswith(b"%PDF")
