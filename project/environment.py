"""Reading the environment for the settings module: typed variables, and the secret key (refused
when weak in production, generated once and kept under ``var/`` in development)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# Values copied from examples and templates instead of generated.
_PLACEHOLDER_SECRETS = ("change-me", "changeme", "change_me", "secret", "your-secret-key", "django-insecure")
_HOW_TO_GENERATE = (
    "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))' "
    "and set it in the environment of every server process and command."
)


def _weak_secret(key: str) -> str | None:
    """Why ``key`` is too weak to sign sessions with (Django's own deploy-check rules and more), or None."""
    if len(key) < 50:
        return f"it is {len(key)} characters long; at least 50 are needed"
    if len(set(key)) < 5:
        return "it uses fewer than 5 different characters"
    if key.lower().startswith(_PLACEHOLDER_SECRETS):
        return "it is a placeholder copied from an example, not a generated key"
    return None


def secret_key(key: str, *, debug: bool, var_dir: Path) -> str:
    """The key to sign with, from the ``SECRET_KEY`` value the settings read."""
    if not debug:
        # A production site with a guessable key lets anyone forge sessions and password-reset
        # links: refuse to start rather than warn in `check --deploy`, which nobody may run.
        if not key:
            raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0. " + _HOW_TO_GENERATE)
        if reason := _weak_secret(key):
            raise ImproperlyConfigured(f"SECRET_KEY is too weak to run with DEBUG=0: {reason}. " + _HOW_TO_GENERATE)
    if key:
        return key
    # Development: generate once and keep it, so sessions survive restarts.
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()
