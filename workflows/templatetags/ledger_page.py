"""``{% ledger_asked as asked %}`` for the ledger page: the filters its address carries (a link
from a letter, a unit or a list: ``?unit=…&letter=…``), resolved for the person as the downloads
resolve them, so the page names them in words and preselects them, and the downloads keep the
ones it has no field for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template
from django.http import QueryDict
from django.utils.translation import gettext as _

from notices.filters import ledger_filters_named
from notices.job_kinds.ledger import ledger_params, ledger_resolve
from supervision.services import InvalidInput, NotAllowed

register = template.Library()


@dataclass
class Asked:
    """What the page shows of the filters it was opened with."""

    parts: list[tuple[str, str]] = field(default_factory=list)  # (what, which), in the page's language
    unit_id: int | None = None
    letter_id: int | None = None
    letter_label: str = ""
    state: str = ""
    peer_group: str = ""
    query: str = ""  # every filter, for the downloads' address: the form's fields, posted, win
    error: str = ""


def _words() -> dict[str, str]:
    return {
        "letter": _("Letter"),
        "states": _("State"),
        "peer_group": _("Peer group"),
        "category": _("Category"),
        "source": _("Source"),
        "site": _("Site"),
        "text": _("Search"),
        "light": "",
        "overdue": _("Overdue only"),
        "open_only": _("Open only"),
    }


@register.simple_tag(takes_context=True)
def ledger_asked(context: Any) -> Asked | None:
    """None when the page was opened without filters; an ``error`` for a filter that names nothing
    the person may see (the downloads would refuse it the same way)."""
    request = context["request"]
    params = ledger_params(request.GET)
    if not params:
        return None
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, values)
    try:
        asked = ledger_resolve(request.user, params).request
    except (InvalidInput, NotAllowed) as exc:
        return Asked(error=str(exc))
    words = _words()
    parts = [(str(_("Unit")), "、".join(u.name for u in asked.units))] if asked.units else []
    for key, value in ledger_filters_named(asked):
        if key == "letter" and asked.letter is not None:
            value = f"{asked.letter.number} {asked.letter.title}".strip()
        parts.append((words[key], value))
    f = asked.filters
    return Asked(
        parts=parts,
        unit_id=asked.units[0].pk if asked.units else None,
        letter_id=asked.letter.pk if asked.letter else None,
        letter_label=f"{asked.letter.number or ''} {asked.letter.title}".strip() if asked.letter else "",
        state=f.states[0] if len(f.states) == 1 else "",
        peer_group=f.peer_group,
        query=query.urlencode(),
    )
