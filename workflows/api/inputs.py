"""What the API's writes take: one input per kind of step form (what a button ``needs`` on the
pages, workflows/tasks/buttons.py), the letter drafts and items, and the list filters.

They parse, as the page forms do; the services judge (a missing reason, a unit that may not be
chosen, a date too late are the services' refusals, with the pages' messages). Lengths are
bounded here so that an oversized field is a 400 before anything is read from the database.
"""

from __future__ import annotations

from rest_framework import serializers

from supervision.models import (
    AssignmentState,
    DeadlineKind,
    ItemCategory,
    ItemSource,
    LetterKind,
    LetterState,
    PeerGroup,
)
from supervision.parsing import MAX_ID
from supervision.selectors import queues
from supervision.selectors.search import Level, Light
from workflows.tasks.forms import MAX_TEXT


def _id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _text(limit: int = MAX_TEXT, **kwargs) -> serializers.CharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("default", "")
    return serializers.CharField(max_length=limit, allow_blank=True, trim_whitespace=False, **kwargs)


# --- the step forms -------------------------------------------------------------------------------


class NoFilters(serializers.Serializer):
    """A list that takes no filter (only its page's size and cursor)."""


class NothingIn(serializers.Serializer):
    """A confirmation: the step takes no input."""


class CommentIn(serializers.Serializer):
    comment = _text(help_text="Optional.")


class ReasonIn(serializers.Serializer):
    reason = _text(help_text="Required by the step: refused without one.")


class PersonIn(serializers.Serializer):
    responsible_person = _text(60, help_text="责任人: who in the unit answers for it (optional).")


class ReportIn(serializers.Serializer):
    text = _text(help_text="The progress or completion, required.")
    files = serializers.ListField(
        child=serializers.FileField(max_length=200, allow_empty_file=False),
        required=False,
        default=list,
        max_length=50,
        help_text="Evidence files (multipart/form-data; repeat the field for several).",
    )
    token = _text(
        80,
        help_text="Optional one-time key (8–80 of A–Z a–z 0–9 _ . : -): the same report sent twice with the "
        "same key is recorded once.",
    )


class UnitIn(serializers.Serializer):
    unit = _id(help_text="The unit the task goes to.")
    comment = _text()


class DeadlineIn(serializers.Serializer):
    deadline = serializers.DateField(help_text="The new deadline asked for (YYYY-MM-DD).")
    reason = _text()


class DirectorIn(serializers.Serializer):
    director = _id(required=False, allow_null=True, default=None, help_text="The director it is sent to.")


class PartIn(serializers.Serializer):
    unit = _id(help_text="A unit directly below the task's unit.")
    measures = _text(help_text="What this unit is to do (required by the step: refused when empty).")
    deadline = serializers.DateField(help_text="No later than the task's own deadline (YYYY-MM-DD).")


class PartsIn(serializers.Serializer):
    parts = serializers.ListField(
        child=PartIn(),
        min_length=1,
        max_length=500,
        help_text="分解: one sub-task per part, each for a different unit below. A refused part is named in "
        "fields.parts by its position.",
    )
    comment = _text()


class ForwardIn(serializers.Serializer):
    unit = _id(help_text="转办: the unit directly below that takes the whole task.")
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default (null): the task's own deadline."
    )
    comment = _text()


class TextIn(serializers.Serializer):
    text = _text(help_text="Optional: said before the sub-units' completion texts.")


# The input of each ``needs`` of a step's button, and of the letters' routing.
NEEDS: dict[str, type[serializers.Serializer]] = {
    "": NothingIn,
    "comment": CommentIn,
    "reason": ReasonIn,
    "person": PersonIn,
    "report": ReportIn,
    "unit": UnitIn,
    "deadline": DeadlineIn,
    "director": DirectorIn,
    "parts": PartsIn,
    "forward": ForwardIn,
    "text": TextIn,
}
# How the API names what each form asks for (the pages' "person" is the responsible person).
NEEDS_NAMES = {"person": "responsible_person"}


# --- letters --------------------------------------------------------------------------------------


class LetterIn(serializers.Serializer):
    office = _id(required=False, help_text="The office drafting it; needed only by a clerk of several offices.")
    kind = serializers.ChoiceField(choices=LetterKind.choices)
    title = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False)
    title_lines = serializers.CharField(
        max_length=400,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
        default="",
        help_text="Where the printed title breaks: the title again, one line per line; empty: between words.",
    )
    body = _text(20000)
    deadline = serializers.DateField(required=False, allow_null=True, default=None, help_text="Reply deadline.")
    addressees = serializers.ListField(child=_id(), required=False, default=list, max_length=5000)
    cc_units = serializers.ListField(child=_id(), required=False, default=list, max_length=5000)


