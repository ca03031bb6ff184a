"""Which sheets the request reads itself, and how often: a sheet that does not say how many rows
it has goes to the worker (it could have any number); one that will not open is read by the
request, which lists what is wrong at once. A sheet read in the request is read once for its
preview: page turns show the kept preview, and only the import reads it again."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.urls import reverse

from notices import jobs
from notices import services as notice_services
from notices.job_kinds import uploads
from supervision import services
from supervision.models import Item, Job
from tests.factories import FUTURE
from tests.helpers import browser_for, draft_letter
from tests.imports.flow import confirm, post_upload, problems, token_in, workbook


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


def _without_dimension(content: bytes) -> bytes:
    """The same workbook, its sheets no longer stating their size (as some programs write them)."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data, found = re.subn(rb"<dimension [^>]*/>", b"", data)
                assert found == 1
            target.writestr(info, data)
    return out.getvalue()


def test_a_sheet_that_does_not_state_its_size_is_the_worker_s(world, draft, django_capture_on_commit_callbacks):
    content = _without_dimension(workbook(("问题清单", problems(3))))
    assert uploads.sheet_rows(io.BytesIO(content)) is None
    assert uploads.is_large(io.BytesIO(content))
    assert not uploads.is_large(io.BytesIO(workbook(("问题清单", problems(3)))))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(browser_for(world.clerk), draft, content=content)
    assert response.status_code == 302
    assert Job.objects.filter(kind=jobs.PROBLEM_LIST_PREVIEW).count() == 1


def test_a_file_that_will_not_open_is_read_in_the_request(world, draft):
    junk = b"PK\x03\x04 not really a workbook"
    assert uploads.sheet_rows(io.BytesIO(junk)) is False and not uploads.is_large(io.BytesIO(junk))
    assert not uploads.is_large(io.BytesIO(workbook(("问题清单", problems(1)))), "没有这张表")
    clerk = browser_for(world.clerk)
    response = post_upload(clerk, draft, content=junk)
    assert not Job.objects.exists()
    page = clerk.get(response["Location"]).content.decode()
    assert "This is not an Excel workbook" in page or "damaged" in page


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    """Counts the readings of a sheet, for the preview or the import."""
    count: list[int] = []
    real = notice_services.parse_workbook

    def counted(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(notice_services, "parse_workbook", counted)
    return count


def test_page_turns_show_the_kept_preview_and_the_import_reads_again(world, draft, parses, monkeypatch):
    monkeypatch.setattr("workflows.documents.imports.PAGE_ROWS", 2)
    clerk = browser_for(world.clerk)
    url = post_upload(clerk, draft, problems(5))["Location"]
    token = token_in(url)
    preview_url = reverse("notices:letter_import_preview", args=[draft.pk])

    first = clerk.get(url).content.decode()
    assert "安置点问题1" in first and "安置点问题3" not in first
    assert len(parses) == 1
    second = clerk.get(preview_url, {"t": token, "page": 2}).content.decode()
    third = clerk.post(preview_url, {"t": token, "page": 3, "show": "all"}).content.decode()
    assert "安置点问题3" in second and "安置点问题5" in third
    assert len(parses) == 1  # turned, not read again

    response = confirm(clerk, draft, token)
    assert response.status_code == 302
    assert len(parses) == 2  # the import reads the sheet itself
    assert Item.objects.filter(letter=draft).count() == 5


def test_an_import_refused_shows_the_sheet_read_again(world, draft, parses):
    clerk = browser_for(world.clerk)
    url = post_upload(clerk, draft, problems(2))["Location"]
    assert "sv-import-go" in clerk.get(url).content.decode()
    # Meanwhile the letter got the sheet's second problem by hand.
    services.item_add(
        actor=world.clerk,
        letter=draft,
        description="安置点问题2",
        measures="完善配套设施",
        deadline=FUTURE,
        lead_unit_ids=[world.unit_a.pk],
    )

    response = confirm(clerk, draft, token_in(url))

    page = response.content.decode()
    assert response.status_code == 400 and "The letter already has this problem, as item 1." in page
    assert "sv-import-go" not in page
    assert len(parses) == 3  # the preview, the import, the preview again
    # The preview kept is now the fresh one.
    assert "sv-import-go" not in clerk.get(url).content.decode()
    assert len(parses) == 3
