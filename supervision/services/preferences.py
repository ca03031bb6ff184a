"""A person's message preferences (消息设置): e-mail on or off, the address, which groups of
events (supervision/events.py GROUPS), one daily digest instead of single e-mails, and quiet
hours. Only the person changes their own; the outbox reads them when it expands an event.

The office's urgent reminders (OutboxEvent.urgent) still come in quiet hours: the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from supervision import clock
from supervision import events as catalog
from supervision.models import MessagePreference, User
from supervision.parsing import clean_text

from .audit import audit_record
from .errors import InvalidInput, NotAllowed

MAX_EMAIL = 254  # User.email


def preference_defaults(user: User) -> MessagePreference:
    """The preference of someone who never saved one (unsaved): e-mail on, the default groups."""
    return MessagePreference(
        user=user,
        email=True,
        events=[g.code for g in catalog.GROUPS if g.code in catalog.EMAIL_DEFAULT_GROUPS],
        digest=False,
        quiet_start=dt.time(21, 0),
        quiet_end=dt.time(8, 0),
        quiet_rest_days=True,
        updated_at=clock.now(),
    )


def _groups(raw: Iterable[object] | None) -> list[str]:
    if isinstance(raw, str | bytes) or raw is None:
        raw = [raw] if raw else []
    chosen = {str(v) for v in raw}
    known = {g.code for g in catalog.GROUPS}
    if chosen - known:
        raise InvalidInput(_("Choose the kinds of messages from the list."), field="events")
    return [g.code for g in catalog.GROUPS if g.code in chosen]


def _time(raw: object, field: str) -> dt.time:
    if not isinstance(raw, dt.time):
        raise InvalidInput(_("Give the quiet hours as times of day, e.g. 21:00."), field=field)
    return raw.replace(second=0, microsecond=0, tzinfo=None)


def _address(raw: object) -> str:
    address = clean_text(raw, max_length=MAX_EMAIL + 1)
    if len(address) > MAX_EMAIL:
        raise InvalidInput(_("This e-mail address is too long."), field="email_address")
    if address:
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput(_("Enter a valid e-mail address."), field="email_address") from None
    return address


@transaction.atomic
def preference_update(
    *,
    actor: User,
    email: bool,
    events: Iterable[str] | None,
    digest: bool,
    quiet_start: dt.time,
    quiet_end: dt.time,
    quiet_rest_days: bool,
    email_address: str | None = None,
) -> MessagePreference:
    """Save the actor's own preferences. ``events``: group codes (events.GROUPS). ``email_address``
    (None: leave it) changes the address on the account. Quiet hours may run over midnight
    (21:00–08:00); the same time twice means none."""
    if not (actor.is_authenticated and actor.is_active):
        raise NotAllowed(_("Your account is not active."))
    groups = _groups(events)
    quiet_start, quiet_end = _time(quiet_start, "quiet_start"), _time(quiet_end, "quiet_end")
    # The person's row, locked: two saves at once cannot both create a preference.
    user = User.objects.select_for_update().get(pk=actor.pk)
    address = user.email if email_address is None else _address(email_address)
    if email and not address:
        raise InvalidInput(_("Give your e-mail address to receive messages by e-mail."), field="email_address")
    address_changed = address != user.email
    if address_changed:
        user.email = address
        user.save(update_fields=["email"])
        actor.email = address
    pref = MessagePreference.objects.filter(user_id=user.pk).first() or preference_defaults(user)
    created = pref.pk is None
    new = {
        "email": bool(email),
        "events": groups,
        "digest": bool(digest),
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
        "quiet_rest_days": bool(quiet_rest_days),
    }
    changed = [field for field, value in new.items() if getattr(pref, field) != value]
    if not created and not changed and not address_changed:
        return pref
    for field, value in new.items():
        setattr(pref, field, value)
    pref.updated_at = clock.now()
    pref.save()
    audit_record(
        actor=actor,
        action="message_preference.updated",
        data={
            "email": pref.email,
            "groups": groups,
            "digest": pref.digest,
            "quiet_start": quiet_start.strftime("%H:%M"),
            "quiet_end": quiet_end.strftime("%H:%M"),
            "quiet_rest_days": pref.quiet_rest_days,
            # Whether the address changed, not the address: the trail is no address book.
            "email_address_changed": address_changed,
        },
    )
    return pref
