"""The write endpoints added for the daily work (batch actions, reminders, stand-ins, routing,
item editing, the progress upload), posted odd input by every kind of person: NUL and other
control characters, digits int() refuses, numbers past any column, very long text, a file that
is not a workbook. The answer is a page, a redirect or a refusal — never a 500 — and an upload
that is not the progress sheet reports nothing. Run on PostgreSQL too: a NUL only fails there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision.models import Assignment
from tests.factories import draft_letter, issue_letter
from tests.helpers import browser_for, snapshot

ODD = ["", "\x00", "²", "٣", "9" * 40, str(2**63), "-1", "x" * 5000, "<script>", "1\x001"]
PEOPLE = ("clerk", "director", "observer", "liaison_a", "leader_a", "outsider")


def _posts(world) -> list[tuple[str, dict]]:
    """(url, form) pairs whose every value is odd: none of them names a real object or choice."""
    old = issue_letter(world, items=1, units=[world.unit_a], deadline=dt.date.today() - dt.timedelta(days=3))
    draft = draft_letter(world)
    item = draft.items.first()
    a = Assignment.objects.get(letter=old)
    posts = []
    for v in ODD:
        posts += [
            (reverse("tasks:batch"), {"subject": v, "action": v, "id": [v, v], "token": v, "scope": v, "person": v}),
            (reverse("tasks:batch"), {"subject": "assignment", "action": "close", "id": [v], "token": v, "go": "1"}),
            (reverse("tasks:remind_unit", args=[world.unit_a.pk]), {"text": v, "confirm": v}),
            (reverse("standins:list"), {"deputy": v, "unit": v, "starts_on": v, "ends_on": v}),
            (reverse("standins:end", args=[10**12]), {"x": v}),
            (reverse("letters:act", args=[draft.pk, "send"]), {"director": v}),
            (reverse("letters:act", args=[draft.pk, "return"]), {"reason": v}),
            (reverse("letters:item_edit", args=[draft.pk, item.pk]), {"description": v, "lead": v, "deadline": v}),
            (reverse("tasks:remind", args=[a.pk]), {"comment": v, "text": v}),
        ]
    return posts


@pytest.mark.parametrize("who", PEOPLE)
def test_odd_posts_never_answer_500(world, who):
    posts = _posts(world)
    client = browser_for(getattr(world, who))
    for url, form in posts:
        response = client.post(url, form)
        assert response.status_code < 500, (who, url, form)


def test_a_file_that_is_not_a_progress_sheet_changes_nothing(world):
    issue_letter(world, items=2, units=[world.unit_a])
    client = browser_for(world.liaison_a)
    before = snapshot()
    for name, content in (("a.xlsx", b"not a workbook"), ("a.xlsx", b"PK\x03\x04" + b"\x00" * 64), ("a.txt", b"")):
        upload = SimpleUploadedFile(name, content)
        response = client.post(reverse("notices:progress_page"), {"file": upload, "token": "x" * 20}, follow=True)
        assert response.status_code < 500
    assert snapshot() == before
