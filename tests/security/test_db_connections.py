"""Database connections stay bounded under ASGI load (finding 11).

Under daphne each request's sync code runs in a thread of its own; with persistent connections
per thread (the old CONN_MAX_AGE=60) sixteen busy clients drove PostgreSQL to "too many clients".
A real daphne process serves 16 threads of back-to-back signed-in page requests for a bounded
time; the test samples the database's backend count throughout.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from bench.sockets import _server_env
from tests.servers import start_daphne

THREADS = 16
SECONDS = 10
POOL_MAX = 6

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="counts PostgreSQL backends"),
    pytest.mark.django_db(transaction=True),
]


def backends() -> int:
    # Every connection to the test database but the one asking.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def server():
    env = {
        **_server_env(),
        "DB_POOL_MIN": "2",
        "DB_POOL_MAX": str(POOL_MAX),
        # Plain HTTP on the loopback: no redirect to HTTPS, cookies sent without TLS.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "ERROR",
    }
    with start_daphne(env=env) as (_proc, url):
        yield url


def test_sixteen_busy_clients_are_served_by_a_bounded_pool(server, client, world):
    client.force_login(world.clerk)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS
    before = backends()

    def hammer() -> None:
        while time.monotonic() < stop:
            request = urllib.request.Request(server + "/letters/", headers={"Cookie": cookie})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=hammer) for _ in range(THREADS)]
    for t in threads:
        t.start()
    peak = 0
    while any(t.is_alive() for t in threads):
        peak = max(peak, backends())
        time.sleep(0.1)
    for t in threads:
        t.join(timeout=60)
    time.sleep(1)
    after = backends()
    total = sum(statuses.values())
    print(
        f"\n{total} requests in {SECONDS} s from {THREADS} threads: {statuses}; backends before {before}, "
        f"peak {peak}, after {after}"
    )
    assert statuses.get(200, 0) == total > THREADS, statuses
    # The server's pool, and nothing else: never one connection per thread.
    assert peak <= POOL_MAX + before
    assert after <= POOL_MAX + before
