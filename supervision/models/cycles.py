"""Cycles (双周调度): the 14-day reporting periods, opened and closed by ``manage.py tick``, and
the near-due reminders tick has sent (each one once).

Each office runs its own cycles (a province office and its city offices in one deployment): the
rows are the office's, numbered from 1 for that office, one open at a time per office."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CycleState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Cycle(models.Model):
    """One cycle as it was run. The bounds are stored, not recomputed: a later change of the
    anchor or cut-off settings must not move the windows of cycles already ranked."""

    office = models.ForeignKey(
        "supervision.Unit",
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        related_name="cycles",
        limit_choices_to={"kind": "office"},
    )
    # 第N期: 1 for the first cycle the office ran, counting up.
    number = models.PositiveIntegerField(_("number"))
    # Cycles since the anchor date (see supervision.cycle_calendar).
    seq = models.IntegerField(_("calendar index"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # Reports count for this cycle after opens_at (the previous cut-off), up to cutoff_at.
    opens_at = models.DateTimeField(_("reports open after"))
    cutoff_at = models.DateTimeField(_("report cut-off"))
    state = models.CharField(_("state"), max_length=10, choices=CycleState.choices, default=CycleState.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The rule set version the ranking of this cycle used (set when it closes).
    rule_set = models.ForeignKey(
        "supervision.RuleSet",
        verbose_name=_("rule set"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cycles",
    )

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["office", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="cycle_office_number"),
            models.UniqueConstraint(fields=["office", "seq"], name="cycle_office_seq"),
            # One open cycle per office: a second tick racing the first cannot open another.
            models.UniqueConstraint(fields=["office"], condition=Q(state="open"), name="cycle_one_open"),
        ]

    def __str__(self) -> str:
        return str(_("Cycle %(number)d (%(start)s – %(end)s)")) % {
            "number": self.number,
            "start": self.starts_on.isoformat(),
            "end": self.ends_on.isoformat(),
        }


class DeadlineReminder(models.Model):
    """A near-due reminder tick sent for one assignment and deadline: at most once each, so a
    tick every minute does not repeat it, and an extended deadline gets its own reminders."""

    assignment = models.ForeignKey(
        "supervision.Assignment", on_delete=models.CASCADE, related_name="deadline_reminders"
    )
    deadline = models.DateField(_("deadline"))
    days_before = models.PositiveSmallIntegerField(_("days before"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "deadline", "days_before"], name="deadline_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} · {self.deadline} − {self.days_before}"
