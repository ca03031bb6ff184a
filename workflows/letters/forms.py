"""Forms for the letter pages. They parse input; the services judge it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from supervision.models import (
    DeadlineKind,
    Item,
    ItemCategory,
    ItemSource,
    LetterKind,
    LetterState,
    Unit,
    UnitRole,
    User,
)
from supervision.parsing import parse_id
from workflows.tasks.forms import MAX_TEXT, MultipleFileField

from .widgets import UnitPicker


class DateInput(forms.DateInput):
    """A browser date field. Its value must be written 2026-12-31 whatever the language: the
    localized 2026/12/31 does not fit the date input, which then shows empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _units(office: Unit | int | None = None) -> QuerySet[Unit]:
    """The units a letter of ``office`` may go to, as the letter services accept them: every active
    responsible unit, and the offices directly below the drafting office (a city office receives
    the province's letters as a unit). Never the office itself, nor one above or beside it."""
    may = ~Q(kind="office")
    if office is not None:
        may |= Q(kind="office", parent_id=office.pk if isinstance(office, Unit) else int(office))
    return Unit.objects.filter(may, is_active=True).order_by("peer_group", "sort_order", "name")


class LetterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LetterKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    # The printed title breaks between words by itself (GB/T 9704 7.3.1); the drafter may break it
    # elsewhere by typing it again, one printed line per line. The service checks the lines.
    title_lines = forms.CharField(
        label=_("Title line breaks"),
        required=False,
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Optional. To break the printed title at other places than it breaks by itself, type the title "
            "again here, one printed line per line (at most 20 characters each). Leave empty to let the "
            "title break between words into balanced lines."
        ),
    )
    body = forms.CharField(label=_("Body"), required=False, max_length=20000, widget=forms.Textarea)
    # Empty clears the reply deadline: it is optional.
    deadline = forms.DateField(label=_("Reply deadline"), required=False, widget=DateInput())
    addressees = forms.ModelMultipleChoiceField(
        label=_("Addressed units"), queryset=_units(), required=False, widget=UnitPicker()
    )
    cc_units = forms.ModelMultipleChoiceField(
        label=_("Copied units"), queryset=_units(), required=False, widget=UnitPicker()
    )

    def __init__(self, *args: Any, office: Unit | int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Evaluated per form: units added in the admin appear without a restart. ``office``: the
        # office drafting the letter, whose offices below are offered too.
        self.fields["addressees"].queryset = _units(office)
        self.fields["cc_units"].queryset = _units(office)


def _unit_id(value: Any) -> int:
    pk = parse_id(value)
    if pk is None:
        raise ValueError(value)
    return pk


class _UnitIds(forms.TypedMultipleChoiceField):
    """Unit ids from a unit picker. The choices are what the page offers (the letter's units);
    any id is accepted here, as before, and the services judge it: a form that refused an item's
    unit it cannot show would make its item impossible to save."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=_unit_id, choices=[], required=False, widget=UnitPicker(), **kwargs)

    def to_python(self, value: Any) -> list[str]:
        # "—" (none) of a single select posts an empty value: nothing chosen.
        return [v for v in super().to_python(value) if v.strip()]

    def valid_value(self, value: Any) -> bool:
        return True


class ItemForm(forms.Form):
    description = forms.CharField(label=_("Problem"), max_length=MAX_TEXT, widget=forms.Textarea)
    measures = forms.CharField(label=_("Measures"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)
    category = forms.ChoiceField(label=_("Category"), choices=ItemCategory.choices, initial=ItemCategory.SPECIFIC)
    source = forms.ChoiceField(label=_("Source"), choices=ItemSource.choices, initial=ItemSource.SELF_INSPECTION)
    site = forms.CharField(label=_("Site"), required=False, max_length=120)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    deadline_kind = forms.ChoiceField(label=_("Deadline kind"), choices=DeadlineKind.choices)
    # Several lead units are allowed: a problem named for 各县（市、区） is each county's, on its
    # own ground. None: every addressed unit leads.
    lead = _UnitIds(label=_("Lead units (none chosen: every addressed unit leads)"))
    cooperating = _UnitIds(label=_("Cooperating units"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        units = list(units)
        # A unit the item names that the page would not offer (no longer addressed) is offered
        # too, chosen: saving the item must never drop it unseen.
        named = set(self._named_ids()) - {u.pk for u in units}
        if named:
            units += list(Unit.objects.filter(pk__in=named).order_by("name"))
        for name in ("lead", "cooperating"):
            self.fields[name].choices = [(u.pk, u.name) for u in units]
            self.fields[name].widget.groups = {u.pk: u.peer_group for u in units}

    def _named_ids(self) -> list[int]:
        if self.is_bound:
            raw = self.data.getlist("lead") + self.data.getlist("cooperating") if hasattr(self.data, "getlist") else []
        else:
            raw = list(self.initial.get("lead") or []) + list(self.initial.get("cooperating") or [])
        return [pk for pk in (parse_id(value) for value in raw) if pk is not None]

    def clean(self):
        data = super().clean()
        both = set(data.get("lead") or ()) & set(data.get("cooperating") or ())
        if both:
            names = dict(self.fields["cooperating"].choices)
            self.add_error(
                "cooperating",
                _("A unit cannot be both lead and cooperating: %(units)s.")
                % {"units": "、".join(str(names.get(pk, pk)) for pk in sorted(both))},
            )
        return data

    def item_fields(self) -> dict:
        """The cleaned fields as item_add and item_update take them (call after is_valid())."""
        d = self.cleaned_data
        return {
            "description": d["description"],
            "measures": d["measures"],
            "category": d["category"],
            "source": d["source"],
            "site": d["site"],
            "deadline": d["deadline"],
            "deadline_kind": d["deadline_kind"],
            "lead_unit_ids": list(dict.fromkeys(d["lead"])),
            "cooperating_unit_ids": d["cooperating"],
        }

    @classmethod
    def of_item(cls, item: Item, *, units) -> ItemForm:
        """The form filled in with an item as it stands, for changing it in place."""
        links = list(item.item_units.all())
        return cls(
            units=units,
            initial={
                "description": item.description,
                "measures": item.measures,
                "category": item.category,
                "source": item.source,
                "site": item.site,
                "deadline": item.deadline,
                "deadline_kind": item.deadline_kind,
                "lead": [link.unit_id for link in links if link.role == UnitRole.LEAD],
                "cooperating": [link.unit_id for link in links if link.role == UnitRole.COOPERATING],
            },
        )


class AttachForm(forms.Form):
    files = MultipleFileField(label=_("Attachments"))


class ShareForm(forms.Form):
    """Who else may read an issued letter: one person, by user name, or one unit."""

    username = forms.CharField(label=_("A person (user name)"), required=False, max_length=150)
    unit = forms.ModelChoiceField(label=_("Or a unit"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The page offers the units that do not read the letter yet; a post may name any active
        # unit, and the service says why a unit that already reads it gains nothing.
        self.fields["unit"].queryset = units if units is not None else Unit.objects.filter(is_active=True)

    def clean(self):
        data = super().clean()
        username = (data.get("username") or "").strip()
        if bool(username) == bool(data.get("unit")):
            raise ValidationError(_("Name either one person or one unit to share the letter with."))
        data["user"] = None
        if username:
            data["user"] = User.objects.filter(username=username, is_active=True).first()
            if data["user"] is None:
                self.add_error("username", _("No active user has this user name."))
        return data


class LetterFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any state")), *LetterState.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *LetterKind.choices])
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    # One of the person's offices (``?by=``): its letters. Read by ``search.office_filter``, which
    # ignores an office that is not theirs, as the assignment list does.
    by = forms.CharField(label=_("Office"), required=False, max_length=20, widget=forms.HiddenInput)
