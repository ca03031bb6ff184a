"""The font stacks of the PDFs, and what the machine has to render them fast and without tofu.

The families come from settings (``PDF_FONT_SERIF``, ``PDF_FONT_TITLE``, ``PDF_FONT_SANS``),
which come from the environment: they go into the documents' CSS, so they are quoted here
rather than trusted.
"""

from __future__ import annotations

import ctypes.util
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

# Anything that could end the CSS string or the <style> element it is printed in.
_UNSAFE = re.compile(r'[\\"<>{};\x00-\x1f\x7f]')
# Generic families need no quotes and must not have them.
_GENERIC = frozenset({"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"})


def css_family_list(families: Iterable[str], generic: str) -> SafeString:
    """`"仿宋_GB2312", "Noto Serif CJK SC", serif`: each name quoted, unsafe characters dropped."""
    names = []
    for family in families:
        name = _UNSAFE.sub("", str(family)).strip()
        if name and name.lower() not in _GENERIC:
            names.append(f'"{name}"')
    names.append(generic)
    # Quoted and stripped of every character that could leave the string: safe in <style>.
    return mark_safe(", ".join(names))


@dataclass(frozen=True)
class FontStacks:
    serif: SafeString
    title: SafeString
    sans: SafeString
    title_weight: int


def font_stacks() -> FontStacks:
    weight = int(getattr(settings, "PDF_FONT_TITLE_WEIGHT", 700))
    return FontStacks(
        serif=css_family_list(getattr(settings, "PDF_FONT_SERIF", []), "serif"),
        title=css_family_list(getattr(settings, "PDF_FONT_TITLE", []), "serif"),
        sans=css_family_list(getattr(settings, "PDF_FONT_SANS", []), "sans-serif"),
        # CSS weights are 1–1000; anything else falls back to bold.
        title_weight=weight if 1 <= weight <= 1000 else 700,
    )


# --- what the machine has ---------------------------------------------------------------------


def harfbuzz_subsetter() -> str | None:
    """The HarfBuzz subset library, or None: without it weasyprint subsets with fontTools, 20-30× slower."""
    return ctypes.util.find_library("harfbuzz-subset")


@cache
def cjk_families() -> tuple[str, ...] | None:
    """Families fontconfig knows with Chinese coverage; None when fontconfig's fc-list is missing.

    Cached: the installed fonts do not change under a running process, and the check runs at
    every management command.
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families = {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}
    return tuple(sorted(families))
