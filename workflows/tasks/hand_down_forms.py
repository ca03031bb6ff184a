"""The forms of handing a task down (分解 / 转办) and of rolling its sub-tasks up. They only parse
what was typed; the services judge it (a deadline past the task's own, empty measures, a unit
not below) and the view puts a refusal beside the row it names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from supervision.models import Unit

from .forms import MAX_TEXT

PREFIX = "part"
# A break-down names at most this many parts (a county has a few dozen townships at most).
MAX_PARTS = 200


def _unit_choices(targets: Sequence[Unit]) -> list[tuple[str, str]]:
    return [("", _("Choose a unit below")), *((str(u.pk), u.name) for u in targets)]


def _date_widget(deadline: dt.date, today: dt.date) -> forms.DateInput:
    # The browser offers only the days the service accepts (today .. the task's deadline).
    return forms.DateInput(
        attrs={"type": "date", "max": deadline.isoformat(), "min": min(today, deadline).isoformat()},
        format="%Y-%m-%d",
    )


class PartForm(forms.Form):
    """One part of a break-down: the unit below, its measures, its deadline."""

    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    # Required by the service (its message names the part); the browser asks for it too.
    measures = forms.CharField(
        label=_("Measures"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )
    deadline = forms.DateField(label=_("Deadline"))

    def __init__(self, *args: Any, targets: Sequence[Unit] = (), deadline: dt.date, today: dt.date, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["unit"].choices = _unit_choices(targets)
        self.fields["measures"].widget.attrs["placeholder"] = _("What this unit is to do")
        self.fields["deadline"].widget = _date_widget(deadline, today)
        # A new row (the script's too) starts at the task's own deadline; a row left as it came
        # is not a part.
        self.fields["deadline"].initial = deadline
        self.limit, self.today = deadline, today

    def clean(self) -> dict[str, Any]:
        # What one row alone shows is said beside it at once. The service judges every part again
        # (and what a row cannot show: a unit no longer below, one already holding a part).
        data = super().clean()
        if not (data.get("measures") or "").strip() and "measures" not in self.errors:
            self.add_error("measures", _("Write the measures this unit is to take."))
        day = data.get("deadline")
        if day is not None and day > self.limit:
            self.add_error(
                "deadline",
                _("After this task's own deadline (%(limit)s).") % {"limit": date_format(self.limit, "Y-m-d")},
            )
        elif day is not None and day < self.today:
            self.add_error("deadline", _("This day has already passed."))
        return data


class BasePartFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": _("Name at least one unit below."),
        "too_many_forms": _("There are only %(num)d units below to hand parts down to: one row each."),
    }

    def __init__(self, *args: Any, targets: Sequence[Unit], deadline: dt.date, today: dt.date, **kw: Any):
        self.form_options = {"targets": targets, "deadline": deadline, "today": today}
        kw.setdefault("prefix", PREFIX)
        super().__init__(*args, **kw)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return dict(self.form_options)

    def clean(self) -> None:
        # Two rows for one unit is a slip of the hand, said beside the second row at once.
        seen: set[int] = set()
        for form in self.forms:
            unit = form.cleaned_data.get("unit") if hasattr(form, "cleaned_data") else None
            if unit is None:
                continue
            if unit in seen:
                form.add_error("unit", _("This unit already has a row above."))
            seen.add(unit)


def part_formset(
    data: QueryDict | None = None,
    *,
    targets: Sequence[Unit],
    deadline: dt.date,
    today: dt.date,
    initial: list[dict[str, Any]] | None = None,
) -> BasePartFormSet:
    """The break-down rows: bound to a POST, or unbound showing ``initial`` (one empty row by
    default, its deadline the task's own)."""
    cls = forms.formset_factory(
        PartForm,
        formset=BasePartFormSet,
        extra=0,
        min_num=1,
        validate_min=True,
        max_num=max(1, min(len(targets), MAX_PARTS)),
        validate_max=True,
        absolute_max=MAX_PARTS,
    )
    if data is not None:
        return cls(data, targets=targets, deadline=deadline, today=today)
    return cls(initial=initial or [{"deadline": deadline}], targets=targets, deadline=deadline, today=today)


def posted_rows(data: QueryDict) -> list[dict[str, str]]:
    """The rows as typed (raw), to show the form again with a row added or taken out (the
    buttons that do that without the script)."""
    try:
        total = int(data.get(f"{PREFIX}-TOTAL_FORMS", "1"))
    except ValueError:
        total = 1
    total = max(0, min(total, MAX_PARTS))
    return [
        {name: data.get(f"{PREFIX}-{n}-{name}", "")[:MAX_TEXT] for name in ("unit", "measures", "deadline")}
        for n in range(total)
    ]


class ForwardForm(forms.Form):
    """转办: the whole task to one unit below; the deadline defaults to the task's own."""

    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    deadline = forms.DateField(label=_("Deadline"), required=False)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)

    def __init__(self, *args: Any, targets: Sequence[Unit], deadline: dt.date, today: dt.date, **kw: Any):
        kw.setdefault("prefix", "forward")
        kw.setdefault("initial", {"deadline": deadline})
        super().__init__(*args, **kw)
        self.fields["unit"].choices = _unit_choices(targets)
        self.fields["deadline"].widget = _date_widget(deadline, today)
        self.fields["comment"].widget.attrs.update({"rows": 2, "placeholder": _("Comment (optional)")})


class CommentOnly(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=MAX_TEXT)


class RollUpForm(forms.Form):
    text = forms.CharField(label=_("Your own words (optional)"), required=False, max_length=MAX_TEXT)
