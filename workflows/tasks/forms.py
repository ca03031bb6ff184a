"""Forms for the assignment pages. They only parse input; the services judge it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from supervision.models import Assignment, AssignmentState, ItemCategory, ItemSource, PeerGroup, User
from supervision.parsing import MAX_ID
from supervision.selectors.search import AssignmentFilters, Level, Light, office_filter, peer_group_choices
from supervision.selectors.visibility import assignments_visible_to

MAX_TEXT = 4000


class FilterForm(forms.Form):
    """The search and filter bar of every assignment list. Invalid values are dropped with a
    message, never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *AssignmentState.choices]
    )
    light = forms.ChoiceField(label=_("Light"), required=False, choices=[("", _("Any light")), *Light.CHOICES])
    peer_group = forms.ChoiceField(
        label=_("Peer group"), required=False, choices=[("", _("Any group")), *PeerGroup.choices]
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any category")), *ItemCategory.choices]
    )
    source = forms.ChoiceField(label=_("Source"), required=False, choices=[("", _("Any source")), *ItemSource.choices])
    # Bounded like every id (supervision.parsing): past a 64-bit column SQLite fails the query.
    unit = forms.IntegerField(label=_("Unit"), required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    letter = forms.IntegerField(
        label=_("Letter"), required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    # 分解/转办: the office's own tasks or the sub-tasks units handed down (all by default), and
    # one task's sub-tasks (the link under a task's sub-task panel).
    level = forms.ChoiceField(label=_("Level"), required=False, choices=Level.CHOICES)
    parent = forms.IntegerField(
        label=_("Handed down from"), required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    site = forms.CharField(label=_("Site"), required=False, max_length=120)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    open = forms.BooleanField(label=_("Open only"), required=False)
    # One of the person's offices (``?by=``, as the per-office pages pick one): the tasks of that
    # office's letters. Text, read by ``office_filter``: an office that is not theirs is no filter,
    # silently, as on the pages that pick an office.
    by = forms.CharField(label=_("Office"), required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Only the peer groups this person's lists can hold: never the office's own, and none
        # for a unit member whose units are all in one group.
        if user is not None:
            self.fields["peer_group"].choices = [("", _("Any group")), *peer_group_choices(user)]

    def filters(self) -> AssignmentFilters:
        # Invalid fields are left out of cleaned_data: the rest still filter (the page says which).
        self.is_valid()
        data = self.cleaned_data
        return AssignmentFilters(
            text=data.get("q") or "",
            states=[data["state"]] if data.get("state") else [],
            light=data.get("light") or "",
            peer_group=data.get("peer_group") or "",
            category=data.get("category") or "",
            source=data.get("source") or "",
            units=[data["unit"]] if data.get("unit") else [],
            letter=data.get("letter") or None,
            site=data.get("site") or "",
            overdue=bool(data.get("overdue")),
            open_only=bool(data.get("open")),
            level=data.get("level") or "",
            office=office_filter(self.user, data.get("by")) if self.user is not None else None,
        )

    def within_parent(self, base: QuerySet[Assignment] | None, user: User) -> QuerySet[Assignment] | None:
        """The list's base set kept to one task's sub-tasks when ``parent`` is given."""
        parent = self.cleaned_data.get("parent") if hasattr(self, "cleaned_data") else None
        if not parent:
            return base
        return within_parent(base, user, parent)


def within_parent(base: QuerySet[Assignment] | None, user: User, parent: int) -> QuerySet[Assignment]:
    """The sub-tasks of task ``parent`` among ``base`` (the visible set when None)."""
    return (assignments_visible_to(user) if base is None else base).filter(parent_id=parent)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)


class ReasonForm(forms.Form):
    # Required-ness is checked by the service, with its own message naming the reason.
    reason = forms.CharField(label=_("Reason"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)


class PersonForm(forms.Form):
    person = forms.CharField(label=_("Responsible person"), required=False, max_length=60)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    text = forms.CharField(label=_("Progress"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)
    files = MultipleFileField(label=_("Evidence files (optional)"), required=False)
    # One-time token rendered with the form: the same form sent twice (a double click, a resend
    # after a lost answer) is accepted once. The service judges it.
    token = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)


class UnitForm(forms.Form):
    unit = forms.IntegerField(label=_("Unit"), min_value=1)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)


class ExtensionForm(forms.Form):
    deadline = forms.DateField(label=_("New deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)
