"""A long import shows how far it has got: the parser and the writer report every hundred rows,
the page polls the figures, and nobody else can read them."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from notices import progress
from notices.progress import ImportProgress
from notices.services import letter_import_items
from tests.helpers import draft_letter, signed_in
from tests.notices.test_import import YEAR, row, xlsx


class Recorder(ImportProgress):
    """Keeps every report, in order, besides storing it."""

    def __init__(self, user_id: int, token: str):
        super().__init__(user_id, token)
        self.seen: list[tuple] = []

    def _put(self, phase, done, total, **extra):
        self.seen.append((phase, done, total))
        super()._put(phase, done, total, **extra)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _rows(n: int) -> list[list]:
    return [row(seq=k, description=f"安置点问题{k}") for k in range(1, n + 1)]


def test_reading_and_saving_are_reported_every_hundred_rows(world):
    draft = draft_letter(world, items=[])
    reporter = Recorder(world.clerk.pk, progress.new_token())
    result = letter_import_items(
        actor=world.clerk, letter=draft, workbook_file=xlsx(_rows(250)), campaign_year=YEAR, progress=reporter
    )
    assert result.ok and len(result.items) == 250
    assert reporter.seen == [
        ("reading", 0, 250),
        ("reading", 100, 250),
        ("reading", 200, 250),
        ("saving", 0, 250),
        ("saving", 100, 250),
        ("saving", 200, 250),
        ("done", 250, 250),
    ]


def test_a_failed_import_ends_as_failed_with_its_error_count(world):
    draft = draft_letter(world, items=[])
    reporter = Recorder(world.clerk.pk, progress.new_token())
    rows = _rows(3) + [row(seq=4, lead="丙县"), row(seq=5, description="安置点问题1")]
    result = letter_import_items(
        actor=world.clerk, letter=draft, workbook_file=xlsx(rows), campaign_year=YEAR, progress=reporter
    )
    assert not result.ok and draft.items.count() == 0
    assert reporter.seen[-1] == ("failed", 0, 0)
    assert progress.import_status(world.clerk.pk, reporter.token)["errors"] == 2


def test_a_sheet_formatted_far_below_its_list_claims_no_total(world):
    draft = draft_letter(world, items=[])
    rows = _rows(2) + [[None] * 9] * 300 + [[None, None, None, None, "", None, None, None, None]]
    reporter = Recorder(world.clerk.pk, progress.new_token())
    # 5,000 rows at most: pretend the list is shorter than the sheet says.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("notices.importer.MAX_ROWS", 100)
        letter_import_items(
            actor=world.clerk, letter=draft, workbook_file=xlsx(rows), campaign_year=YEAR, progress=reporter
        )
    assert reporter.seen[0] == ("reading", 0, None)


def test_the_page_polls_its_own_import(client, world):
    draft = draft_letter(world, items=[])
    url = reverse("notices:letter_import", args=[draft.pk])
    client = signed_in(client, world.clerk)
    assert "workflows/import.js" in client.get(url).content.decode()
    preview = client.get(client.post(url, {"file": xlsx(_rows(120)), "year": YEAR})["Location"])
    page = preview.content.decode()
    # The confirm form carries a fresh token and where to poll; the shell is around it.
    token = page.split('name="progress" value="')[1][:32]
    assert progress.valid_token(token)
    assert f'data-import-progress="{reverse("notices:import_status", args=[token])}"' in page
    assert "workflows/import.js" in page and "Importing…" in page and "sv-page" in page
    status_url = reverse("notices:import_status", args=[token])
    assert client.get(status_url).status_code == 404  # nothing started yet

    held = page.split('name="t" value="')[1].split('"')[0]
    response = client.post(reverse("notices:letter_import_confirm", args=[draft.pk]), {"t": held, "progress": token})
    assert response.status_code == 302
    status = client.get(status_url)
    assert status.status_code == 200
    assert status.json() == {"phase": "done", "done": 120, "total": 120, "errors": 0}


def test_nobody_else_reads_an_import_s_progress(client, world):
    token = progress.new_token()
    ImportProgress(world.clerk.pk, token).reading(0, 10)
    assert (
        signed_in(client, world.clerk).get(reverse("notices:import_status", args=[token])).json()["phase"] == "reading"
    )
    other = signed_in(client, world.observer).get(reverse("notices:import_status", args=[token]))
    assert other.status_code == 404 and other.json() == {"phase": "unknown"}
    assert client.get(reverse("notices:import_status", args=["not-a-token"])).status_code == 404
    client.logout()
    assert client.get(reverse("notices:import_status", args=[token])).status_code == 302
