"""The upload forms say how much may be sent, with the numbers the services and the body limit
use, and hand those numbers to the browser, which refuses a choice over them before sending."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision import services
from tests.helpers import assignment_in, draft_letter, signed_in

MB = 1024 * 1024


def _file_input(html: str) -> dict[str, str]:
    tag = re.search(r'<input type="file" name="files"[^>]*>', html)
    assert tag, "no file input on the page"
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', tag.group(0)))


def test_the_report_form_states_and_carries_the_limits(client, world, settings):
    settings.EVIDENCE_MAX_BYTES, settings.EVIDENCE_MAX_TOTAL_BYTES = 20 * MB, 50 * MB
    a = assignment_in(world, "in_progress")
    html = signed_in(client, world.liaison_a).get(reverse("tasks:detail", args=[a.pk])).content.decode()
    assert "At most 20 files, 20.0\xa0MB each, 50.0\xa0MB in all." in html
    data = _file_input(html)
    assert (data["max-files"], data["max-bytes"], data["max-total"]) == ("20", str(20 * MB), str(50 * MB))
    assert data["too-much"].startswith("These files cannot be sent: At most 20 files")


def test_the_attachment_form_counts_what_the_letter_already_has(client, world, settings):
    settings.EVIDENCE_MAX_BYTES, settings.EVIDENCE_MAX_TOTAL_BYTES = 20 * MB, 50 * MB
    letter = draft_letter(world)
    services.letter_attach(
        actor=world.clerk, letter=letter, files=[SimpleUploadedFile("方案.pdf", b"%PDF-1.4", "application/pdf")]
    )
    html = signed_in(client, world.clerk, "zh-hans").get(reverse("letters:detail", args=[letter.pk])).content.decode()
    data = _file_input(html)
    # A letter holds at most 20 attachments: one is there, 19 more may come.
    assert (data["max-files"], data["max-total"]) == ("19", str(50 * MB))
