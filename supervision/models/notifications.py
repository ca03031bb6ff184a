"""The persistent inbox: one row per recipient, written by the transition services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    verb = models.CharField(_("kind"), max_length=40)
    text = models.CharField(_("text"), max_length=300)
    letter = models.ForeignKey("supervision.Letter", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(
        "supervision.Assignment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the notification links to (see supervision/links.py): a published notice, or the
    # unit an escalation is about. Kept as references, not URLs, so pages can move.
    notice = models.ForeignKey("supervision.Notice", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("supervision.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_recipient_unread")]

    def __str__(self) -> str:
        return self.text
