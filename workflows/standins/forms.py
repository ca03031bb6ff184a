"""The form naming a stand-in. It only parses input; the service judges it (same unit, dates)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.selectors.stand_ins import Colleague


class StandInForm(forms.Form):
    # One choice names the colleague and the unit they stand in for you in: "unit id:user id".
    deputy = forms.ChoiceField(label=_("Stand-in"))
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(
        label=_("Until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, colleagues: list[Colleague], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deputy"].choices = [("", _("Choose a colleague"))] + [
            (f"{c.unit.pk}:{c.user.pk}", f"{c.user.display_name}（{c.unit.display_name}）") for c in colleagues
        ]

    def unit_and_deputy(self) -> tuple[int, int]:
        unit, deputy = self.cleaned_data["deputy"].split(":")
        return int(unit), int(deputy)
