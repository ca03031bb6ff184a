"""The first sign-in's own password (首次登录修改密码): the page ``project.first_login`` sends a
person with a one-time password to, until they have chosen their own.

Django's PasswordChangeForm: the one-time password once more (so that a session left open is not
enough to take the account over), then the new one twice, checked by the project's validators;
``account_password_choose`` saves it, clears the flag and records it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from supervision.services import DomainError
from supervision.services.onboarding import Secret, account_password_choose


class FirstPasswordForm(PasswordChangeForm):
    """The old password is the one-time password of the printed sheet."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = gettext_lazy("One-time password")
        self.fields["new_password1"].label = gettext_lazy("Your new password")
        self.fields["new_password2"].label = gettext_lazy("Your new password again")


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def first_password(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = _next(request)
    if not user.must_change_password:
        return HttpResponseRedirect(target or resolve_url("home"))
    form = FirstPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # Masked in any error report's local variables, like the POST fields above.
            account_password_choose(actor=user, password=Secret(form.cleaned_data["new_password1"]))
        except DomainError as exc:
            form.add_error("new_password1", exc.message)
        else:
            # The session stays signed in with the new password's hash.
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password is set. Use it from now on."))
            return HttpResponseRedirect(target or resolve_url("home"))
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/first_password.html", {"form": form, "next": target}, status=status)
