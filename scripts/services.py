"""Tell whether the PostgreSQL and Redis used by the second test run are reachable.

Prints ``yes`` or ``no``. Under CI (CI=true) an unreachable service is an error: CI must run
the suite on PostgreSQL and Redis too, not quietly skip them.
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    db_url, redis_url = sys.argv[1], sys.argv[2]
    ok = reachable(db_url, 5432) and reachable(redis_url, 6379)
    if not ok and os.environ.get("CI", "").lower() == "true":
        print("PostgreSQL or Redis is not reachable, and CI must test on both.", file=sys.stderr)
        return 1
    print("yes" if ok else "no")
    return 0


if __name__ == "__main__":
    sys.exit(main())
