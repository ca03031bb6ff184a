"""A person's own API tokens, for their token page: never anyone else's, and never the hash."""

from __future__ import annotations

from django.db.models import QuerySet

from supervision.models import ApiToken, User

# The page lists this many, the newest first (a person holds at most 20 live ones).
SHOWN = 100


def tokens_of(user: User) -> QuerySet[ApiToken]:
    if not (user.is_authenticated and user.is_active):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=user.pk).defer("key_hash").order_by("-created_at", "-id")[:SHOWN]
