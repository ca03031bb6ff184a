from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Documents and notices")

    def ready(self) -> None:
        from . import checks, jobs  # noqa: F401  (register the font checks and the kinds of background job)
