"""The current time as the domain sees it.

Everything that stamps a time goes through ``now()``. ``frozen(at)`` lets the demo loader
replay a campaign's history at the dates it happened, and lets tests cross cycle boundaries,
without patching Django.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator

from django.utils import timezone

_local = threading.local()


def now() -> dt.datetime:
    fixed = getattr(_local, "at", None)
    return fixed if fixed is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Run the block as if it were ``at`` (aware datetime), in this thread only."""
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    previous = getattr(_local, "at", None)
    _local.at = at
    try:
        yield
    finally:
        _local.at = previous
