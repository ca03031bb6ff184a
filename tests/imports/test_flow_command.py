"""``manage.py import_items LETTER FILE``: the import from the command line, with its dry run."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supervision.models import Item, Role
from tests.factories import make_user
from tests.helpers import draft_letter, snapshot
from tests.imports.flow import YEAR, problems, row, workbook


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


def _file(tmp_path, rows=None, *, content: bytes | None = None):
    path = tmp_path / "问题清单.xlsx"
    path.write_bytes(content if content is not None else workbook(("问题清单", rows)))
    return path


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_items", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_dry_run_prints_the_preview_and_writes_nothing(world, draft, tmp_path):
    before = snapshot()
    rows = [row(description="问题甲", cooperating="市农业农村局"), row(seq=2, description="问题乙", lead="乙县")]
    out, err = _run(draft.pk, _file(tmp_path, rows), "--dry-run", "--year", YEAR)
    assert snapshot() == before and err == ""
    assert "Row 2" in out and "问题甲" in out and "Row 3" in out and "问题乙" in out
    assert "8月15日前 →" in out and "2031" in out
    assert "Lead: 甲县人民政府" in out and "Cooperating: 市农业农村局" in out
    assert "Would be added to the addressees: 市农业农村局." in out
    assert "2 problems, 2 measures, 0 warnings, 0 errors." in out and "Dry run: nothing was written." in out


def test_the_import_acts_as_the_drafter(world, draft, tmp_path):
    out, _err = _run(draft.pk, _file(tmp_path, problems(3)), "--year", YEAR)
    assert "Imported 3 items" in out
    assert list(Item.objects.filter(letter=draft).order_by("seq").values_list("description", flat=True)) == [
        "安置点问题1",
        "安置点问题2",
        "安置点问题3",
    ]


def test_a_row_with_an_error_exits_1_and_imports_nothing(world, draft, tmp_path):
    before = snapshot()
    path = _file(tmp_path, problems(2) + [row(seq=3, description="问题丙", lead="丙县")])
    for extra in ([], ["--dry-run"]):
        with pytest.raises(CommandError) as refused:
            _run(draft.pk, path, *extra)
        assert refused.value.returncode == 1
    assert snapshot() == before


def test_the_sheet_to_read(world, draft, tmp_path):
    path = _file(tmp_path, content=workbook(("问题清单", problems(1)), ("第二批", [row(description="第二批问题")])))
    out, _err = _run(draft.pk, path, "--sheet", "第二批", "--dry-run")
    assert "第二批问题" in out and "安置点问题1" not in out and "Sheet “第二批”" in out
    with pytest.raises(CommandError) as refused:
        _run(draft.pk, path, "--sheet", "第三批", "--dry-run")
    assert refused.value.returncode == 1


@pytest.mark.parametrize("who", ["observer", "liaison_a", "outsider"])
def test_only_a_clerk_imports(world, draft, tmp_path, who):
    with pytest.raises(CommandError) as refused:
        _run(draft.pk, _file(tmp_path, problems(1)), "--as", getattr(world, who).username)
    assert refused.value.returncode == 2
    assert not Item.objects.filter(letter=draft).exists()


def test_another_clerk_may_import(world, draft, tmp_path):
    other = make_user("clerk2", world.office, Role.CLERK)
    _run(draft.pk, _file(tmp_path, problems(1)), "--as", other.username)
    assert Item.objects.filter(letter=draft).count() == 1


@pytest.mark.parametrize("letter, file", [("999999", "good"), ("x", "good"), ("draft", "missing")])
def test_wrong_arguments_exit_2(world, draft, tmp_path, letter, file):
    path = _file(tmp_path, problems(1)) if file == "good" else tmp_path / "nope.xlsx"
    with pytest.raises(CommandError) as refused:
        _run(draft.pk if letter == "draft" else letter, path)
    assert refused.value.returncode == 2


def test_a_dry_run_shows_what_a_collective_name_stands_for(world, draft, tmp_path):
    out, _err = _run(draft.pk, _file(tmp_path, [row(lead="各县（市、区）")]), "--dry-run")
    assert "各县（市、区） means 甲县人民政府、乙县人民政府" in out
    assert "Lead: 甲县人民政府、乙县人民政府" in out
