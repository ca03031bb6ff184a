"""Who is calling: the browser session or a personal token (``Authorization: Bearer sv_…``).

A token is looked up by the SHA-256 of what was sent (only the hash is stored), must be neither
revoked nor expired, and acts as its owner. A read-only token may only read."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions, throttling

from supervision import clock
from supervision.models import ApiToken, TokenScope

TOKEN_PREFIX = "sv_"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header must be “Bearer <token>”."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = (
            ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw), revoked_at__isnull=True).first()
        )
        now = clock.now()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("The token has expired."))
        # At most one write a minute per token: the last use is a hint, not an audit.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class TokenScopePermission(permissions.BasePermission):
    """Signed in (session or token); a read-only token reads only."""

    message = _("This token may only read.")

    def has_permission(self, request, view) -> bool:
        if request.user is None or not request.user.is_authenticated:
            return False
        token = request.auth
        if isinstance(token, ApiToken) and token.scope != TokenScope.WRITE:
            return request.method in permissions.SAFE_METHODS
        return True


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (or per signed-in user for the session), counted in the shared cache."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"t{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
