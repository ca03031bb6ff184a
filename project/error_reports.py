"""What an error report may show of the settings and the request.

Django's default filter hides settings whose *name* looks secret (``PASSWORD``, ``SECRET_KEY``),
but a password also travels inside connection URLs: ``DATABASE_URL``, ``REDIS_URL``, the cache's
``LOCATION`` and the channel layer's host list all hold ``scheme://user:password@host``. Those
reach the debug page and the error e-mails unless masked here.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# The user-info part of a URL with a password: "scheme://user:password@". The password may hold
# anything but "@" and "/" (a literal "@" in a password must be percent-encoded in a URL anyway).
_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]*)@", re.I)


def mask_url_credentials(text: str, substitute: str = "********************") -> str:
    """``text`` with the password of every URL in it replaced by ``substitute``."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{substitute}@", text)


class SettingsMaskingFilter(SafeExceptionReporterFilter):
    # Django's pattern, plus the settings that are connection strings as a whole.
    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|REDIS_URL|DSN", flags=re.I
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        # The parent recurses through dicts, lists and tuples by calling this method, so every
        # string at any depth (a host inside CHANNEL_LAYERS, a LOCATION inside CACHES, a request
        # header) passes here once.
        cleansed = super().cleanse_setting(key, value)
        # Plain strings only: lazy objects that pretend to be strings (the CSP nonce on the
        # request) would be evaluated by the regex, and can hold no configured URL anyway.
        if type(cleansed) is str:
            return mask_url_credentials(cleansed, self.cleansed_substitute)
        return cleansed
