"""System checks: warn when PDFs would be slow (no HarfBuzz subsetter) or full of tofu (no CJK font)."""

from __future__ import annotations

from django.core import checks
from django.utils.translation import gettext_lazy as _

from . import fonts


@checks.register("documents")
def check_pdf_fonts(app_configs, **kwargs) -> list[checks.CheckMessage]:
    found = []
    if fonts.harfbuzz_subsetter() is None:
        found.append(
            checks.Warning(
                _("The HarfBuzz subsetter (libharfbuzz-subset) is missing: each PDF takes seconds instead of ~0.2 s."),
                hint=_("Install the Debian package libharfbuzz-subset0 (scripts/sysdeps.sh does it)."),
                id="notices.W001",
            )
        )
    families = fonts.cjk_families()
    if not families:
        found.append(
            checks.Warning(
                _("No font with Chinese glyphs is installed: PDFs would print empty boxes instead of text.")
                if families is not None
                else _("fontconfig (fc-list) is missing: PDFs cannot find any Chinese font."),
                hint=_("Install the Debian package fonts-noto-cjk (scripts/sysdeps.sh does it)."),
                id="notices.W002",
            )
        )
    return found
