"""Who is calling: the browser session or a personal token (``Authorization: Bearer sv_…``).

A token is looked up by the SHA-256 of what was sent (only the hash is stored), must be neither
revoked nor expired, and acts as its owner. A read-only token may only read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.settings import api_settings

from supervision import clock
from supervision.models import ApiToken, TokenScope
from supervision.services.api_tokens import TOKEN_PREFIX, token_hash

# The longest token worth hashing: ours are 46 characters.
MAX_TOKEN_CHARS = 100


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
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_CHARS:
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
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


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the schema names the token: ``Authorization: Bearer sv_…`` (registered on import)."""

    target_class = TokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (sv_…), created on the API tokens page of one's user menu.",
        }


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

    def get_rate(self) -> str | None:
        # Read when asked, not when the class was defined: a changed setting (API_RATE, a test's
        # override) takes effect without a restart of the import.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"t{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
