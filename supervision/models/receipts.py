"""Read receipts (已阅): when each member of a receiving unit first opened an issued letter or a
published notice, on its page or as its PDF. One row per person and document, written once and
never updated: later visits change nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .units import Unit


class ReadReceipt(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.PROTECT, related_name="+"
    )
    # The receiving unit the reader opened it as a member of: the office's page lists readers by
    # unit as they were when they read, whoever moves on later.
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    letter = models.ForeignKey(
        "supervision.Letter", null=True, blank=True, on_delete=models.CASCADE, related_name="receipts"
    )
    notice = models.ForeignKey(
        "supervision.Notice", null=True, blank=True, on_delete=models.CASCADE, related_name="receipts"
    )
    opened_at = models.DateTimeField(_("first opened at"))

    class Meta:
        verbose_name = _("read receipt")
        verbose_name_plural = _("read receipts")
        ordering = ["opened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(letter__isnull=False, notice__isnull=True) | Q(letter__isnull=True, notice__isnull=False),
                name="receipt_one_document",
            ),
            # The first opening only: a second insert for the same person and document is refused
            # here, whichever request gets there first. Also what the page's lookups use.
            models.UniqueConstraint(
                fields=["letter", "user"], condition=Q(letter__isnull=False), name="receipt_letter_user"
            ),
            models.UniqueConstraint(
                fields=["notice", "user"], condition=Q(notice__isnull=False), name="receipt_notice_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.opened_at:%Y-%m-%d %H:%M}"
