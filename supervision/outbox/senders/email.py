"""E-mail to a person, through Django's mail backend (SMTP in production, the console in
development, an in-memory outbox in tests). The delivery id is the Message-ID, so a mail system
that keeps Message-IDs sees a resent message as the same one."""

from __future__ import annotations

import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.translation import gettext as _

from supervision.models import Delivery

from ..messages import Facts, digest_bodies, digest_subject, email_bodies, email_subject, facts_of
from ..write import DIGEST
from .base import Outcome, Transmit, failed, redact


def _message_id(delivery: Delivery) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{delivery.uuid}@{domain}>"


def email_message(delivery: Delivery) -> EmailMultiAlternatives | None:
    """The e-mail of a delivery, or None when its person has no address (any more)."""
    user = delivery.user
    if user is None or not user.is_active or not user.email:
        return None
    event = delivery.event
    if event.name == DIGEST:
        folded = (
            Delivery.objects.filter(digest=delivery)
            .select_related("event__assignment__unit", "event__assignment__item", "event__assignment__letter")
            .select_related("event__letter")
            .order_by("event__created_at", "id")
        )
        items: list[Facts] = [facts_of(d.event) for d in folded]
        subject = digest_subject(len(items))
        plain, html = digest_bodies(items)
    else:
        facts = facts_of(event)
        subject = email_subject(facts)
        plain, html = email_bodies(facts)
    message = EmailMultiAlternatives(
        subject=subject,
        body=plain,
        to=[user.email],
        headers={
            "Message-ID": _message_id(delivery),
            "X-Supervision-Event": event.name,
            "X-Supervision-Delivery": str(delivery.uuid),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def email_prepare(delivery: Delivery) -> Transmit:
    message = email_message(delivery)
    if message is None:
        return failed(_("The recipient has no e-mail address."))

    def transmit() -> Outcome:
        try:
            message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            return Outcome(False, error=redact(f"{type(exc).__name__}: {exc}", [settings.EMAIL_HOST_PASSWORD]))
        except ValueError as exc:
            # The message itself is refused before any server sees it (BadHeaderError, a malformed
            # address): another try would build the same message, so it fails at once.
            return Outcome(False, error=redact(f"{type(exc).__name__}: {exc}"), permanent=True)
        return Outcome(True)

    return transmit
