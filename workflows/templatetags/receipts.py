"""Template tags for read receipts (已阅) on the letter and notice pages: the office sees who in
each unit opened the document; anyone else gets None and the page shows nothing."""

from __future__ import annotations

from typing import Any

from django import template

from supervision.selectors.receipts import Receipts, letter_receipts, notice_receipts

register = template.Library()


def _user(context: Any) -> Any:
    request = context.get("request")
    return request.user if request is not None else None


@register.simple_tag(takes_context=True)
def letter_readers(context: Any, letter: Any) -> Receipts | None:
    """``{% letter_readers letter as receipts %}``"""
    user = _user(context)
    return letter_receipts(user, letter) if user is not None else None


@register.simple_tag(takes_context=True)
def notice_readers(context: Any, notice: Any) -> Receipts | None:
    """``{% notice_readers notice as receipts %}``"""
    user = _user(context)
    return notice_receipts(user, notice) if user is not None else None
