"""Reading one's own notifications. Only the recipient marks them; nothing else changes.

Marking read is not audited: the notification's own read_at is the record, and the 2024 rules
on reducing the burden on the grassroots forbid judging anyone by what they opened or when.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Notification, User

from .errors import NotAllowed


def notification_mark_read(*, actor: User, notification: Notification | int) -> Notification:
    pk = notification.pk if isinstance(notification, Notification) else notification
    # Conditional UPDATE: only the recipient's own row, and only the first time it is read.
    Notification.objects.filter(pk=pk, recipient_id=actor.pk, read_at__isnull=True).update(read_at=clock.now())
    found = Notification.objects.filter(pk=pk, recipient_id=actor.pk).first()
    if found is None:
        raise NotAllowed(_("This notification does not exist or is not yours."))
    return found


def notification_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many were unread."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=clock.now())
