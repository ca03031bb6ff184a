"""``manage.py import_directory``: the preview with --dry-run, the import with the new accounts'
one-time passwords (or their sheet as a PDF), and its exit status."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supervision.models import Unit, User
from tests.notices import pdfs
from tests.onboarding.sheets import demo_directory, workbook

pytestmark = pytest.mark.django_db

SMALL_SHEET = [["丙县人民政府", "丙县", "县（市、区）", "", 1, "张三", "股长", "13900000001"]]


def _file(tmp_path, sheet, name="单位通讯录.xlsx"):
    path = tmp_path / name
    path.write_bytes(sheet.getvalue())
    return path


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_directory", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_dry_run_shows_the_preview_and_writes_nothing(world, tmp_path):
    counts = (Unit.objects.count(), User.objects.count())
    out, _err = _run(_file(tmp_path, demo_directory()), "--dry-run")
    assert "[new] 离石区信义镇人民政府 ← 离石区人民政府" in out
    assert "离石区人民政府 · Liaison" in out and "new account 13900000002" in out
    assert "48 units to create, 0 already here; 96 new accounts." in out
    assert "Dry run: nothing was written." in out
    assert (Unit.objects.count(), User.objects.count()) == counts


def test_import_prints_each_new_account_with_its_password(world, tmp_path):
    out, _err = _run(_file(tmp_path, demo_directory()), "--as", "clerk")
    assert "Imported: 48 units created, 96 accounts created, 0 roles added to accounts already here." in out
    lines = re.findall(r"^  (\S+)\t(\S+)\t", out, flags=re.M)
    assert len(lines) == 96
    for username, password in lines[:5]:
        assert User.objects.get(username=username).check_password(password)
    # Again: nothing new.
    again, _err = _run(_file(tmp_path, demo_directory()), "--as", "clerk")
    assert "Imported: 0 units created, 0 accounts created" in again


def test_passwords_go_only_into_the_pdf_when_asked(world, tmp_path):
    target = tmp_path / "账号通知单.pdf"
    out, _err = _run(_file(tmp_path, demo_directory()), "--as", "director", "--passwords-pdf", target)
    text = pdfs.text(target.read_bytes())
    assert len(pdfs.page_sizes(target.read_bytes())) == 48
    user = User.objects.get(username="13900000002")
    assert "13900000002" in text and user.full_name in text
    passwords = set(re.findall(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", text))
    assert len(passwords) == 96
    assert not passwords & set(re.findall(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", out))
    assert any(user.check_password(p) for p in passwords)


def test_a_sheet_with_errors_exits_1_and_imports_nothing(world, tmp_path):
    sheet = workbook([["丙县人民政府", "", "星球"], ["市水利局", "", "部门"]])
    with pytest.raises(CommandError) as raised:
        _run(_file(tmp_path, sheet), "--as", "clerk")
    assert raised.value.returncode == 1
    assert not Unit.objects.filter(name="市水利局").exists()
    with pytest.raises(CommandError) as raised:
        _run(_file(tmp_path, sheet), "--dry-run")
    assert raised.value.returncode == 1


@pytest.mark.parametrize("who", ["liaison_a", "inspector", "nobody"])
def test_only_an_office_clerk_or_director_imports(world, tmp_path, who):
    with pytest.raises(CommandError) as raised:
        _run(_file(tmp_path, demo_directory()), "--as", who)
    assert raised.value.returncode == 2
    assert not Unit.objects.filter(name="离石区人民政府").exists()


def test_without_as_when_the_office_has_one_importer(world, tmp_path):
    with pytest.raises(CommandError) as raised:  # the world has a clerk and a director
        _run(_file(tmp_path, demo_directory()))
    assert raised.value.returncode == 2
    User.objects.filter(pk=world.director.pk).update(is_active=False)
    out, _err = _run(_file(tmp_path, demo_directory()))
    assert "48 units created" in out


def test_the_command_as_a_process_exits_with_its_status(world, tmp_path):
    """What a script sees: call_command raises, manage.py exits with the code."""
    from django.core.management import ManagementUtility

    sheet = _file(tmp_path, workbook([["丙县人民政府", "", "星球"]]))
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_directory", str(sheet), "--dry-run"]).execute()
    assert exited.value.code == 1


def test_the_passwords_pdf_is_readable_by_its_owner_only(world, tmp_path):
    target = tmp_path / "账号通知单.pdf"
    _run(_file(tmp_path, workbook(SMALL_SHEET)), "--as", "clerk", "--passwords-pdf", target)
    assert target.stat().st_mode & 0o777 == 0o600
    assert pdfs.text(target.read_bytes())


@pytest.mark.parametrize("where", ["exists", "no-folder"])
def test_a_passwords_pdf_that_cannot_be_made_stops_before_the_import(world, tmp_path, where):
    target = tmp_path / "账号通知单.pdf"
    if where == "exists":
        target.write_bytes(b"an earlier sheet")
    else:
        target = tmp_path / "missing" / "账号通知单.pdf"
    with pytest.raises(CommandError) as raised:
        _run(_file(tmp_path, workbook(SMALL_SHEET)), "--as", "clerk", "--passwords-pdf", target)
    assert raised.value.returncode == 2
    assert "Nothing was imported." in str(raised.value)
    assert not User.objects.filter(username="13900000001").exists()
    assert not Unit.objects.filter(name="丙县人民政府").exists()
    if where == "exists":
        assert target.read_bytes() == b"an earlier sheet"
        assert "exists already" in str(raised.value)


def test_when_the_pdf_cannot_be_written_the_passwords_are_printed(world, tmp_path, monkeypatch):
    from notices.management.commands import import_directory

    def full_disk(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(import_directory.os, "write", full_disk)
    target = tmp_path / "账号通知单.pdf"
    out, err = _run(_file(tmp_path, workbook(SMALL_SHEET)), "--as", "clerk", "--passwords-pdf", target)
    assert "could not be written" in err
    lines = re.findall(r"^  (\S+)\t(\S+)\t", out, flags=re.M)
    assert [u for u, _p in lines] == ["13900000001"]
    assert User.objects.get(username="13900000001").check_password(lines[0][1])
    assert not target.exists()


def test_a_clerk_in_the_sheet_is_an_error_and_nothing_is_imported(world, tmp_path):
    User.objects.filter(pk=world.director.pk).update(full_name="周九", phone="13900000009")
    sheet = workbook([["丙县人民政府", "丙县", "县（市、区）", "", 1, "周九", "科员", "13900000009"]])
    with pytest.raises(CommandError) as raised:
        _run(_file(tmp_path, sheet), "--as", "clerk")
    assert raised.value.returncode == 1
    assert not Unit.objects.filter(name="丙县人民政府").exists()
