"""The app shell: viewflow's Material frontend (drawer menu, top bar, user menu) around every page.

Layout of ``site`` (a ``viewflow.urls.Site``, mounted at ``/`` in ``project/urls.py``):

- ``/`` (``home``) sends each person to their landing page;
- two ``Application``\\ s, each open only to people holding one of its ``roles`` (anyone else gets
  403 from viewflow's SiteMiddleware before the view runs):
  ``office`` 督办工作台 at ``/office/`` and ``unit`` 本单位任务 at ``/unit/``;
- pages both sides use keep their own namespaces at the site level: ``tasks:…`` (assignments,
  extension requests, the inbox) and ``letters:…``; the selectors decide what each person sees.

Every page needs a login (``LoginRequiredMiddleware`` in the settings); mark a page that must be
public with ``django.contrib.auth.decorators.login_not_required``.

The drawer is drawn from ``MenuItem`` lists (each application's ``menu``, then the site's ``menu``),
filtered by the person's roles; the entry matching the current URL is highlighted.

Adding a page
-------------
1. Reads go through a function in ``supervision/`` (unit isolation lives there), writes through one
   ``supervision.services`` call; a ``DomainError`` becomes a message, never a 500.
2. Write the view in ``workflows/web/<area>.py`` (``@login_required``); its template extends
   ``app/base.html`` and fills ``{% block page-heading %}`` and ``{% block main %}``; every string
   through ``{% translate %}`` / ``gettext_lazy``.
3. Mount it. One side only: an attribute of ``OfficeApp`` or ``UnitApp`` whose name ends in
   ``_path``, e.g. ``ranking_path = path("ranking/", ranking.view, name="ranking")`` (URL name
   ``office:ranking``, URL ``/office/ranking/``). Both sides: an entry in ``site``'s ``urlpatterns``.
4. Put it in the menu: ``MenuItem(_("Ranking"), "leaderboard", "office:ranking")`` in the app's
   ``menu`` (``roles=`` narrows it to some roles; ``query=`` points at a filtered list).
5. Test it in ``tests/web/`` (figures, 403 for the other side, query count).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest
from django.urls import include, path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from supervision.models import OFFICE_ROLES, UNIT_ROLES, Role
from workflows.cycles import dashboard
from workflows.web import home, office, units
from workflows.web.access import admin_shows_models, held_roles, held_roles_above


@dataclass(frozen=True)
class MenuItem:
    """One drawer entry. ``roles``: shown only to holders of one of them (None: everyone who
    sees the group); ``above``: only to holders of one of ``roles`` in a unit with units below
    it, where tasks are handed down (分解/转办); ``query``: the list filter it opens, e.g.
    ``queue=to_verify``; ``admin_site``: the admin's index, shown only to those it has models
    for (see ``access.admin_shows_models``)."""

    title: str | Promise
    icon: str  # a Material icon name (the font is vendored with viewflow)
    url_name: str
    query: str = ""
    roles: tuple[str, ...] | None = None
    above: bool = False
    admin_site: bool = False
    turbo: bool = True  # False for pages outside the shell (the admin), which Turbo must not swap in

    def visible_to(
        self, held: frozenset[str], admin_serves: Callable[[], bool], held_above: frozenset[str] = frozenset()
    ) -> bool:
        if self.admin_site and not admin_serves():
            return False
        if self.above:
            # Per unit, not per person: a township's liaison who is also an office's clerk
            # has handed nothing down.
            held = held_above
        return self.roles is None or not held.isdisjoint(self.roles)


@dataclass(frozen=True)
class MenuLink:
    title: str | Promise
    icon: str
    url: str
    active: bool
    turbo: bool


@dataclass(frozen=True)
class MenuGroup:
    title: str | Promise | None
    links: list[MenuLink]


class ShellApp(Application):
    """An application of the shell: open to holders of ``roles``, drawn in the drawer from ``menu``."""

    roles: frozenset[str] = frozenset()
    menu: Sequence[MenuItem] = ()
    # The site's menu template draws every group the person may see, this one included.
    menu_template_name = None

    def has_view_permission(self, user: Any, obj: Any = None) -> bool:
        return bool(held_roles(user) & self.roles)


class OfficeApp(ShellApp):
    app_name = "office"
    title = _("Office workbench")
    icon = "dashboard"
    roles = frozenset(OFFICE_ROLES)
    index_path = path("", office.overview, name="index")
    dashboard_path = path("dashboard/", dashboard.dashboard, name="dashboard")
    menu = (
        MenuItem(_("Overview"), "dashboard", "office:index"),
        MenuItem(_("Dashboard"), "insights", "office:dashboard"),
        MenuItem(_("Ranking"), "leaderboard", "cycles:ranking"),
        MenuItem(_("Notices"), "campaign", "cycles:notices"),
        MenuItem(_("Assignments"), "assignment", "tasks:list"),
        MenuItem(_("Returned"), "undo", "tasks:list", query="queue=returned", roles=(Role.CLERK,)),
        MenuItem(_("To verify"), "fact_check", "tasks:list", query="queue=to_verify", roles=(Role.INSPECTOR,)),
        MenuItem(_("To write off"), "task_alt", "tasks:list", query="queue=to_close", roles=(Role.DIRECTOR,)),
        MenuItem(_("Extension requests"), "schedule", "tasks:extensions", roles=(Role.CLERK, Role.DIRECTOR)),
        MenuItem(_("Letters"), "description", "letters:list"),
        MenuItem(_("Ledger (台账)"), "table_view", "notices:ledger_page"),
        MenuItem(_("Message channels"), "forum", "messages:channels", roles=(Role.CLERK, Role.DIRECTOR)),
        MenuItem(_("Integrations"), "webhook", "messages:integrations", roles=(Role.CLERK, Role.DIRECTOR)),
        MenuItem(_("Messages and background jobs"), "outbox", "messages:monitor", roles=(Role.CLERK, Role.DIRECTOR)),
        MenuItem(_("Unit directory"), "contacts", "directory:import", roles=(Role.CLERK, Role.DIRECTOR)),
    )


class UnitApp(ShellApp):
    app_name = "unit"
    title = _("My unit's work")
    icon = "assignment_ind"
    roles = frozenset(UNIT_ROLES)
    index_path = path("", units.overview, name="index")
    menu = (
        MenuItem(_("Overview"), "dashboard", "unit:index"),
        MenuItem(_("To claim"), "inbox", "tasks:list", query="queue=unclaimed"),
        MenuItem(_("Claimed by me"), "assignment_ind", "tasks:list", query="queue=mine", roles=(Role.LIAISON,)),
        MenuItem(_("Awaiting my sign-off"), "draw", "tasks:list", query="queue=unit_signoff", roles=(Role.LEADER,)),
        MenuItem(_("Extension requests"), "schedule", "tasks:extensions", roles=(Role.LEADER,)),
        MenuItem(_("Assignments"), "assignment", "tasks:list"),
        # The sub-tasks the unit handed down (分解/转办), whoever holds them now: the list of its
        # overview's "Handed down" card, for the units that have units below them.
        MenuItem(
            _("Handed down"),
            "call_split",
            "tasks:list",
            query="queue=handed_down",
            roles=(Role.LIAISON, Role.LEADER),
            above=True,
        ),
        MenuItem(_("Letters"), "description", "letters:list"),
        MenuItem(_("Ledger (台账)"), "table_view", "notices:ledger_page"),
        MenuItem(_("Our ranking"), "leaderboard", "cycles:unit_mine"),
        MenuItem(_("Notices"), "campaign", "cycles:notices"),
        MenuItem(_("Message channels"), "forum", "messages:channels", roles=(Role.LEADER,)),
    )


class SupervisionSite(Site):
    menu_template_name = "app/menu.html"
    primary_color = "#b71c1c"  # the red of official documents
    secondary_color = "#5d4037"
    # Entries for everyone, under the applications' groups.
    menu: Sequence[MenuItem] = (
        MenuItem(_("Notifications"), "notifications", "tasks:inbox"),
        MenuItem(_("Master data"), "settings", "admin:index", admin_site=True, turbo=False),
    )

    def menu_for(self, request: HttpRequest) -> list[MenuGroup]:
        """The drawer for this person on this page: the groups they may see, and the one entry
        that best matches the current URL marked active (longest path, then most query
        parameters matched, then the current application's)."""
        user, held, above = request.user, held_roles(request.user), held_roles_above(request.user)
        # Asked only when an entry needs it, once per drawer.
        admin_serves = functools.cache(functools.partial(admin_shows_models, request))
        current_app = getattr(request.resolver_match, "app", None)
        sections: list[tuple[Any, str | Promise | None, list[MenuItem]]] = [
            (app, app.title, [i for i in app.menu if i.visible_to(held, admin_serves, above)])
            for app in self.menu_items()
            if isinstance(app, ShellApp) and app.has_view_permission(user)
        ]
        sections.append((None, None, [i for i in self.menu if i.visible_to(held, admin_serves, above)]))

        best, best_score = None, None
        urls: dict[tuple[int, int], str] = {}
        for g, (app, _title, items) in enumerate(sections):
            for n, item in enumerate(items):
                url = reverse(item.url_name)
                urls[g, n] = f"{url}?{item.query}" if item.query else url
                score = _match(request, url, item.query, app is not None and app is current_app)
                if score is not None and (best_score is None or score > best_score):
                    best, best_score = (g, n), score
        return [
            MenuGroup(
                title,
                [MenuLink(i.title, i.icon, urls[g, n], (g, n) == best, i.turbo) for n, i in enumerate(items)],
            )
            for g, (_app, title, items) in enumerate(sections)
            if items
        ]


def _match(request: HttpRequest, url: str, query: str, in_current_app: bool) -> tuple[int, int, bool] | None:
    """How well a menu URL matches the page: None when it does not (another path, or one of its
    query parameters differs from the page's)."""
    if url == "/" or not request.path.startswith(url):
        return None
    wanted = parse_qsl(query)
    if any(request.GET.get(key) != value for key, value in wanted):
        return None
    return (len(url), len(wanted), in_current_app)


site = SupervisionSite(
    title=_("Supervision"),
    viewsets=[OfficeApp(), UnitApp()],
    urlpatterns=[
        # Ahead of the site's own index, which would redirect "/" to its first page.
        path("", home.home, name="home"),
        path("tasks/", include("workflows.tasks.urls")),
        path("letters/", include("workflows.letters.urls")),
        path("cycles/", include("workflows.cycles.urls")),
        path("stand-ins/", include("workflows.standins.urls")),
        path("messages/", include("workflows.messages.urls")),
        path("jobs/", include("workflows.jobs.urls")),
        path("api-tokens/", include("workflows.api.token_urls")),
    ],
)
