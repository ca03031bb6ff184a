"""Every letter of the demo campaign (督办函, 交办函, 催办函; drafts, issued and closed; with their
attachment tables) rendered and measured against GB/T 9704-2012: text block, page numbers, full
lines, title (7.3.1) and signature (7.3.5.2). The demo office signs with a 29-character name.

Loading the demo and rendering its hundred-odd letters takes minutes: this sweep runs in the
PostgreSQL pass only. Every kind of letter is measured in the ordinary pass by
test_gbt9704_pages.py, and the demo's own names and titles by test_gbt9704_signature.py and
test_gbt9704_titles.py.
"""

from __future__ import annotations

import time
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation

from demo.units import OFFICE_NAME, OFFICE_SHORT
from notices import layout, title_breaks
from notices.letters import letter_pdf
from supervision.models import Letter, LetterKind

from . import pdfs

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="minutes of loading and rendering: runs with DATABASE_URL set to a PostgreSQL database",
    ),
]

SPACING = layout.grid().letter_spacing_pt


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once (rolled back after the module), every letter rendered in Chinese."""
    media = tmp_path_factory.mktemp("demo_media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        with translation.override("zh-hans"):
            call_command("load_demo", stdout=StringIO(), stderr=StringIO())
        letters = list(Letter.objects.select_related("prefix").order_by("pk"))
        started = time.perf_counter()
        pdfs_by_letter = {letter.pk: letter_pdf(letter) for letter in letters}
        seconds = time.perf_counter() - started
        yield SimpleNamespace(letters=letters, pdfs=pdfs_by_letter, seconds=seconds)
        transaction.set_rollback(True)


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


def test_the_demo_office_signs_in_its_short_form(rendered, db):
    for letter in rendered.letters:
        found = pdfs.lines(rendered.pdfs[letter.pk])
        assert found[0].text == OFFICE_NAME  # the red mark: the full name, narrowed
        body = [line.text for line in found if line.size == 16]
        assert OFFICE_SHORT in body and OFFICE_NAME not in body