class LetterUpdateIn(serializers.Serializer):
    """A draft's fields; those left out stay as they are (``deadline: null`` takes it off)."""

    title = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False, required=False)
    title_lines = serializers.CharField(max_length=400, allow_blank=True, trim_whitespace=False, required=False)
    body = serializers.CharField(max_length=20000, allow_blank=True, trim_whitespace=False, required=False)
    deadline = serializers.DateField(required=False, allow_null=True)
    addressees = serializers.ListField(child=_id(), required=False, max_length=5000)
    cc_units = serializers.ListField(child=_id(), required=False, max_length=5000)


class ItemIn(serializers.Serializer):
    description = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False)
    measures = _text()
    category = serializers.ChoiceField(choices=ItemCategory.choices, default=ItemCategory.SPECIFIC)
    source = serializers.ChoiceField(choices=ItemSource.choices, default=ItemSource.SELF_INSPECTION)
    site = _text(120)
    deadline = serializers.DateField()
    deadline_kind = serializers.ChoiceField(choices=DeadlineKind.choices, default=DeadlineKind.BY_DATE)
    lead_unit = _id(
        required=False, allow_null=True, default=None, help_text="None: every addressed unit leads its own task."
    )
    lead_units = serializers.ListField(
        child=_id(),
        required=False,
        default=list,
        max_length=5000,
        help_text="Several lead units, each leading on its own ground; with lead_unit, both count.",
    )
    cooperating_units = serializers.ListField(child=_id(), required=False, default=list, max_length=5000)
    problem_no = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=100_000,
        help_text="Items of one problem share it.",
    )


# --- list filters ---------------------------------------------------------------------------------

# The peer groups a list filters by: never the office's own (offices hold no tasks).
UNIT_GROUPS = [c for c in PeerGroup.choices if c[0] != PeerGroup.OFFICE]
# Every work queue, the handed-down ones (分解/转办) included: the task list's tabs.
QUEUE_KEYS = tuple(queues.ALL_QUEUES)


class AssignmentFiltersIn(serializers.Serializer):
    """The task list's filter bar (workflows/tasks/forms.FilterForm) and its queue tabs."""

    queue = serializers.ChoiceField(
        choices=QUEUE_KEYS,
        required=False,
        help_text="A work queue: unclaimed (to claim), mine (claimed by me), unit_signoff, returned, "
        "to_verify, to_close, closed; and for a unit that handed tasks down, its sub-tasks sub_to_verify, "
        "sub_to_close, sub_returned, handed_down (all of them). One the caller has no role for is empty.",
    )
    level = serializers.ChoiceField(
        choices=[c[0] for c in Level.CHOICES if c[0]],
        required=False,
        help_text="direct: the tasks letters gave units directly; sub: the sub-tasks units handed down (分解/转办).",
    )
    parent = _id(required=False, help_text="The sub-tasks of this task.")
    q = serializers.CharField(max_length=100, required=False, help_text="Search text.")
    state = serializers.ChoiceField(choices=AssignmentState.choices, required=False)
    light = serializers.ChoiceField(choices=[c[0] for c in Light.CHOICES], required=False)
    peer_group = serializers.ChoiceField(choices=UNIT_GROUPS, required=False)
    category = serializers.ChoiceField(choices=ItemCategory.choices, required=False)
    source = serializers.ChoiceField(choices=ItemSource.choices, required=False)
    unit = _id(required=False)
    letter = _id(required=False)
    site = serializers.CharField(max_length=120, required=False)
    overdue = serializers.BooleanField(required=False, default=False, help_text="Red light only.")
    open = serializers.BooleanField(required=False, default=False, help_text="Open tasks only.")
    by = serializers.CharField(
        max_length=20,
        required=False,
        help_text="One of the caller's offices (id): the tasks of its letters. Any other value narrows nothing.",
    )


class LetterFiltersIn(serializers.Serializer):
    state = serializers.ChoiceField(choices=LetterState.choices, required=False)
    kind = serializers.ChoiceField(choices=LetterKind.choices, required=False)
    q = serializers.CharField(max_length=100, required=False, help_text="In the title or the number.")


class ItemFiltersIn(serializers.Serializer):
    letter = _id(required=False)


class RankingFiltersIn(serializers.Serializer):
    peer_group = serializers.ChoiceField(choices=UNIT_GROUPS, required=False)
