"""``{{ channel.url|address_shown }}``: a channel's address without its query, which may hold the
receiving system's token (supervision.services.channel_input.address_shown)."""

from __future__ import annotations

from django import template

from supervision.services.channel_input import address_shown as _address_shown

register = template.Library()


@register.filter
def address_shown(url: str) -> str:
    return _address_shown(url or "")
