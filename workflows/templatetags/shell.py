"""Template tags of the app shell."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def shell_site() -> Any:
    """``{% shell_site as site %}``: the site, for pages viewflow does not place in it (sign-in,
    error pages), so they keep its colours and, when signed in, its drawer."""
    from workflows.site import site  # late: the site imports every page's views

    return site


@register.simple_tag(takes_context=True)
def shell_menu(context: Any) -> list:
    """``{% shell_menu as groups %}``: the drawer's groups for this request (see
    ``SupervisionSite.menu_for``)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    site = getattr(getattr(request, "resolver_match", None), "site", None) or shell_site()
    return site.menu_for(request)
