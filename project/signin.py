"""Sign-in throttling (django-axes): who a failed sign-in counts against, and when that is enough.

Three limits, counted over the cool-off window (``LOGIN_COOLOFF_MINUTES``):

* per account *and* address (``LOGIN_FAILURES_PER_ACCOUNT``, 5): someone guessing one colleague's
  password is stopped after a few tries, while the colleague signing in from their own desk is not
  locked out by it;
* per address (``LOGIN_FAILURES_PER_ADDRESS``, 20): one machine trying many accounts, one password
  each, is stopped too. It is higher because a whole office may share one address behind NAT;
* per account from any address (``LOGIN_FAILURES_PER_USERNAME``, 50): someone with many addresses
  (a botnet, a pool of proxies) cannot try one account's passwords without end either. It is much
  higher than the first limit on purpose: this lockout also stops the account's owner at their own
  desk, and a low one would let anyone lock a colleague out for the cool-off with a few tries.

Both lockouts expire on their own; an administrator lifts one sooner in the admin (Axes → access
attempts: delete the rows, or ``manage.py axes_reset``).

A one-time password (``User.must_change_password``, given by the directory import or issued again
by the office) signs in only for ``ONE_TIME_PASSWORD_DAYS`` after it was given (its audit row, else
the account's ``date_joined``): a sheet of passwords forgotten in a drawer does not open accounts
for ever. Past that the sign-in is refused with a message asking the office for a new one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# The audit actions that give an account a one-time password (services.onboarding).
ONE_TIME_PASSWORD_ACTIONS = ("account.created", "account.one_time_password_reset")


def client_address(request: HttpRequest) -> str | None:
    """The address a sign-in attempt is counted against.

    Behind the reverse proxy (``BEHIND_PROXY``) every request comes from the proxy itself, so the
    client is the right-most X-Forwarded-For entry. The shipped nginx configuration replaces the
    header with the peer it saw (``X-Forwarded-For $remote_addr``), so that is the only entry; a
    proxy that appends instead (``$proxy_add_x_forwarded_for``) also puts its peer right-most, and
    the entries left of it, sent by the client, may be forged. Without a proxy, X-Forwarded-For is
    entirely the client's own words and is ignored.
    """
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter.

    Axes compares one count (the largest over ``AXES_LOCKOUT_PARAMETERS``) with one limit
    (``AXES_FAILURE_LIMIT``, the per-account-and-address one). Here the parameters are
    [account+address, address, account] with limits of their own, so the count reported to axes is
    the account+address count, raised to that limit once the address alone or the account alone
    has reached its own: axes then locks out exactly when any of the three limits is reached.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        per_account_and_address, per_address, per_account = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_address >= settings.LOGIN_FAILURES_PER_ADDRESS or per_account >= settings.LOGIN_FAILURES_PER_USERNAME:
            return max(per_account_and_address, settings.LOGIN_FAILURES_PER_ACCOUNT)
        return per_account_and_address


class SignInThrottleBackend(AxesStandaloneBackend):
    """Axes' backend, except that a sign-in without a request is not throttled but passed on.

    Every sign-in through a page (ours, the admin's) comes with its request and is throttled.
    Code that checks a password without one (a management command, the test client's ``login()``)
    has no client address to count against; axes would raise instead of answering.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> AbstractBaseUser | None:
        if request is None:
            return None
        user = super().authenticate(request, username, password, **kwargs)  # raises when locked out
        if username and password and _expired_one_time_password(username, password):
            messages.error(
                request,
                _("Your one-time password has expired: ask the office for a new one."),
            )
            # Stops the other backends: the password is right, but no longer good for a sign-in.
            raise PermissionDenied
        return user


def one_time_password_issued(user: Any) -> dt.datetime:
    """When ``user``'s current one-time password was given: its newest audit row, else date_joined."""
    from supervision.models import AuditEvent

    issued = (
        AuditEvent.objects.filter(action__in=ONE_TIME_PASSWORD_ACTIONS, data__user=user.pk)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return issued or user.date_joined


def one_time_password_expired(user: Any) -> bool:
    """Whether ``user`` still has a one-time password and it is older than ONE_TIME_PASSWORD_DAYS."""
    if not getattr(user, "must_change_password", False):
        return False
    return timezone.now() - one_time_password_issued(user) > dt.timedelta(days=settings.ONE_TIME_PASSWORD_DAYS)


def _expired_one_time_password(username: str, password: str) -> bool:
    # The right password of an account whose one-time password has expired. Checked only for
    # accounts still on one (a cheap flag first), so other sign-ins cost nothing more.
    model = get_user_model()
    try:
        user = model._default_manager.get_by_natural_key(username)
    except model.DoesNotExist:
        return False
    return one_time_password_expired(user) and user.check_password(password)
