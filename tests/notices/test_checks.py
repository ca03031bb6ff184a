"""The system check warns when PDFs would be slow or print boxes instead of Chinese."""

from __future__ import annotations

from notices import checks, fonts


def _ids(monkeypatch, *, subsetter, families) -> list[str]:
    monkeypatch.setattr(fonts, "harfbuzz_subsetter", lambda: subsetter)
    monkeypatch.setattr(fonts, "cjk_families", lambda: families)
    return [message.id for message in checks.check_pdf_fonts(None)]


def test_nothing_to_say_on_a_machine_with_both(monkeypatch):
    assert _ids(monkeypatch, subsetter="libharfbuzz-subset.so.0", families=("Noto Serif CJK SC",)) == []


def test_warns_without_the_harfbuzz_subsetter(monkeypatch):
    assert _ids(monkeypatch, subsetter=None, families=("Noto Serif CJK SC",)) == ["notices.W001"]


def test_warns_without_a_chinese_font_or_without_fontconfig(monkeypatch):
    assert _ids(monkeypatch, subsetter="x", families=()) == ["notices.W002"]
    assert _ids(monkeypatch, subsetter="x", families=None) == ["notices.W002"]


def test_the_check_is_registered_and_this_machine_passes_it():
    from django.core import checks as django_checks

    assert checks.check_pdf_fonts in django_checks.registry.registry.get_checks()
    # The Debian packages of scripts/sysdeps.sh are installed where the suite runs.
    assert fonts.harfbuzz_subsetter() is not None
    assert "Noto Serif CJK SC" in (fonts.cjk_families() or ())
