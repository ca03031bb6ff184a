"""What the API answers: the rows of its lists and its objects, as JSON.

Read-only shapes (the writes take their own inputs, inputs.py). Each row links to the web page
that shows the same thing (``url``), so an integration can send a person there. The lists read
every related row they show with the page's query (select_related / prefetch): serializing a
page never queries per row.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def absolute(context: dict[str, Any], url_name: str, *args: Any) -> str:
    path = reverse(url_name, args=args)
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(OpenApiTypes.URI)
class PageLink(serializers.Field):
    """The absolute URL of a web page (or API endpoint) about the object: ``url_name`` with its id."""

    def __init__(self, url_name: str, **kwargs: Any) -> None:
        self.url_name = url_name
        kwargs.setdefault("source", "pk")
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return absolute(self.context, self.url_name, value)


class ErrorOut(serializers.Serializer):
    """Every error: a stable code, a sentence in the caller's language, and per-field messages."""

    code = serializers.CharField(help_text="e.g. not_allowed, invalid_transition, already_claimed, invalid_input.")
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Field name → its messages (a list, or per position).")


# --- references -----------------------------------------------------------------------------------


class UnitRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class LetterRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True, help_text="文号; null until the letter is issued.")
    title = serializers.CharField()


# --- units ----------------------------------------------------------------------------------------


class UnitOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    kind = serializers.CharField()
    peer_group = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    is_active = serializers.BooleanField()


# --- letters and items ----------------------------------------------------------------------------


class Figures(serializers.Serializer):
    total = serializers.IntegerField(source="n_total")
    open = serializers.IntegerField(source="n_open")
    closed = serializers.IntegerField(source="n_closed")
    whole_letter = serializers.BooleanField(
        help_text="True for the issuing office; otherwise the figures count the caller's units' tasks only."
    )


class LetterOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    number = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    office = UnitRef()
    drafter = UserRef()
    deadline = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    figures = Figures(source="*")
    url = PageLink("letters:detail")
    api_url = PageLink("api:letter")


class UnitRoleOut(serializers.Serializer):
    unit = UnitRef()
    role = serializers.CharField()


class ItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    letter = serializers.IntegerField(source="letter_id")
    seq = serializers.IntegerField()
    category = serializers.CharField()
    source = serializers.CharField()
    site = serializers.CharField()
    description = serializers.CharField()
    measures = serializers.CharField()
    deadline = serializers.DateField()
    deadline_kind = serializers.CharField()
    deadline_text = serializers.CharField()
    problem_no = serializers.IntegerField(
        allow_null=True, help_text="The problem (问题一, 问题二…) the item is a measure of; its items share it."
    )
    units = UnitRoleOut(
        source="item_units.all",
        many=True,
        help_text="The units named on the item while drafting: one or more leads (several when named together, "
        "each leading on its own ground), any number cooperating. None named: every addressed unit, as lead.",
    )


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = PageLink("letters:attachment")


class StepOut(serializers.Serializer):
    """A step the caller may take now, as the step table says (the page's buttons)."""

    key = serializers.CharField()
    label = serializers.CharField()
    needs = serializers.CharField(
        help_text="What the body carries: '' nothing, 'comment', 'reason', 'responsible_person', "
        "'report' (text + files), 'unit', 'deadline', 'director', 'parts' (分解: parts + comment), "
        "'forward' (转办: unit, deadline, comment), 'text' (optional text)."
    )
    url = serializers.URLField(help_text="POST here to take the step.")


