"""Signing out a session left idle.

A session lives at most ``SESSION_COOKIE_AGE`` (12 hours by default: a working day, so nobody
signs in twice a day, and a stolen cookie is worth little the next morning). Within that, a screen
left signed in on a shared office computer is closed after ``SESSION_IDLE_TIMEOUT`` seconds without
a request. Websocket pushes are not requests and do not count as activity.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

LAST_ACTIVITY_KEY = "last_activity"

# How stale the stored stamp may get before it is written again. Writing it on every request
# would save the session row (a database write under PostgreSQL) on every page, poll and asset
# request; a minute of slack on a timeout counted in hours costs nothing.
STAMP_RESOLUTION_SECONDS = 60


def stamp_activity_at_login(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Count idleness from the sign-in, in the session write that sign-in makes anyway.

    Without it the first page after signing in would save the session a second time.
    """
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())


class IdleTimeoutMiddleware:
    """Sign out a user whose last request is older than ``SESSION_IDLE_TIMEOUT`` seconds (0: never)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timeout = settings.SESSION_IDLE_TIMEOUT
        if timeout and request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if isinstance(last, int) and now - last > timeout:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity. Please sign in again.")
                    % {"minutes": timeout // 60},
                )
                return redirect_to_login(request.get_full_path())
            if not isinstance(last, int) or now - last >= STAMP_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
