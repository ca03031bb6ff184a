"""Weak passwords are refused, and the demo (whose accounts share one published password) does
not load on a production configuration unless asked to in so many words."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from demo.units import DEMO_PASSWORD
from supervision.models import User


@pytest.mark.parametrize(
    "password",
    [
        DEMO_PASSWORD,
        "demo1234",
        "qwer1234",
        "a1b2c3d4",
        "password1",
        "admin123",
        "Admin@123",
        "zhang123",
        "wang2024",
        "liu_19900101",
        "abcabcabcabc",
        "12121212",
        "xyxyxyxyxy",
        "aaaabbbbaaaa",
    ],
)
def test_common_and_repeated_passwords_are_refused(password, db):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert refused.value.messages  # a message for the person choosing it


@pytest.mark.parametrize("password", ["Lüliang-dc-47q!", "correct horse battery", "xian9-T7pq-fall"])
def test_strong_passwords_pass(password, db):
    validate_password(password)


def test_the_refusal_says_why_in_the_office_language(db):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_password("abababababab")
    assert "different characters" in " ".join(refused.value.messages)


def test_the_demo_refuses_a_production_configuration(settings, db):
    settings.DEVELOPMENT_MODE = False
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("load_demo", "--scale", "0.1", stdout=out, stderr=err)
    assert not User.objects.exists()


def test_the_demo_loads_in_production_only_when_forced_and_says_so_loudly(settings, db, monkeypatch):
    settings.DEVELOPMENT_MODE = False
    loaded = []
    monkeypatch.setattr("demo.management.commands.load_demo.load_demo", lambda **kw: loaded.append(kw) or None)
    out, err = StringIO(), StringIO()
    call_command("load_demo", "--allow-production", "--scale", "0.1", stdout=out, stderr=err)
    assert loaded and "WARNING" in err.getvalue() and "published password" in err.getvalue()


def test_the_demo_loads_quietly_in_development(settings, db, monkeypatch):
    settings.DEVELOPMENT_MODE = True
    loaded = []
    monkeypatch.setattr("demo.management.commands.load_demo.load_demo", lambda **kw: loaded.append(kw) or None)
    err = StringIO()
    call_command("load_demo", "--scale", "0.1", stdout=StringIO(), stderr=err)
    assert loaded and err.getvalue() == ""