class LetterDetailOut(LetterOut):
    title_lines = serializers.CharField(help_text="Where the drafter broke the printed title; empty: between words.")
    body = serializers.CharField()
    addressees = UnitRef(many=True, source="addressees.all")
    cc_units = UnitRef(many=True, source="cc_units.all")
    attachments = AttachmentOut(many=True, source="attachments.all")
    signer = UserRef(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    sign_comment = serializers.CharField()
    routed_to = UserRef(allow_null=True, help_text="While awaiting signature: the director it was sent to.")
    sent_at = serializers.DateTimeField(allow_null=True)
    pdf = PageLink("notices:letter_pdf")
    items = PageLink("api:letter-items")
    actions = StepOut(many=True, source="api_actions")


# --- assignments ----------------------------------------------------------------------------------


class ItemRef(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    description = serializers.CharField()
    category = serializers.CharField()
    source = serializers.CharField()
    site = serializers.CharField()
    deadline = serializers.DateField()
    deadline_kind = serializers.CharField()


class ParentRef(serializers.Serializer):
    """The task a sub-task was handed down from (分解/转办) and the unit holding it."""

    id = serializers.IntegerField()
    unit = UnitRef()


class AssignmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    item = ItemRef()
    letter = LetterRef()
    unit = UnitRef()
    role = serializers.CharField(help_text="lead or cooperating")
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    light = serializers.CharField(help_text="red, yellow, green, or '' for a finished task (红黄绿灯).")
    deadline = serializers.DateField()
    claimed_by = UserRef(allow_null=True)
    claimed_at = serializers.DateTimeField(allow_null=True)
    responsible_person = serializers.CharField()
    issued_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    parent = ParentRef(
        allow_null=True,
        help_text="For a sub-task, the task it was handed down from (its unit answers for this one); null for a "
        "task its letter gave the unit directly. The caller may not be able to open it (a unit sees only what "
        "is below it).",
    )
    depth = serializers.IntegerField(help_text="0: a direct task of the letter; 1: its sub-task; 2: theirs.")
    handed_down_as = serializers.CharField(help_text="breakdown (分解), forward (转办), or '' for a direct task.")
    url = PageLink("tasks:detail")
    api_url = PageLink("api:assignment")


class LatestReportOut(serializers.Serializer):
    kind = serializers.CharField(source="report_kind", help_text="progress or completion")
    at = serializers.DateTimeField(source="report_at")
    text = serializers.CharField(source="report_text")


class UnitName(serializers.Serializer):
    id = serializers.IntegerField(source="unit_id")
    name = serializers.CharField(source="unit_name", help_text="The unit's short name.")


class SubTaskOut(serializers.Serializer):
    """One sub-task as the parent's page lists it (selectors/hand_down.py SubTaskRow)."""

    id = serializers.IntegerField(source="pk")
    unit = UnitName(source="*")
    state = serializers.CharField()
    state_label = serializers.CharField()
    light = serializers.CharField()
    deadline = serializers.DateField()
    measures = serializers.CharField(help_text="Its own measures; '' when forwarded whole (the item's).")
    handed_down_as = serializers.CharField()
    claimed_by = serializers.CharField(help_text="Who claimed it, or ''.")
    latest_report = serializers.SerializerMethodField()
    evidence_count = serializers.IntegerField()
    url = PageLink("tasks:detail")
    api_url = PageLink("api:assignment")

    @extend_schema_field(LatestReportOut(allow_null=True))
    def get_latest_report(self, row: Any) -> dict[str, Any] | None:
        return LatestReportOut(row).data if row.report_at is not None else None


class AssignmentDetailOut(AssignmentOut):
    measures = serializers.CharField(
        source="own_measures", help_text="What this task is to do: a sub-task's own part, else the item's measures."
    )
    sub_tasks = SubTaskOut(
        many=True,
        source="api_sub_tasks",
        help_text="The tasks this one was handed down into (分解/转办), written off ones included.",
    )
    roll_up_ready = serializers.BooleanField(
        source="api_roll_up_ready",
        help_text="Every sub-task is written off: the claimer may report completion with theirs (roll_up).",
    )
    return_reason = serializers.CharField()
    last_rejection_reason = serializers.CharField()
    rejection_count = serializers.IntegerField()
    report_missed = serializers.BooleanField()
    reports = PageLink("api:assignment-reports")
    extensions = PageLink("api:assignment-extensions")
    timeline = PageLink("api:assignment-timeline")
    actions = StepOut(many=True, source="api_actions")


class EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    url = PageLink("tasks:evidence", help_text="The file, for a signed-in browser.")
    download = PageLink("api:evidence-file", help_text="The file, for a token.")


class ReportOut(serializers.Serializer):
    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment_id")
    kind = serializers.CharField(help_text="progress or completion")
    text = serializers.CharField()
    author = UserRef()
    created_at = serializers.DateTimeField()
    amended_at = serializers.DateTimeField(allow_null=True)
    cycle_seq = serializers.IntegerField(allow_null=True)
    carried_from = serializers.IntegerField(source="carried_from_id", allow_null=True)
    evidence = EvidenceOut(many=True, source="evidence.all")


class ExtensionOut(serializers.Serializer):
    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment_id")
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    reason = serializers.CharField()
    old_deadline = serializers.DateField()
    requested_deadline = serializers.DateField()
    requested_by = UserRef()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()
    actions = StepOut(many=True, source="api_actions")


class TimelineOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    said = serializers.CharField(help_text="What the task page says of it.")
    actor = serializers.CharField(source="actor_label", help_text="Who; 'X (for Y)' for a stand-in; '' for the system.")
    role = serializers.CharField(source="actor_role")
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    comment = serializers.CharField()


class ActionResultOut(serializers.Serializer):
    done = serializers.CharField(help_text="What the page would say.")
    assignment = AssignmentDetailOut(allow_null=True)
    report = ReportOut(allow_null=True, required=False)
    extension = ExtensionOut(allow_null=True, required=False)


class LetterActionResultOut(serializers.Serializer):
    done = serializers.CharField()
    letter = LetterDetailOut()


# --- cycles, rankings, notices, events --------------------------------------------------------------


class CycleOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="第N期")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    opens_at = serializers.DateTimeField()
    cutoff_at = serializers.DateTimeField()
    state = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    ranking = PageLink("api:cycle-ranking")


class ResultFigures(serializers.Serializer):
    held = serializers.IntegerField()
    claims_due = serializers.IntegerField()
    claimed_on_time = serializers.IntegerField()
    reports_due = serializers.IntegerField()
    reports_made = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed = serializers.IntegerField()
    rejections = serializers.IntegerField()
    returns_upheld = serializers.IntegerField()
    returns_rejected = serializers.IntegerField()
    extensions = serializers.IntegerField()


class ResultPoints(serializers.Serializer):
    base = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_base")
    claims = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_claims")
    reports = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_reports")
    on_time = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_on_time")
    closed = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_closed")
    rejections = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_rejections")
    returns_rejected = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_returns_rejected")
    returns_upheld = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_returns_upheld")
    extensions = serializers.DecimalField(max_digits=8, decimal_places=2, source="points_extensions")


class ResultOut(serializers.Serializer):
    unit = UnitRef()
    peer_group = serializers.CharField()
    ranked = serializers.BooleanField()
    rank = serializers.IntegerField(allow_null=True)
    group_size = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2)
    tie_break = serializers.CharField(help_text="Why it was placed after an equal score ('' if not).")
    last_streak = serializers.IntegerField(help_text="Closed cycles in a row it was last in its group.")
    figures = ResultFigures(source="*")
    points = ResultPoints(source="*")


class NoticeOut(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.IntegerField(source="cycle.number", help_text="The cycle's number (第N期).")
    office = UnitRef()
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    signed_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    url = PageLink("cycles:notice")
    pdf = PageLink("notices:notice_pdf")


class EventOut(serializers.Serializer):
    """The webhook body of an event, exactly (supervision/outbox/payload.py)."""

    id = serializers.UUIDField()
    event = serializers.CharField(help_text="The event name, e.g. assignment.reminded (see the README's list).")
    occurred_at = serializers.DateTimeField()
    text = serializers.CharField()
    url = serializers.CharField(help_text="The page it is about, or ''.")
    data = serializers.DictField(help_text="The ids it refers to (assignment, letter, notice, units) and more.")


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    roles = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Unit id → roles held there."
    )
    token = serializers.DictField(allow_null=True, help_text="The token in use: name, prefix, scope, expiry.")
