from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        # The domain names what a notification opens; the web layer says where its page is.
        from supervision.links import links_register

        from .links import NOTIFICATION_PAGES

        links_register(NOTIFICATION_PAGES)
