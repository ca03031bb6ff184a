"""The worker is a process of its own: a real ``manage.py db_worker`` finishes a job asked for here.

The rows must be committed for another process to see them, so this test runs outside the usual
test transaction. On PostgreSQL the worker connects to this test database; SQLite's test database
lives in this process's memory, so it is copied to a file the worker opens, and the outcome is
read back from that file.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys

from django.db import connection
from openpyxl import load_workbook

from notices import jobs
from supervision.models import Job, JobState
from supervision.services.jobs import job_request
from tests.factories import build_world, issue_letter
from tests.notices.ledger_sheet import sheet_lines
from tests.servers import ROOT, shared_database_url


def _worker(env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update({"DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "1", "DB_POOL": "0", **env})
    command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"]
    return subprocess.run(
        [*command, "--queue-name", "*"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=180
    )


def test_a_worker_process_makes_the_file(transactional_db, settings, tmp_path):
    world = build_world()
    issue_letter(world, items=2, units=[world.unit_a, world.unit_b])
    # Outside a transaction the task is enqueued as the job is written.
    job = job_request(actor=world.clerk, kind=jobs.LEDGER_XLSX, params={}, title="台账")
    env = {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = shared_database_url()
        ran = _worker(env)
        job.refresh_from_db()
        state, name, rows_total = job.state, job.file.name, job.rows_total
    else:
        copy = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(copy) as target:
            connection.connection.backup(target)
        env["DATABASE_URL"] = f"sqlite:///{copy}"
        ran = _worker(env)
        with sqlite3.connect(copy) as db:
            state, name, rows_total = db.execute(
                f"SELECT state, file, rows_total FROM {Job._meta.db_table} WHERE id = %d" % job.pk
            ).fetchone()
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    assert state == JobState.DONE and rows_total == 4, ran.stderr[-2000:]
    ws = load_workbook(io.BytesIO((settings.MEDIA_ROOT / name).read_bytes())).active
    assert len(sheet_lines(ws)) == 4
