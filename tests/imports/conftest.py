"""Fixtures of the import tests: the seed letter's units and a way to parse a sheet with them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from notices.directory import UnitDirectory
from notices.importer import ParsedSheet, parse_workbook
from tests.imports.sheets import TODAY, YEAR, seed_units, xlsx


@pytest.fixture
def seed(db) -> UnitDirectory:
    """The 13 county bureaus of 吕梁 and the five sections of the bureau, as a directory."""
    return seed_units()


@pytest.fixture
def parse(seed) -> Callable[..., ParsedSheet]:
    """Parse a sheet (rows, a Sheet, a Book, or a file) against the seed units."""

    def run(content, **kwargs) -> ParsedSheet:
        file = content if hasattr(content, "read") else xlsx(content)
        kwargs.setdefault("campaign_year", YEAR)
        kwargs.setdefault("today", TODAY)
        kwargs.setdefault("directory", seed)
        return parse_workbook(file, **kwargs)

    return run
