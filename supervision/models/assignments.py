"""Assignments (one item for one unit) and what units attach to them: progress reports,
evidence, sign-offs and extension requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.fsm.base import State
from viewflow.fsm.fields import FSMField

from supervision import clock

from .letters import Item, UnitRole
from .units import Unit


class AssignmentState(models.TextChoices):
    ISSUED = "issued", _("Issued")
    RETURN_REQUESTED = "return_requested", _("Return awaiting leader sign-off")
    RETURNED = "returned", _("Returned")
    REASSIGNED = "reassigned", _("Reassigned")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETION_REQUESTED = "completion_requested", _("Completion awaiting leader sign-off")
    AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    # Its letter was withdrawn before the unit took it up.
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = AssignmentState

# The five main states of the design, and which fine state belongs to each. The fine states
# are the visible sub-steps (a return or completion waiting for a signature or a check).
PHASES: dict[str, tuple[str, ...]] = {
    "issued": (S.ISSUED, S.RETURN_REQUESTED),
    "returned": (S.RETURNED, S.REASSIGNED),
    "accepted": (S.ACCEPTED,),
    "in_progress": (S.IN_PROGRESS, S.COMPLETION_REQUESTED, S.AWAITING_VERIFICATION),
    "verified": (S.VERIFIED,),
    "closed": (S.CLOSED,),
    "withdrawn": (S.WITHDRAWN,),
}
# Assignments a unit still has to work on (count towards load and overdue).
OPEN_STATES = (
    S.ISSUED,
    S.RETURN_REQUESTED,
    S.ACCEPTED,
    S.IN_PROGRESS,
    S.COMPLETION_REQUESTED,
    S.AWAITING_VERIFICATION,
)
# Assignments no longer live for anyone: replaced by another unit's.
DEAD_STATES = (S.REASSIGNED, S.WITHDRAWN)


class HandDown(models.TextChoices):
    """How a unit handed its task down to a unit below it (services/hand_down.py)."""

    BREAK_DOWN = "breakdown", _("Broken down")  # 分解: one of several parts, each with its own measures
    FORWARD = "forward", _("Forwarded")  # 转办: the whole task, to one unit below


def _back_from_return(assignment: Assignment) -> str:
    # A refused return goes back to where it came from: claimed or still in the queue.
    return S.ACCEPTED if assignment.claimed_by_id else S.ISSUED


class Assignment(models.Model):
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="assignments")
    # Denormalised from the item so the unit's lists filter and sort on one table.
    letter = models.ForeignKey(
        "supervision.Letter", verbose_name=_("letter"), on_delete=models.PROTECT, related_name="assignments"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=20, choices=UnitRole.choices)
    state = FSMField(_("state"), max_length=30, choices=AssignmentState.choices, default=S.ISSUED, protected=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments_claimed",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=60, blank=True)
    deadline = models.DateField(_("current deadline"))
    reassigned_from = models.OneToOneField(
        "self",
        verbose_name=_("reassigned from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reassigned_to",
    )
    # Why the unit asked to return it / why the office rejected the last completion.
    return_reason = models.TextField(_("return reason"), blank=True)
    last_rejection_reason = models.TextField(_("last rejection reason"), blank=True)
    rejection_count = models.PositiveIntegerField(_("verification rejections"), default=0)
    issued_at = models.DateTimeField(_("issued at"))
    completed_at = models.DateTimeField(_("completion submitted at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic version, bumped by every transition: a page can tell it is stale.
    version = models.PositiveIntegerField(default=0)
    # Kept by ``manage.py tick`` (not transitions, so the version is not bumped): the unit owed a
    # progress report in the last closed cycle and has sent none since — a yellow light until it
    # reports (a report clears it at once). A database default, so bare-SQL inserts stay valid.
    report_missed = models.BooleanField(_("report missed"), default=False, db_default=False)
    # The day tick first found it open past its deadline (and drafted its reminder letter);
    # cleared when it is no longer overdue, so a second lapse is chased again.
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    # 分解 / 转办: a sub-task a unit handed down to a unit below it. The parent's unit acts as the
    # office for it (its liaison reassigns, its members verify, its leader writes off) and stays
    # answerable to whoever issued the parent. Same item and letter as the parent; depth 0 is a
    # task the office issued itself.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("handed down from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, db_default=0)
    handed_down_as = models.CharField(
        _("handed down as"), max_length=10, choices=HandDown.choices, blank=True, default="", db_default=""
    )
    # Set on a task when it first hands something down (services/hand_down.py, in the same
    # transaction as the sub-tasks) and never unset: a task without it has no sub-task of any
    # state, so the checks that count its open or live sub-tasks (step_guards) need not ask. Once
    # set they ask, and count only the live ones (a reassigned or withdrawn sub-task is not).
    has_sub_tasks = models.BooleanField(_("has sub-tasks"), default=False, db_default=False)
    # Kept by tick beside report_missed (and at once by the sub-task's own transitions): one of
    # its live sub-tasks is open past its deadline, so this parent shows yellow — the unit that
    # handed it down is late below even when its own deadline is far.
    sub_task_overdue = models.BooleanField(_("a sub-task is overdue"), default=False, db_default=False)
    # A sub-task's own measures (a part of the parent's work); empty: the item's measures.
    measures = models.TextField(_("measures"), blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["deadline", "id"]
        constraints = [
            # One live assignment per item and unit; a reassigned one no longer counts.
            models.UniqueConstraint(
                fields=["item", "unit"],
                condition=~Q(state="reassigned") & Q(parent__isnull=True),
                name="assignment_item_unit_live",
            ),
            # One live sub-task per parent and unit below it.
            models.UniqueConstraint(
                fields=["parent", "unit"],
                condition=~Q(state="reassigned") & Q(parent__isnull=False),
                name="assignment_parent_unit_live",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "state", "deadline"], name="asg_unit_state_deadline"),
            models.Index(fields=["state", "deadline"], name="asg_state_deadline"),
            models.Index(fields=["letter", "state"], name="asg_letter_state"),
            models.Index(fields=["claimed_by", "state"], name="asg_claimer_state"),
            # The yellow-light and overdue lists kept by tick are short: partial indexes.
            models.Index(fields=["state", "deadline"], condition=Q(report_missed=True), name="asg_report_missed"),
            models.Index(fields=["overdue_since"], condition=Q(overdue_since__isnull=False), name="asg_overdue_since"),
            # A parent task's sub-tasks, and the office-level lists that leave them out.
            models.Index(fields=["parent", "state"], condition=Q(parent__isnull=False), name="asg_parent_state"),
            models.Index(fields=["state", "deadline"], condition=Q(sub_task_overdue=True), name="asg_sub_overdue"),
            # The office's lists (tens of thousands of visible rows) walk the table in the lists'
            # (deadline, id) order and stop at the page. Partial, so that only a list that asks
            # for open work or one level can take them: a unit's lists (a few thousand rows,
            # read by unit and by the units above each sub-task) keep their index reads, which a
            # plain (deadline, id) index lured into the same walk (a county's "handed down" 2x).
            models.Index(fields=["deadline", "id"], condition=Q(state__in=OPEN_STATES), name="asg_open_deadline_id"),
            models.Index(fields=["deadline", "id"], condition=Q(parent__isnull=False), name="asg_sub_deadline_id"),
            models.Index(fields=["deadline", "id"], condition=Q(parent__isnull=True), name="asg_direct_deadline_id"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.item}"

    @property
    def is_sub_task(self) -> bool:
        return self.parent_id is not None

    @property
    def own_measures(self) -> str:
        return self.measures or self.item.measures

    @property
    def phase(self) -> str:
        for phase, states in PHASES.items():
            if self.state in states:
                return phase
        return self.state

    # --- transitions (viewflow.fsm). Roles, locks and audit live in services/assignments.py ---
    @state.transition(source=S.ISSUED, target=S.ACCEPTED)
    def claim(self) -> None:
        """签收"""

    @state.transition(source=S.ACCEPTED, target=S.ISSUED)
    def unclaim(self) -> None:
        """Give the claim back to the unit's queue."""

    @state.transition(source=[S.ISSUED, S.ACCEPTED], target=S.RETURN_REQUESTED)
    def request_return(self) -> None:
        """退回 — waits for the unit leader's signature."""

    @state.transition(source=S.RETURN_REQUESTED, target=S.RETURNED)
    def approve_return(self) -> None:
        """The unit leader signs the return."""

    @state.transition(
        source=S.RETURN_REQUESTED,
        target=State.GET_STATE(_back_from_return, states=[S.ISSUED, S.ACCEPTED]),
    )
    def refuse_return(self) -> None:
        """The unit leader refuses: the unit keeps it."""

    @state.transition(source=S.RETURNED, target=S.REASSIGNED)
    def reassign(self) -> None:
        """改派: the office gives the item to another unit."""

    @state.transition(source=S.RETURNED, target=S.ISSUED)
    def reissue(self) -> None:
        """The office insists: the unit keeps it."""

    @state.transition(source=S.ACCEPTED, target=S.IN_PROGRESS)
    def start(self) -> None:
        """开始整改"""

    @state.transition(source=[S.ACCEPTED, S.IN_PROGRESS], target=S.IN_PROGRESS)
    def report_progress(self) -> None:
        """整改进展 (a first report also starts the work)."""

    @state.transition(source=S.IN_PROGRESS, target=S.COMPLETION_REQUESTED)
    def submit_completion(self) -> None:
        """Completion report, waits for the unit leader's sign-off."""

    @state.transition(source=S.COMPLETION_REQUESTED, target=S.AWAITING_VERIFICATION)
    def approve_completion(self) -> None:
        """审签"""

    @state.transition(source=S.COMPLETION_REQUESTED, target=S.IN_PROGRESS)
    def refuse_completion(self) -> None:
        """The leader sends the report back to the liaison."""

    @state.transition(source=S.AWAITING_VERIFICATION, target=S.VERIFIED)
    def verify(self) -> None:
        """核验"""

    @state.transition(source=S.AWAITING_VERIFICATION, target=S.IN_PROGRESS)
    def reject(self) -> None:
        """核验不通过"""

    @state.transition(source=S.VERIFIED, target=S.CLOSED)
    def close(self) -> None:
        """销号"""

    @state.transition(source=S.CLOSED, target=S.IN_PROGRESS)
    def reopen(self) -> None:
        """回头看: the problem rebounded."""

    # A returned one is not among the sources: the office still owes its decision (改派 or not).
    @state.transition(source=[*OPEN_STATES, S.VERIFIED], target=S.CLOSED)
    def close_with_lead(self) -> None:
        """A cooperating unit's part closes when the lead unit's task of the item is written off."""

    @state.transition(source=S.ISSUED, target=S.WITHDRAWN)
    def withdraw(self) -> None:
        """The letter was withdrawn while this was still unclaimed."""


