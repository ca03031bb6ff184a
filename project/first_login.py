"""The first sign-in with a one-time password: until its owner has chosen a password of their own
(``User.must_change_password``, set by the directory import), every page leads to the page where
they choose it (``first_password``), and back to where they were going once it is chosen.

Let through: that page itself, signing out, the language switch, static files, and the API's
token requests (a token request carries no session, so it is anonymous here and never stopped;
the accounts the flag is set on have made no token yet anyway). Runs after the authentication
middleware (it reads ``request.user``) and after the idle timeout (an idle session is signed
out first, not sent to change its password).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

PAGE = "first_password"
# URL names a person with a one-time password may still open.
ALLOWED = (PAGE, "logout", "set_language", "login")


@cache
def _allowed_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in ALLOWED)


def _allowed(path: str) -> bool:
    static = settings.STATIC_URL or "/static/"
    return path in _allowed_paths() or path.startswith(static if static.startswith("/") else "/" + static)


class FirstLoginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not _allowed(request.path_info)
        ):
            target = reverse(PAGE)
            if request.method == "GET" and request.path_info != "/":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)
