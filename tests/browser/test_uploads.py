"""The upload form refuses, in the browser, files the server would refuse: nothing is sent, so
the text typed into the report stays on the page instead of being lost to a 413."""

from __future__ import annotations

import pytest

from supervision.models import Evidence, ProgressReport
from tests.helpers import drive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_too_much_is_refused_before_sending_and_the_text_stays(people, open_page, settings, tmp_path):
    world = people
    # Scaled down from 20 MB each and 50 MB in all (the live server shares these settings).
    settings.EVIDENCE_MAX_BYTES, settings.EVIDENCE_MAX_TOTAL_BYTES = 1024, 2048
    a = drive(world, "in_progress").assignment
    files = []
    for n in range(3):
        path = tmp_path / f"现场{n}.pdf"
        path.write_bytes(b"%PDF" + bytes([n]) * 796)
        files.append(str(path))
    big = tmp_path / "大文件.pdf"
    big.write_bytes(b"%PDF" + b"0" * 1100)
    page = open_page(world.liaison_a, f"/tasks/{a.pk}/")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    form = page.locator("form", has=page.get_by_role("button", name="报送整改进展"))
    text = form.get_by_placeholder("做了哪些整改")
    text.fill("已完成排查，正在组织施工")
    field = form.locator("input[type=file]")
    for choice in (files, [str(big)]):  # too much together; one file too large
        field.set_input_files(choice)
        form.get_by_role("button", name="报送整改进展").click()
        assert field.evaluate("input => input.validationMessage") == field.get_attribute("data-too-much")
        assert posts == [] and text.input_value() == "已完成排查，正在组织施工"
    assert not ProgressReport.objects.filter(text="已完成排查，正在组织施工").exists()
    # Within the limits, the same form goes through.
    field.set_input_files(files[:2])
    form.get_by_role("button", name="报送整改进展").click()
    page.get_by_text("进展已报送。").wait_for()
    assert Evidence.objects.count() == 2
