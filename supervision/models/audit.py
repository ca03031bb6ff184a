"""The append-only audit trail: every state change leaves one row here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The person the actor stood in for (授权代理) when the acting role came from a stand-in
    # (services/roles.py), e.g. a deputy signing for a leader on leave: the action is theirs,
    # taken for the principal. Null for an action on one's own account.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The role and unit the actor acted in: a user may hold several.
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    actor_unit = models.ForeignKey(
        "supervision.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40, db_index=True)
    letter = models.ForeignKey(
        "supervision.Letter", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    assignment = models.ForeignKey(
        "supervision.Assignment", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    from_state = models.CharField(_("from"), max_length=30, blank=True)
    to_state = models.CharField(_("to"), max_length=30, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["assignment", "at"], name="audit_asg_at"),
            models.Index(fields=["letter", "at"], name="audit_letter_at"),
            # The ranking counts rejections and settled returns of a cycle by action and time.
            models.Index(fields=["action", "at"], name="audit_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs) -> None:
        # Append-only: PostgreSQL also refuses UPDATE/DELETE by trigger (migration 0002).
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def actor_label(self) -> str:
        """Who acted, as a timeline names them: "X" or, for a stand-in, "X (for Y)"; "" for the
        system. Select ``actor`` and ``on_behalf_of`` with the rows."""
        if self.actor is None:
            return ""
        if self.on_behalf_of_id is None:
            return self.actor.display_name
        return gettext("%(actor)s (for %(principal)s)") % {
            "actor": self.actor.display_name,
            "principal": self.on_behalf_of.display_name,
        }


# What each audit action means, for timelines. An action not listed shows its code.
ACTION_LABELS = {
    "letter.drafted": _("Letter drafted"),
    "letter.edited": _("Letter edited"),
    "letter.signed": _("Letter signed"),
    "letter.issued": _("Letter issued"),
    "letter.closed": _("Letter completed"),
    "letter.reopened": _("Letter reopened"),
    "letter.withdrawn": _("Letter withdrawn"),
    "letter.attached": _("Attachment added"),
    "letter.detached": _("Attachment removed"),
    "letter.shared": _("Letter shared"),
    "letter.unshared": _("Letter no longer shared"),
    "item.added": _("Item added"),
    "item.removed": _("Item removed"),
    "assignment.issued": _("Issued to the unit"),
    "assignment.claimed": _("Claimed"),
    "assignment.unclaimed": _("Claim released"),
    "assignment.return_requested": _("Return requested"),
    "assignment.returned": _("Return signed by the unit leader"),
    "assignment.return_refused": _("Return refused by the unit leader"),
    "assignment.reassigned": _("Reassigned to another unit"),
    "assignment.reissued": _("Kept with the unit"),
    "assignment.started": _("Work started"),
    "assignment.reported": _("Progress reported"),
    "assignment.report_amended": _("This cycle's progress report amended"),
    "assignment.reports_merged": _("Reports sent twice in one cycle merged into the latest"),
    "assignment.completion_submitted": _("Completion reported"),
    "assignment.completion_signed": _("Completion signed by the unit leader"),
    "assignment.completion_refused": _("Completion report sent back by the unit leader"),
    "assignment.verified": _("Verified"),
    "assignment.rejected": _("Verification failed"),
    "assignment.closed": _("Written off"),
    "assignment.reopened": _("Reopened"),
    "assignment.withdrawn": _("Withdrawn with its letter"),
    "assignment.deadline_followed": _("Deadline moved with the lead unit's extension"),
    "assignment.closed_with_lead": _("Closed with the lead unit's write-off"),
    "assignment.broken_down": _("Broken down to units below"),
    "assignment.forwarded": _("Forwarded to a unit below"),
    "assignment.handed_down": _("Handed down by the unit above"),
    "extension.requested": _("Extension requested"),
    "extension.signed": _("Extension request signed"),
    "extension.refused": _("Extension request refused by the unit leader"),
    "extension.approved": _("Extension approved"),
    "extension.rejected": _("Extension rejected"),
    "assignment.report_carried": _("Progress carried forward unchanged"),
    "assignment.overdue": _("Found overdue"),
    "assignment.chased": _("Chased by a reminder letter"),
    "assignment.reminded": _("Reminder sent by the office"),
    "cycle.opened": _("Cycle opened"),
    "cycle.closed": _("Cycle closed and ranked"),
    "files.swept": _("Unreferenced stored files deleted"),
    "escalation.named": _("Ranked last: named in the notice"),
    "escalation.interview": _("Ranked last again: put on the interview list"),
    "escalation.referral": _("Ranked last repeatedly: referred for accountability"),
    "ruleset.revised": _("Scoring rules revised"),
    "notice.drafted": _("Notice drafted"),
    "notice.edited": _("Notice edited"),
    "notice.signed": _("Notice signed"),
    "notice.published": _("Notice published"),
    # Document routing (送签 / 退回修改) and items changed in place
    "letter.sent": _("Sent for signature"),
    "letter.returned": _("Returned for revision"),
    "notice.sent": _("Sent for signature"),
    "notice.returned": _("Returned for revision"),
    "item.edited": _("Item changed"),
    # Stand-ins (授权代理) and one-person units (四眼原则的例外)
    "stand_in.created": _("Stand-in named"),
    "stand_in.ended": _("Stand-in ended early"),
    "unit.one_person_set": _("Marked as a one-person unit"),
    "unit.one_person_cleared": _("No longer a one-person unit"),
    # Messages leaving the app, background jobs and API tokens
    "channel.created": _("Message channel added"),
    "channel.updated": _("Message channel changed"),
    "channel.disabled": _("Message channel turned off"),
    "channel.enabled": _("Message channel turned on"),
    "channel.deleted": _("Message channel deleted"),
    "channel.tested": _("Test message sent"),
    "delivery.retried": _("Message sent again"),
    "deliveries.retried": _("Messages sent again"),
    "message_preference.updated": _("Message settings changed"),
    "job.retried": _("Background job retried"),
    "jobs.pruned": _("Expired background job files deleted"),
    "api_token.created": _("API token created"),
    # Keeping what was issued, and moving in (单位通讯录)
    "letter.document_stored": _("Issued letter kept as a PDF"),
    "notice.document_stored": _("Published notice kept as a PDF"),
    "unit.created": _("Unit created"),
    "account.created": _("Account created with a one-time password"),
    "membership.added": _("Role given"),
    "directory.imported": _("Unit directory imported"),
    "account.password_chosen": _("Own password chosen"),
    "account.one_time_password_reset": _("One-time password issued again"),
    "api_token.revoked": _("API token revoked"),
}
