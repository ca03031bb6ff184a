"""Faults of the media folder as the operating system reports them, for the storage tests.

Only calls on paths under MEDIA_ROOT (and the descriptors opened there) are affected: the
database, templates and everything else keep working, as on a server whose media disk is full
or mounted read-only.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from django.core.management import call_command


class Disk:
    """Switch on one fault: ``full_after(n)`` (ENOSPC once n bytes are written, on write or on
    fsync) or ``read_only()`` (EACCES when a file is created)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path):
        self.root = str(root)
        self.fault: str | None = None
        self.limit = 0
        self.written = 0
        self.fds: set[int] = set()
        real_open, real_write, real_fsync, real_close = os.open, os.write, os.fsync, os.close

        def fake_open(path, flags, *args, **kwargs):
            ours = os.fspath(path).startswith(self.root) if isinstance(path, (str, os.PathLike)) else False
            writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            if ours and writing and self.fault == "read_only":
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
            fd = real_open(path, flags, *args, **kwargs)
            if ours and writing:
                self.fds.add(fd)
            return fd

        def fake_write(fd, data):
            if fd in self.fds and self.fault in ("full_on_write", "full_on_fsync"):
                room = self.limit - self.written
                if room <= 0:
                    if self.fault == "full_on_write":
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    room = len(data)  # delayed allocation: accepted now, refused at fsync
                n = real_write(fd, bytes(data[:room]))
                self.written += n
                return n
            return real_write(fd, data)

        def fake_fsync(fd):
            if fd in self.fds and self.fault == "full_on_fsync" and self.written > self.limit:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_fsync(fd)

        def fake_close(fd):
            self.fds.discard(fd)
            return real_close(fd)

        monkeypatch.setattr(os, "open", fake_open)
        monkeypatch.setattr(os, "write", fake_write)
        monkeypatch.setattr(os, "fsync", fake_fsync)
        monkeypatch.setattr(os, "close", fake_close)

    def full_after(self, n: int, *, at: str = "write") -> None:
        self.fault, self.limit, self.written = f"full_on_{at}", n, 0

    def read_only(self) -> None:
        self.fault = "read_only"

    def fixed(self) -> None:
        self.fault = None

    def files(self) -> list[str]:
        """Every file under the media root, relative to it (temporary ones included)."""
        root = Path(self.root)
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def disk(monkeypatch, settings) -> Disk:
    return Disk(monkeypatch, Path(settings.MEDIA_ROOT))


def integrity_holds() -> None:
    """The auditor's checks (every stored file exists with the size and hash its row records),
    when the project has them."""
    from django.core.management import get_commands

    if "check_integrity" in get_commands():
        call_command("check_integrity")
