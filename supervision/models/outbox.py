"""The outbox (消息外发): what leaves the app, written in the transaction of the change that caused it.

A transition writes one ``OutboxEvent`` beside its inbox rows. The worker expands an event into
``Delivery`` rows, one per channel that should carry it (a person's e-mail, a unit's 企业微信 or
钉钉 group robot, an integration's webhook), and sends each, recording every try as a
``DeliveryAttempt``. A crash after the commit loses nothing: the event row is there, and the
worker's sweep picks up whatever was not expanded or not sent.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WEBHOOK = "webhook", _("Webhook")


class OutboxEvent(models.Model):
    # The event id integrations see (payload "id"): stable across retries and channels.
    uuid = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    # Integration event name, e.g. "assignment.reminded" (supervision/events.py lists them).
    name = models.CharField(_("event"), max_length=60)
    # The inbox verb of the notification that went with it, and its text.
    verb = models.CharField(_("kind"), max_length=40)
    text = models.CharField(_("text"), max_length=300)
    payload = models.JSONField(_("payload"), default=dict)
    letter = models.ForeignKey("supervision.Letter", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(
        "supervision.Assignment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    notice = models.ForeignKey("supervision.Notice", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The units the event concerns (their group robots get it), and the people told in the inbox
    # (their e-mail, by their preferences). Ids, read by the worker when it expands the event.
    unit_ids = models.JSONField(_("units"), default=list)
    recipient_ids = models.JSONField(_("recipients"), default=list)
    # The office's urgent reminders go out in quiet hours too.
    urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField(_("created at"))
    # Set once the worker has written the event's deliveries.
    expanded_at = models.DateTimeField(_("expanded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing event")
        verbose_name_plural = _("outgoing events")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's sweep: events not yet expanded.
            models.Index(fields=["created_at"], condition=Q(expanded_at__isnull=True), name="outbox_unexpanded"),
            # The API's event feed, newest first.
            models.Index(fields=["-created_at", "-id"], name="outbox_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.text}"


class Channel(models.Model):
    """Where a unit's (or the office's) messages go: a group robot or a webhook.

    The webhook key / access token and the signing secret are stored encrypted
    (supervision/crypto.py) and never shown again after saving."""

    kind = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    # The unit whose work group this is; None: an integration of the office that gets every event.
    unit = models.ForeignKey(
        "supervision.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    # The address without its secret part (the key or access token is kept encrypted apart).
    url = models.URLField(_("address"), max_length=500)
    key_encrypted = models.TextField(_("key (encrypted)"), blank=True, default="")
    secret_encrypted = models.TextField(_("signing secret (encrypted)"), blank=True, default="")
    # Event names this channel carries; empty: the channel kind's defaults (supervision/events.py).
    events = models.JSONField(_("events"), default=list, blank=True)
    # Hold messages at night and on rest days (urgent reminders still go).
    quiet_hours = models.BooleanField(_("quiet hours"), default=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    last_ok_at = models.DateTimeField(_("last delivered at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("message channel")
        verbose_name_plural = _("message channels")
        ordering = ["unit_id", "kind", "id"]
        indexes = [models.Index(fields=["unit", "enabled"], name="channel_unit_enabled")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    HELD = "held", _("Held for quiet hours")
    DIGEST = "digest", _("Waiting for the daily digest")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Delivered")
    DIGESTED = "digested", _("Sent in a digest")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    # Sent as the delivery id (webhook header, e-mail Message-ID): a receiver can drop a repeat.
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # E-mail: the person it is addressed to.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Not before this moment: the next retry, or the end of quiet hours.
    due_at = models.DateTimeField(_("due at"))
    # A worker sending it holds it until then; past it, another worker may take it over (the
    # first one died mid-send).
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # A message folded into a digest points at the digest's own delivery.
    digest = models.ForeignKey(
        "self", verbose_name=_("digest"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Expanding an event twice (a retried job) never doubles a message.
            models.UniqueConstraint(
                fields=["event", "channel"], condition=Q(channel__isnull=False), name="delivery_once_per_channel"
            ),
            models.UniqueConstraint(
                fields=["event", "user", "kind"], condition=Q(user__isnull=False), name="delivery_once_per_person"
            ),
        ]
        indexes = [
            # The worker: what is due now.
            models.Index(fields=["status", "due_at"], name="delivery_due"),
            models.Index(fields=["user", "status"], name="delivery_user_status"),
            models.Index(fields=["channel", "-created_at"], name="delivery_channel_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.event_id} · {self.status}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    ok = models.BooleanField(_("delivered"), default=False)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    # Never holds a secret: senders strip keys and tokens from what they record.
    error = models.CharField(_("error"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery_id", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} · {self.started_at:%Y-%m-%d %H:%M:%S} · {'ok' if self.ok else self.error}"


class MessagePreference(models.Model):
    """What a person wants by e-mail, and when. Absent: the defaults (supervision/events.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="message_preference"
    )
    email = models.BooleanField(_("e-mail"), default=True)
    # Event groups wanted by e-mail (supervision/events.py); empty: none.
    events = models.JSONField(_("events"), default=list, blank=True)
    # One e-mail a day with everything, instead of one per event.
    digest = models.BooleanField(_("daily digest"), default=False)
    quiet_start = models.TimeField(_("quiet from"), default=dt.time(21, 0))
    quiet_end = models.TimeField(_("quiet until"), default=dt.time(8, 0))
    quiet_rest_days = models.BooleanField(_("quiet on rest days"), default=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("message preference")
        verbose_name_plural = _("message preferences")

    def __str__(self) -> str:
        return str(self.user)
