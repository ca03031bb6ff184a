"""A small run of the live-push benchmark (bench/sockets.py): real daphne processes, real websocket
clients with session cookies, a notice published through the service. Checks that it works and
counts right; the figures themselves belong in BENCHMARKS.md, not here."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from bench import sockets
from supervision.models import Notice, Notification


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not (settings.REDIS_URL and connection.vendor == "postgresql"),
    reason="the server processes need REDIS_URL and a PostgreSQL database they can reach",
)
def test_every_socket_of_two_servers_hears_of_each_published_notice():
    result = sockets.run(sockets=20, servers=2, rounds=2, timeout=20, demo=False, compare=True)
    assert result is not None
    assert (result.sockets, result.servers, result.units, len(result.rounds)) == (20, 2, 10, 2)
    assert result.missing == 0
    for r in result.rounds:
        assert len(r.latencies_s) == 20 and r.per_server == [10, 10]
        assert 0 < r.latencies_s[0] <= r.last_s
    # The comparison with channels-redis's default layer ran too, on servers of its own.
    assert [len(r.latencies_s) for r in result.core] == [20, 20]
    assert "`RedisChannelLayer`" in "\n".join(sockets.report_section(result, 5))
    # One inbox row per member and notice: the pushes are hints of rows that are there.
    assert result.inbox_rows == 20 * 2
    published = Notice.objects.filter(state="published").count()
    assert Notification.objects.filter(verb="notice_published").count() == 20 * published
    p50, p95, last_median, last_worst = sockets.summary(result)
    assert 0 < p50 <= p95 <= last_worst and last_median <= last_worst


def test_without_redis_the_section_is_skipped(db, settings, capsys):
    settings.REDIS_URL = ""
    assert sockets.run(sockets=20) is None
    assert "skipped" in capsys.readouterr().out
