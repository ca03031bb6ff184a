"""Shared fixtures: one office, two counties and a department, one user per role in each, and
an outsider with no role anywhere (built by tests/factories.py); a letter issued to them; the
same people after two closed cycles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from supervision.models import Assignment
from tests.cycles import two_closed_cycles, use_calendar

# The factories used to live here: the "x as x" names are kept for the tests that import them from here.
from tests.factories import FUTURE as FUTURE
from tests.factories import build_hierarchy, build_world, issue_letter
from tests.factories import make_user as make_user


@pytest.fixture(autouse=True)
def _english_messages():
    # Assertions read the English source strings; the zh_Hans catalog is tested on its own.
    with translation.override("en"):
        yield


@pytest.fixture
def world(db) -> SimpleNamespace:
    return build_world()


@pytest.fixture
def hierarchy(world) -> SimpleNamespace:
    """The world with units below its counties (tests/factories.py build_hierarchy)."""
    return build_hierarchy(world)


@pytest.fixture
def letter(world):
    return issue_letter(world)


@pytest.fixture
def assignment_a(world, letter) -> Assignment:
    """An issued assignment of unit A."""
    return Assignment.objects.filter(letter=letter, unit=world.unit_a).order_by("item__seq").first()


@pytest.fixture
def ranked(world, settings) -> SimpleNamespace:
    """The world after two closed cycles on the test calendar (tests.cycles.two_closed_cycles)."""
    use_calendar(settings)
    return two_closed_cycles(world)


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def pytest_collection_modifyitems(config, items):
    # The pages look and behave the same whatever the database: browser tests run in the SQLite
    # pass, and in the PostgreSQL pass only the walkthroughs that cross the whole stack (issue to
    # write-off, moving in, messages leaving the system, live pushes over Redis). That keeps the
    # two passes of `make test`, run side by side, within the time the suite is given.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="browser test: runs in the SQLite pass (mark every_database to run it here too)")
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("every_database"):
            item.add_marker(skip)


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE']}"


def pytest_configure(config):
    # Hashing with PBKDF2 costs ~0.3 s a user; the fixtures create a dozen per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