def _evidence_path(instance: Evidence, filename: str) -> str:
    # Content-addressed names: nothing of the user's file name reaches the file system.
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}"


class ReportKind(models.TextChoices):
    PROGRESS = "progress", _("Progress report")
    COMPLETION = "completion", _("Completion report")


class ProgressReport(models.Model):
    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices, default=ReportKind.PROGRESS)
    text = models.TextField(_("progress"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="reports"
    )
    created_at = models.DateTimeField(_("reported at"), db_index=True)
    # A report carried forward unchanged from the previous cycle (最多报一次).
    carried_from = models.ForeignKey(
        "self", verbose_name=_("carried forward from"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # The cycle whose report window holds created_at (its calendar index, as Cycle.seq). A unit
    # owes one progress report per cycle, so a second one in the same cycle amends the first
    # instead of adding a row. Null only on rows written around the services (bulk loads).
    cycle_seq = models.IntegerField(_("cycle"), null=True, blank=True)
    # When the text was last amended within its cycle (the earlier text is kept in the audit row).
    amended_at = models.DateTimeField(_("amended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["assignment", "-created_at"], name="report_asg_created")]
        constraints = [
            # One progress report per assignment and cycle, whatever races or double clicks do.
            # Completion reports are not counted: each submission round has its own.
            models.UniqueConstraint(
                fields=["assignment", "cycle_seq"], condition=Q(kind="progress"), name="report_one_per_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} · {self.created_at:%Y-%m-%d}"


class Evidence(models.Model):
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=_evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("checksum"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=clock.now)
    # Attached from a sub-task's report when the parent's completion rolled it up: the same
    # stored file (content-addressed), shown as the sub-unit's.
    copied_from = models.ForeignKey(
        "self", verbose_name=_("copied from"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name


class SignOffKind(models.TextChoices):
    RETURN = "return", _("Return")
    COMPLETION = "completion", _("Completion report")
    EXTENSION = "extension", _("Extension request")


class SignOff(models.Model):
    """A unit leader's decision (审签) on what the unit sends to the office."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="signoffs")
    kind = models.CharField(_("kind"), max_length=20, choices=SignOffKind.choices)
    approved = models.BooleanField(_("approved"))
    comment = models.TextField(_("comment"), blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs")
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.signed_by}"


class ExtensionState(models.TextChoices):
    AWAITING_SIGNOFF = "awaiting_signoff", _("Awaiting leader sign-off")
    AWAITING_DECISION = "awaiting_decision", _("Awaiting office decision")
    REFUSED = "refused", _("Refused by the unit leader")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected by the office")


class ExtensionRequest(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    state = FSMField(
        _("state"),
        max_length=20,
        choices=ExtensionState.choices,
        default=ExtensionState.AWAITING_SIGNOFF,
        protected=True,
    )
    reason = models.TextField(_("reason"))
    old_deadline = models.DateField(_("old deadline"))
    requested_deadline = models.DateField(_("requested deadline"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at"]
        constraints = [
            # One open request per assignment at a time.
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(state__in=["awaiting_signoff", "awaiting_decision"]),
                name="extension_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["state"], name="extension_state"),
            # The ranking counts the extensions granted in a cycle's window.
            models.Index(fields=["state", "decided_at"], name="extension_state_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} → {self.requested_deadline}"

    @state.transition(source=ExtensionState.AWAITING_SIGNOFF, target=ExtensionState.AWAITING_DECISION)
    def sign(self) -> None:
        """The unit leader agrees."""

    @state.transition(source=ExtensionState.AWAITING_SIGNOFF, target=ExtensionState.REFUSED)
    def refuse(self) -> None:
        """The unit leader does not agree."""

    @state.transition(source=ExtensionState.AWAITING_DECISION, target=ExtensionState.APPROVED)
    def approve(self) -> None:
        """The office grants the new deadline."""

    @state.transition(source=ExtensionState.AWAITING_DECISION, target=ExtensionState.REJECTED)
    def reject(self) -> None:
        """The office keeps the deadline."""


class AssignmentAncestor(models.Model):
    """A unit above a sub-task: the unit that handed it down, and the units above that one's task
    (a county's township task has the county here, and the city when the county's task was itself
    the city's). They see it and its evidence; the rows are written when it is handed down, so the
    lists ask one indexed table instead of walking the tree."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="ancestors")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    # 1: the unit that handed it down; 2: the one above it; …
    distance = models.PositiveSmallIntegerField(_("distance"))

    class Meta:
        verbose_name = _("unit above a sub-task")
        verbose_name_plural = _("units above sub-tasks")
        constraints = [models.UniqueConstraint(fields=["assignment", "unit"], name="ancestor_assignment_unit")]
        indexes = [models.Index(fields=["unit", "distance", "assignment"], name="ancestor_unit_distance")]

    def __str__(self) -> str:
        return f"{self.assignment_id} ↑ {self.unit_id}"
