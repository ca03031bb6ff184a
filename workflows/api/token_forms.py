"""The form creating a personal API token. It parses; the service judges (name, scope, expiry)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.models import TokenScope


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=60, help_text=_("What will use it, e.g. the county's office system.")
    )
    scope = forms.ChoiceField(label=_("Access"), choices=TokenScope.choices, initial=TokenScope.READ)
    expires_on = forms.DateField(
        label=_("Valid until (inclusive, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def expires_at(self) -> dt.datetime | None:
        """The end of the chosen day, in the office's time zone (call after is_valid())."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
