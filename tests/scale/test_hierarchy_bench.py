"""A small run of the province-scale benchmark (bench/hierarchy.py) on PostgreSQL, where it is meant
to run: it generates its two data sets, signs in, times every page, ranks and breaks down, and its
BENCHMARKS.md section and history line render. The figures belong in BENCHMARKS.md, not here."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import hierarchy


@pytest.mark.django_db(transaction=True)
def test_a_small_run_measures_every_page_ranking_and_break_down(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the province-scale benchmark runs on PostgreSQL")
    settings.MEDIA_ROOT = tmp_path / "media"
    r = hierarchy.run(assignments=4000, small=2500, requests=2, runs=1, own=False)
    assert 4000 <= r.assignments < 6000  # the last letter goes out whole
    assert [p.key for p in r.pages] == [p.key for p in hierarchy.pages(0, 0)]
    for page in r.pages:
        assert len(page.seconds) == 2 and page.statements > 0
        # The statements of a page do not grow with the data.
        assert page.small_statements == page.statements, page.key
        assert "actual time=" in page.plan and "Execution Time" in page.plan
    assert set(r.ranking) == {"a city (office and its counties)", "the province's cities"}
    assert r.ranking["the province's cities"][0] == 11
    assert len(r.break_down) == 1
    assert r.database_bytes > 0 and r.tables
    section = "\n".join(hierarchy.report_section(r, 12))
    assert section.startswith("## 12. Province scale") and "EXPLAIN" in section
    assert f"province scale {r.assignments:,} assignments" in hierarchy.summary_line(r)
