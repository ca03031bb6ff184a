"""Uploads held privately between the steps of a flow (an import previewed, then confirmed), with
the files made from them; deleted with the flow or by age (``JOB_FILE_HOURS``, from tick through
services/job_housekeeping.py ``job_files_prune``). Their names are random and carry the time they came, so
pruning needs no database row and no file dates."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from supervision import clock

logger = logging.getLogger(__name__)

# Where an upload is held between the steps of a flow, with what was made of it.
HELD_FOLDER = "jobs/held"


def _stamp(now: dt.datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}"


def upload_store(upload: File, folder: str, *, prefix: str = "", now: dt.datetime | None = None) -> str:
    """Save an upload privately under ``folder``/year/month/day with a random name (``prefix``
    before it) and the upload's own suffix: nothing of its name but the suffix reaches the disk."""
    suffix = PurePosixPath(getattr(upload, "name", "") or "").suffix.lower()[:10] or ".bin"
    now = now or clock.now()
    name = f"{folder}/{now:%Y/%m/%d}/{prefix}{secrets.token_hex(16)}{suffix}"
    if hasattr(upload, "seek"):
        upload.seek(0)
    return default_storage.save(name, upload)


def upload_hold(upload: File) -> str:
    """Keep an upload privately between the steps of a flow (an import previewed, then
    confirmed); returns its name, random and not guessable. ``held_uploads_prune`` (from tick,
    through job_housekeeping.job_files_prune) deletes it ``JOB_FILE_HOURS`` later, whatever
    became of it."""
    # The time it came is in the name: pruning needs no database row and no file dates.
    now = clock.now()
    return upload_store(upload, HELD_FOLDER, prefix=f"{_stamp(now)}-", now=now)


def held_file(name: str, suffix: str) -> str:
    """The name of a file made from a held upload (its preview, say): beside it, pruned with it."""
    return f"{name}.{suffix}"


def is_held(name: Any) -> bool:
    """Whether ``name`` is a held upload's (a name from a signed token or a job's parameters,
    never a path someone typed: still, nothing outside the folder passes)."""
    return (
        isinstance(name, str)
        and name.startswith(HELD_FOLDER + "/")
        and ".." not in name
        and "\\" not in name
        and default_storage.exists(name)
    )


def upload_release(name: str) -> None:
    """Delete a held upload once its flow is over (the import was saved), with the files made
    from it (``held_file``)."""
    if not (isinstance(name, str) and name.startswith(HELD_FOLDER + "/")):
        return
    folder, _slash, base = name.rpartition("/")
    try:
        beside = [f for f in default_storage.listdir(folder)[1] if f.startswith(base + ".")]
    except OSError:
        beside = []
    for made in beside:
        file_delete(f"{folder}/{made}")
    file_delete(name)


def held_uploads_prune(*, now: dt.datetime) -> int:
    """Delete the held uploads (and the files made from them) older than ``JOB_FILE_HOURS``;
    returns how many files went. Reads the folders of the days concerned only."""
    cutoff = _stamp(now - dt.timedelta(hours=settings.JOB_FILE_HOURS))
    deleted = 0
    try:
        years = default_storage.listdir(HELD_FOLDER)[0]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for year in sorted(years):
        for month in sorted(default_storage.listdir(f"{HELD_FOLDER}/{year}")[0]):
            for day in sorted(default_storage.listdir(f"{HELD_FOLDER}/{year}/{month}")[0]):
                if f"{year}{month}{day}" > cutoff[:8]:
                    continue  # a day after the cutoff's: nothing in it is old enough
                folder = f"{HELD_FOLDER}/{year}/{month}/{day}"
                for name in default_storage.listdir(folder)[1]:
                    if name[: len(cutoff)] < cutoff:
                        file_delete(f"{folder}/{name}")
                        deleted += 1
    return deleted


def file_delete(name: str) -> None:
    """Delete a private file, logging (not raising) when the storage refuses."""
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("Could not delete the job file %s.", name, exc_info=True)
