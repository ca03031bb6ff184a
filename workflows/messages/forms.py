"""Forms of the message pages. They only parse input; the services judge it (addresses, keys,
secrets, events, e-mail addresses) and their refusals come back on the form.

Secret fields never render a value: a stored key or secret shows as "set", and what was typed
into a secret field is not sent back with a page that refused it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision import events as catalog
from supervision.models import ChannelKind
from supervision.services.channel_input import HIDDEN_QUERY, OFFICE_KINDS, UNIT_KINDS


def _event_choices() -> list[tuple[str, str]]:
    return [(e.name, e.label) for e in catalog.EVENTS]


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    name = forms.CharField(
        label=_("Name"), max_length=60, help_text=_("E.g. the name of the work group the robot posts to.")
    )
    url = forms.CharField(
        label=_("Address"),
        max_length=600,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )
    key = forms.CharField(
        label=_("Access token of the receiving system"),
        required=False,
        max_length=400,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "size": 40}),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=400,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "size": 40}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events it carries"), required=False, widget=forms.CheckboxSelectMultiple, choices=_event_choices
    )
    quiet_hours = forms.BooleanField(
        label=_("Hold messages at night and on rest days (the office's urgent reminders still go)"), required=False
    )
    renew_secret = forms.BooleanField(label=_("Generate a new signing secret"), required=False)

    def __init__(self, *args: Any, unit_id: int | None, editing: str = "", **kwargs: Any) -> None:
        """``editing``: the kind of the channel being changed ("" for a new one)."""
        super().__init__(*args, **kwargs)
        kinds = OFFICE_KINDS if unit_id is None else UNIT_KINDS
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]
        if editing:
            # The kind of a channel stays; only its other fields change.
            del self.fields["kind"]
        elif len(kinds) == 1:
            self.fields["kind"].widget = forms.HiddenInput()
        kind = editing or (kinds[0] if len(kinds) == 1 else "")
        if kind == ChannelKind.WEBHOOK:
            self.fields["name"].help_text = _("E.g. the name of the receiving system.")
        if kind != ChannelKind.WEBHOOK or not editing:
            del self.fields["renew_secret"]
        if kind == ChannelKind.WECOM:
            del self.fields["secret"]
        if kind != ChannelKind.WEBHOOK:
            # A robot's key comes with its address.
            del self.fields["key"]
        else:
            self.fields["key"].help_text = (
                _("Leave blank to keep the stored token.")
                if editing
                else _("Optional: sent as Authorization: Bearer …, if the receiving system asks for one.")
            )
        self.fields["url"].help_text = _address_help(kind)
        if editing and str(self.initial.get("url", "")).endswith("?" + HIDDEN_QUERY):
            self.fields["url"].help_text = _(
                "The part after “?” is not shown: leave “?…” as it is to keep it, or give the address whole to "
                "replace it."
            )
        if "secret" in self.fields:
            self.fields["secret"].help_text = _secret_help(kind, editing=bool(editing))

    def event_groups(self) -> list[tuple[str, list[Any]]]:
        """The event checkboxes under their catalog groups (a long flat list is hard to scan)."""
        boxes = {box.data["value"]: box for box in self["events"]}
        return [
            (str(g.label), [boxes[e.name] for e in catalog.EVENTS if e.group is g and e.name in boxes])
            for g in catalog.GROUPS
        ]

    def service_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "url": data["url"],
            "key": data.get("key", ""),
            "secret": data.get("secret", ""),
            "events": data["events"],
            "quiet_hours": data["quiet_hours"],
        }


def _address_help(kind: str) -> str:
    if kind == ChannelKind.WECOM:
        return _("Paste the robot's webhook address as WeCom shows it: …/cgi-bin/webhook/send?key=…")
    if kind == ChannelKind.DINGTALK:
        return _("Paste the robot's webhook address as DingTalk shows it: …/robot/send?access_token=…")
    if kind == ChannelKind.WEBHOOK:
        return _("An https address of the receiving system; each message is signed with the secret below.")
    return _(
        "WeCom: paste the address …/cgi-bin/webhook/send?key=…; DingTalk: the address …/robot/send?access_token=… "
        "and the 加签 secret."
    )


def _secret_help(kind: str, *, editing: bool) -> str:
    if kind == ChannelKind.WEBHOOK:
        if editing:
            return _("Leave blank to keep the stored secret.")
        return _("Leave blank to have one generated; it is shown once after saving.")
    if editing:
        return _("DingTalk only. Leave blank to keep the stored secret.")
    return _("DingTalk only: the 加签 secret from the robot's security settings, beginning with SEC.")


# A browser's time input sends HH:MM, or HH:MM:SS when it shows seconds.
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


class PreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("Send me messages by e-mail"), required=False)
    email_address = forms.CharField(
        label=_("My e-mail address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "size": 40}),
    )
    events = forms.MultipleChoiceField(
        label=_("What to send"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=lambda: [(g.code, g.label) for g in catalog.GROUPS],
    )
    digest = forms.BooleanField(label=_("One e-mail a day with everything, instead of one per message"), required=False)
    quiet_start = forms.TimeField(
        label=_("Quiet from"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
    )
    quiet_end = forms.TimeField(
        label=_("Quiet until"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
    )
    quiet_rest_days = forms.BooleanField(label=_("Quiet all day on rest days"), required=False)
