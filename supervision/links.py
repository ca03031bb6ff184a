"""What a notification opens: the domain names the object, the web layer knows where its page is.

A notification refers to up to four objects; the most specific one (an assignment before its
letter, a notice before a unit) is its target, a ``(kind, pk)`` pair. The domain never names a
URL: the web layer registers one link builder per kind when it starts (workflows/links.py, called
from ``WorkflowsConfig.ready``), and the inbox page, the socket's catch-up and the live push all
ask ``notification_url``, which uses them. Without a web layer (the domain used on its own) a
notification simply carries no link.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supervision.models import Notification

# The references a notification may carry, most specific first; each is also a link kind.
KINDS = ("assignment", "letter", "notice", "unit")

LinkBuilder = Callable[[int], str]

_builders: dict[str, LinkBuilder] = {}


def links_register(builders: Mapping[str, LinkBuilder]) -> None:
    """Say where each kind's page is. A kind the domain does not know is a programming error,
    raised at start-up rather than found later as a missing link."""
    unknown = set(builders) - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown notification link kinds: {sorted(unknown)}")
    _builders.update(builders)


def registered_kinds() -> frozenset[str]:
    return frozenset(_builders)


def notification_target(n: Notification | Mapping[str, Any]) -> tuple[str, int] | None:
    """The object a notification opens, as ``(kind, pk)``, or None if it refers to nothing.
    ``n`` is a row or a push payload (a dict keyed by kind, see services/push.py)."""
    for kind in KINDS:
        pk = n.get(kind) if isinstance(n, Mapping) else getattr(n, f"{kind}_id")
        if pk:
            return kind, pk
    return None


def notification_url(n: Notification | Mapping[str, Any]) -> str:
    """The page a notification links to, or "" if it refers to nothing or no page is registered."""
    target = notification_target(n)
    if target is None:
        return ""
    builder = _builders.get(target[0])
    return builder(target[1]) if builder is not None else ""
