from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.cycles import use_calendar
from tests.offices.province import build_province


@pytest.fixture
def province(world, settings) -> SimpleNamespace:
    """The world under a province office, beside a second city office, on the test calendar."""
    use_calendar(settings)
    return build_province(world)


@pytest.fixture
def province_tree(hierarchy, settings) -> SimpleNamespace:
    """The same with the townships below the world's counties (tests/factories.py build_hierarchy)."""
    use_calendar(settings)
    return build_province(hierarchy)
