"""`manage.py render`: a letter or the ledger to a file, as the system."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from supervision.models import Letter
from tests.helpers import draft_letter, sign_and_issue
from tests.notices.ledger_sheet import sheet_lines

from . import pdfs


@pytest.fixture
def issued(world) -> Letter:
    return Letter.objects.get(pk=sign_and_issue(world, draft_letter(world)).pk)


def test_render_a_letter_by_number_or_id(world, issued, tmp_path):
    out = io.StringIO()
    call_command("render", "letter", issued.number, "-o", str(tmp_path / "a.pdf"), stdout=out)
    assert issued.number in pdfs.text((tmp_path / "a.pdf").read_bytes())
    call_command("render", "letter", str(issued.pk), "-o", str(tmp_path / "b.pdf"), stdout=out)
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")
    # The system sees drafts too.
    draft = draft_letter(world)
    call_command("render", "letter", str(draft.pk), "-o", str(tmp_path / "c.pdf"), stdout=out)
    assert "Wrote" in out.getvalue()


def test_render_the_ledger_with_filters(world, issued, tmp_path):
    call_command("render", "ledger", "--unit", "甲县", "-o", str(tmp_path / "a.xlsx"), stdout=io.StringIO())
    ws = load_workbook(tmp_path / "a.xlsx").active
    assert ws["A2"].value == "单位：甲县人民政府"
    assert [r[5] for r in sheet_lines(ws)] == ["甲县人民政府"]
    call_command(
        "render",
        "ledger",
        "--letter",
        issued.number,
        "--state",
        "issued",
        "--peer-group",
        "county",
        "-o",
        str(tmp_path / "b.pdf"),
        stdout=io.StringIO(),
    )
    assert "乙县人民政府" in pdfs.text((tmp_path / "b.pdf").read_bytes())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["letter", "测巩办督〔1999〕9号", "-o", "x.pdf"], "No letter"),
        (["letter", "1", "-o", "x.docx"], "as .pdf"),
        (["ledger", "-o", "x.csv"], ".xlsx or .pdf"),
        (["ledger", "--state", "lost", "-o", "x.xlsx"], "Unknown state"),
        (["ledger", "--unit", "火星", "-o", "x.xlsx"], "No unit"),
        (["ledger", "--max-rows", "0", "-o", "x.pdf"], "too many for a PDF"),
        (["ledger", "-o", "/no/such/dir/x.xlsx"], "No such file or directory"),
    ],
)
def test_render_refuses_with_a_message(world, issued, tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=says):
        call_command("render", *args, stdout=io.StringIO())


def test_a_notice_needs_its_cycle_number(world):
    # The notice itself is tested in test_notice_pdf.py.
    with pytest.raises(CommandError, match="required: cycle"):
        call_command("render", "notice", "-o", "x.pdf")
