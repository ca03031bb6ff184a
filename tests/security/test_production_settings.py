"""Production is the default, and a production start with unsafe settings is refused."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import sys as _sys
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.views.debug import technical_500_response

ROOT = Path(__file__).resolve().parents[2]
STRONG = secrets.token_urlsafe(60)


def settings_in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess:
    """Load the project's settings in a fresh interpreter with exactly the given variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "BEHIND_PROXY", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; " + code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "project.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_debug_in_the_environment_the_site_runs_in_production_mode(tmp_path):
    result = settings_in_subprocess(
        "print(settings.DEBUG, settings.ALLOWED_HOSTS)", SECRET_KEY=STRONG, VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 1) == ["False", "['127.0.0.1', 'localhost']\n"]


def test_the_proxy_headers_are_not_trusted_unless_said_so(tmp_path):
    code = "print(settings.BEHIND_PROXY, getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    off = settings_in_subprocess(code, SECRET_KEY=STRONG, VAR_DIR=str(tmp_path))
    on = settings_in_subprocess(code, SECRET_KEY=STRONG, VAR_DIR=str(tmp_path), BEHIND_PROXY="1")
    assert off.stdout.strip() == "False None", off.stderr
    assert on.stdout.strip() == "True ('HTTP_X_FORWARDED_PROTO', 'https')", on.stderr


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("short-but-random-" + secrets.token_hex(8), "characters long; at least 50"),
        ("ab" * 40, "fewer than 5 different characters"),
        ("django-insecure-" + secrets.token_urlsafe(50), "placeholder"),
        ("change-me-" + secrets.token_urlsafe(50), "placeholder"),
        ("CHANGEME" + secrets.token_urlsafe(50), "placeholder"),
        ("secret" + secrets.token_urlsafe(50), "placeholder"),
    ],
)
def test_a_weak_secret_key_refuses_to_start_in_production(tmp_path, key, reason):
    result = settings_in_subprocess("print('started')", SECRET_KEY=key, VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY is too weak" in result.stderr
    assert reason in result.stderr
    # The message says how to make a good one.
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_a_weak_secret_key_is_fine_in_development(tmp_path):
    result = settings_in_subprocess("print('started')", SECRET_KEY="dev", DEBUG="1", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr


def render_debug_500(request) -> str:
    # Raised and caught here, so the traceback shows this frame only, not the test's own
    # source and local variables, which hold the passwords.
    try:
        raise ValueError("boom")
    except ValueError:
        return technical_500_response(request, *_sys.exc_info()).content.decode()


def test_the_error_page_masks_passwords_inside_connection_urls(settings):
    # What a developer sees on the debug page, and what error e-mails to ADMINS contain.
    settings.DATABASE_URL = "postgres://supervision:Db-pw-4417@db.internal:5432/supervision"
    settings.REDIS_URL = "redis://:Redis-pw-8812@cache.internal:6379/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "redis://:Redis-pw-8812@cache.internal:6379/0",
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"hosts": ["redis://user:Layer-pw-3309@cache.internal:6379/1"]},
        }
    }
    settings.SENTRY_DSN = "https://key:Dsn-pw-1234@errors.internal/1"
    html = render_debug_500(RequestFactory().get("/", HTTP_X_UPSTREAM="http://proxy:Hdr-pw-7777@proxy.internal/"))
    for password in ("Db-pw-4417", "Redis-pw-8812", "Layer-pw-3309", "Dsn-pw-1234", "Hdr-pw-7777"):
        assert password not in html
    # Still useful for debugging: a URL inside another setting keeps its host.
    assert "redis://:********************@cache.internal:6379/0" in html


def test_masking_keeps_urls_without_credentials():
    from project.error_reports import mask_url_credentials

    assert mask_url_credentials("see https://example.org/a:b@c") == "see https://example.org/a:b@c"
    assert mask_url_credentials("postgres://u:p@h/db and redis://:q@r/0") == (
        "postgres://u:********************@h/db and redis://:********************@r/0"
    )
