"""Forms of the notice pages. They only parse input; the services judge it (lengths, states)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.services.notices import MAX_OPENING, MAX_TITLE


class DraftForm(forms.Form):
    cycle = forms.IntegerField(label=_("Cycle"), min_value=1)
    # The office whose cycle it is (a person who is a clerk in two offices drafts for either).
    by = forms.IntegerField(label=_("Office"), min_value=1, required=False)
    # The cycle itself: a unit ranking its sub-units may rank in several offices' cycles of one number.
    cycle_id = forms.IntegerField(label=_("Cycle"), min_value=1, required=False)


class OpeningForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    opening = forms.CharField(
        label=_("Opening text"), required=False, max_length=MAX_OPENING, widget=forms.Textarea(attrs={"rows": 6})
    )


class SignForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea)
