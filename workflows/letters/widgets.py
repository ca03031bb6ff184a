"""The unit picker: a multiple choice of units with a search box and one shortcut per peer group
(全部县（市、区）, 全部工作专班, …).

It renders as the plain ``<select multiple>``: that is what the form posts, and all there is
without a script. workflows/static/workflows/unit_picker.js (a static file: the CSP forbids
inline scripts) adds the search box, the group shortcuts, the count and the list of what is
chosen, and lets a click choose or drop one unit without holding Ctrl.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext

from supervision.models import PeerGroup

SCRIPT = "workflows/unit_picker.js"


class UnitPicker(forms.SelectMultiple):
    """``groups`` maps an option's value to its unit's peer group; a model choice's unit says its
    own (``peer_group``), so a ModelMultipleChoiceField needs none."""

    def __init__(self, attrs: dict[str, Any] | None = None, groups: Mapping[int, str] | None = None) -> None:
        super().__init__({"size": 10, **(attrs or {})})
        self.groups: dict[int, str] = dict(groups or {})

    def _group_of(self, value: Any) -> str:
        unit = getattr(value, "instance", None)
        if unit is not None:
            return str(unit.peer_group)
        try:
            return self.groups.get(int(str(value)), "")
        except ValueError:
            return ""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):  # noqa: ANN001, ANN201
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        group = self._group_of(value)
        if group:
            option["attrs"]["data-group"] = group
        return option

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        present = {
            opt["attrs"].get("data-group") for _g, options, _i in context["widget"]["optgroups"] for opt in options
        }
        # Labels in the language of the request: the script only shows them.
        shortcuts = [
            [key, gettext("All %(group)s") % {"group": label}]
            for key, label in PeerGroup.choices
            if key != PeerGroup.OFFICE and key in present
        ]
        context["widget"]["attrs"].update(
            {
                "data-unit-picker": "",
                "data-groups": json.dumps(shortcuts, ensure_ascii=False),
                "data-search": gettext("Search units"),
                "data-clear": gettext("Clear"),
                "data-count": gettext("%(n)s chosen"),
            }
        )
        return context
