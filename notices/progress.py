"""How far a problem-list import has got, for the page that waits on it.

The import page gives each form a random token; while the upload is being read and saved, the
parser and the writer report here every ``EVERY`` rows, and the page polls
``notices:import_status`` for the figures. Progress lives in Django's cache under the user's id
and the token, so one person cannot read another's, and it expires on its own. With several
server processes the cache must be shared (Redis, memcached) for the poll to see the figures;
with a per-process cache the page still works and simply shows no figures.

Only counts are stored, never the file's content.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache

# Rows between two reports: a 5,000-row list reports 50 times, each a cheap cache write.
EVERY = 100
# Seconds the figures stay readable once written.
TTL = 600
TOKEN = re.compile(r"^[0-9a-f]{32}$")

READING, SAVING, DONE, FAILED = "reading", "saving", "done", "failed"


def new_token() -> str:
    return secrets.token_hex(16)


def valid_token(token: str | None) -> bool:
    return bool(token and TOKEN.match(token))


def _key(user_id: int, token: str) -> str:
    return f"notices:import:{user_id}:{token}"


@dataclass
class ImportProgress:
    """The reporter the import calls; ``None`` instead of it means nobody is watching."""

    user_id: int
    token: str

    def _put(self, phase: str, done: int, total: int | None, **extra: int) -> None:
        cache.set(
            _key(self.user_id, self.token),
            {"phase": phase, "done": done, "total": total, "at": time.time(), **extra},
            TTL,
        )

    def reading(self, rows: int, total: int | None) -> None:
        """``rows`` read so far; ``total`` the sheet's last row when it is a believable count."""
        if rows == 0 or rows % EVERY == 0:
            self._put(READING, rows, total)

    def saving(self, done: int, total: int) -> None:
        if done == 0 or done % EVERY == 0 or done == total:
            self._put(SAVING, done, total)

    def finished(self, *, imported: int, errors: int) -> None:
        self._put(DONE if not errors else FAILED, imported, imported, errors=errors)


def import_status(user_id: int, token: str) -> dict | None:
    """The figures last reported for this user's import, or None (unknown, expired, not theirs)."""
    if not valid_token(token):
        return None
    return cache.get(_key(user_id, token))
