"""Personal API tokens (个人访问令牌): created and revoked by their owner.

The raw token (``sv_`` and 43 random URL-safe characters) is handed back once, by
``token_create``, and never stored: the database keeps its SHA-256 and its first characters, so
a leaked database does not leak working tokens and the owner can still tell tokens apart. The
API's authentication (workflows/api/auth.py) looks a presented token up by the same hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import ApiToken, TokenScope, User

from .audit import audit_record
from .errors import InvalidInput, InvalidTransition, NotAllowed

TOKEN_PREFIX = "sv_"
# What the lists show of a token: "sv_" and six characters, enough to tell one's tokens apart
# and far too few to guess the rest (the model keeps 12 characters at most).
SHOWN_CHARS = len(TOKEN_PREFIX) + 6
MAX_NAME = 60
# Live tokens a person may hold at once: each is a standing key to their account.
MAX_LIVE_TOKENS = 20
# A token lives at most this long when it is given an expiry.
MAX_LIFETIME = dt.timedelta(days=366 * 2)


def token_hash(raw: str) -> str:
    """What is stored of a token and what a presented one is looked up by."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _name_clean(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Give the token a name, e.g. the system that will use it."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(_("The name is too long: at most %(limit)d characters.") % {"limit": MAX_NAME}, field="name")
    return name


@transaction.atomic
def token_create(*, actor: User, name: str, scope: str, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``actor``, acting as them with their roles and no more than ``scope``
    allows. Returns the token row and the raw token, which is shown once and never again."""
    if not actor.is_authenticated or not actor.is_active:
        raise NotAllowed(_("Sign in to create a token."))
    name = _name_clean(name)
    if scope not in TokenScope.values:
        raise InvalidInput(_("Choose read only or read and write."), field="scope")
    now = clock.now()
    if expires_at is not None:
        if expires_at <= now:
            raise InvalidInput(_("The expiry date must be in the future."), field="expires_at")
        if expires_at - now > MAX_LIFETIME:
            raise InvalidInput(_("A token can be valid for at most two years."), field="expires_at")
    # Locks the owner's row: two creations in flight cannot both pass the count.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    live = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).exclude(expires_at__lte=now).count()
    if live >= MAX_LIVE_TOKENS:
        raise InvalidInput(
            _("You already have %(n)d valid tokens: revoke one you no longer use first.") % {"n": live},
            field="name",
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=raw[:SHOWN_CHARS],
        key_hash=token_hash(raw),
        scope=scope,
        created_at=now,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action="api_token.created",
        data={
            "token": token.pk,
            "name": name,
            "prefix": token.prefix,
            "scope": scope,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """The owner revokes a token: from now on it is refused. Nobody else may, not even the
    office: a token is a person's own key."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or token.user_id != actor.pk:
        # Another person's token and no token look the same.
        raise NotAllowed(_("This token does not exist or is not yours."))
    if token.revoked_at is not None:
        raise InvalidTransition(_("This token is already revoked."))
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api_token.revoked",
        data={"token": token.pk, "name": token.name, "prefix": token.prefix},
    )
    return token
