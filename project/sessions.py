"""Signing out a session left idle, and ending every session a working day after sign-in.

A session lives at most ``SESSION_COOKIE_AGE`` (12 hours by default: a working day, so nobody
signs in twice a day, and a stolen cookie is worth little the next morning), counted from the
sign-in however busy the session is. Within that, a screen left signed in on a shared office
computer is closed after ``SESSION_IDLE_TIMEOUT`` seconds without a request. Websocket pushes are
not requests and do not count as activity; the inbox socket applies the same rule
(:func:`is_idle`) and closes itself when its session has ended.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

LAST_ACTIVITY_KEY = "last_activity"
# Where Django keeps a session's own expiry (SessionBase.set_expiry): an ISO date-time once fixed.
EXPIRY_KEY = "_session_expiry"

# How stale the stored stamp may get before it is written again. Writing it on every request
# would save the session row (a database write under PostgreSQL) on every page, poll and asset
# request; a minute of slack on a timeout counted in hours costs nothing.
STAMP_RESOLUTION_SECONDS = 60


def fix_expiry(session: Any) -> None:
    """End the session ``SESSION_COOKIE_AGE`` from now, whatever happens in between.

    By default Django slides the expiry to now + SESSION_COOKIE_AGE on every session write, and
    the activity stamp writes the session every few minutes of use: a session (or a stolen cookie)
    used now and then would never end. A fixed date-time is kept as it is by every later write, and
    the cookie's Max-Age is the time left, so the browser drops it at the same moment.
    """
    session.set_expiry(timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE))


def stamp_activity_at_login(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Count idleness and the session's lifetime from the sign-in.

    Done in the session write that sign-in makes anyway; without it the first page after signing
    in would save the session a second time.
    """
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())
        fix_expiry(request.session)


def idle_deadline(session: Mapping[str, Any]) -> float | None:
    """When the session counts as idle unless a request comes first; None if it never does."""
    timeout = settings.SESSION_IDLE_TIMEOUT
    last = session.get(LAST_ACTIVITY_KEY)
    if not timeout or not isinstance(last, int):
        return None
    return last + timeout


def is_idle(session: Mapping[str, Any], now: float | None = None) -> bool:
    """True if the session's last request is older than ``SESSION_IDLE_TIMEOUT`` seconds (0: never).

    The one rule for pages (:class:`IdleTimeoutMiddleware`) and the inbox socket
    (:func:`socket_session_good_until`).
    """
    deadline = idle_deadline(session)
    return deadline is not None and (time.time() if now is None else now) > deadline


def socket_session_good_until(session_key: str | None, user_pk: Any) -> float | None:
    """Until when a websocket opened with this session may go on serving ``user_pk``; None: no longer.

    Read from the session store, not from the socket's copy made at the handshake: requests on
    other pages move the activity stamp, and signing out (here or in another tab) deletes the
    session. None when the session is gone or expired, belongs to someone else, or is idle; else
    the moment (seconds since the epoch) it turns idle or expires, whichever comes first, before
    which the socket need not ask again to know it is still good.
    """
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()  # empty when missing or expired
    if data.get(SESSION_KEY) != str(user_pk) or is_idle(data):
        return None
    ends = store.get_expiry_date(expiry=data.get(EXPIRY_KEY)).timestamp()
    deadline = idle_deadline(data)
    return ends if deadline is None else min(ends, deadline)


def _back_after_sign_in(request: HttpRequest) -> str:
    """Where to go once signed in again.

    A page (GET/HEAD) is simply asked for again. A form submission is not: its URL may accept only
    POST, and the form's data is gone anyway, so the user goes back to the page the form was on
    when that page is one of ours, or home.
    """
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if parts.path.startswith("/"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class IdleTimeoutMiddleware:
    """Sign out a user whose last request is older than ``SESSION_IDLE_TIMEOUT`` seconds (0: never)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            session = request.session
            now = int(time.time())
            if is_idle(session, now):
                back = _back_after_sign_in(request)
                logout(request)
                minutes = settings.SESSION_IDLE_TIMEOUT // 60
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity. Please sign in again.")
                    % {"minutes": minutes},
                )
                return redirect_to_login(back)
            if EXPIRY_KEY not in session:
                # Signed in before sessions had a fixed end: they would slide on for ever; give
                # them one now.
                fix_expiry(session)
            last = session.get(LAST_ACTIVITY_KEY)
            if settings.SESSION_IDLE_TIMEOUT and (not isinstance(last, int) or now - last >= STAMP_RESOLUTION_SECONDS):
                session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
