"""The biweekly notice (双周通报): built from a closed cycle's ranking, with an opening text the
office edits; drafted by a clerk, signed by a director (never the drafter), then published to
the units. Rendering it as a PDF is the ``notices`` package's business, not the domain's."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.fsm.fields import FSMField

from supervision import clock

from .units import Unit


class NoticeState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    # 送签, as for letters: a named director signs it or returns it to the drafter.
    PENDING_SIGNATURE = "pending_signature", _("Awaiting signature")
    SIGNED = "signed", _("Signed")
    PUBLISHED = "published", _("Published")


class Notice(models.Model):
    cycle = models.ForeignKey(
        "supervision.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="notices"
    )
    office = models.ForeignKey(Unit, verbose_name=_("issuing office"), on_delete=models.PROTECT, related_name="notices")
    title = models.CharField(_("title"), max_length=200)
    opening = models.TextField(_("opening text"), blank=True)
    state = FSMField(_("state"), max_length=20, choices=NoticeState.choices, default=NoticeState.DRAFT, protected=True)
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drafter"), on_delete=models.PROTECT, related_name="notices_drafted"
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices_signed",
    )
    # While awaiting signature: the director it was sent to, who alone signs or returns it.
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent for signature to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices_routed",
    )
    sign_comment = models.TextField(_("signing comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent for signature at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-cycle__number", "-id"]
        constraints = [models.UniqueConstraint(fields=["office", "cycle"], name="notice_office_cycle")]
        indexes = [models.Index(fields=["state", "cycle"], name="notice_state_cycle")]

    def __str__(self) -> str:
        return self.title

    # --- transitions: the services call these under a row lock, after checking roles ----------
    @state.transition(source=NoticeState.DRAFT, target=NoticeState.PENDING_SIGNATURE)
    def send(self) -> None:
        """送签: to the director named in routed_to."""

    @state.transition(source=NoticeState.PENDING_SIGNATURE, target=NoticeState.DRAFT)
    def send_back(self) -> None:
        """退回修改: the director returns it to the drafter, with a reason."""

    # From a draft too: a director may sign a draft put in front of them (当面签发).
    @state.transition(source=[NoticeState.DRAFT, NoticeState.PENDING_SIGNATURE], target=NoticeState.SIGNED)
    def sign(self) -> None:
        """签发"""

    @state.transition(source=NoticeState.SIGNED, target=NoticeState.PUBLISHED)
    def publish(self) -> None:
        """印发: the units see it."""
