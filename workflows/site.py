"""The app shell: viewflow's Material frontend (drawer menu, top bar, user menu) around the
supervision pages. The pages keep their own URL names (``tasks:…``, ``letters:…``); the Site only
wraps them so every page resolves with the site in its context and shows the shell's menu."""

from __future__ import annotations

from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from workflows.tasks.views import home


class SupervisionSite(Site):
    menu_template_name = "app/menu.html"
    primary_color = "#b71c1c"  # the red of official documents
    secondary_color = "#5d4037"


site = SupervisionSite(
    title=_("Supervision"),
    urlpatterns=[
        # Ahead of the site's own index, which would redirect "/" to its first page.
        path("", home, name="home"),
        path("tasks/", include("workflows.tasks.urls")),
        path("letters/", include("workflows.letters.urls")),
    ],
)
