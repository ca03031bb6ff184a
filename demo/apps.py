from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo campaign and its ``load_demo`` command: a client of the domain, like the web pages.

    No models: everything it writes goes through ``supervision``'s services and models, so the
    domain never depends on it and a deployment could drop it without a migration.
    """

    name = "demo"
    verbose_name = _("Demo campaign")
