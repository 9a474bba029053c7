"""``badgeservice serve``'s process settings: how many web processes by default, and the
request threads option (refused out of range before anything starts)."""

from __future__ import annotations

import os
import subprocess
import sys

from badgeservice.commands.serve import default_workers


def test_postgresql_gets_gunicorns_advice_and_sqlite_two() -> None:
    cpus = os.cpu_count() or 1
    assert default_workers("postgresql+psycopg://postgres@127.0.0.1:5432/x") == 2 * cpus + 1
    # one writer at a time: more processes would only queue for SQLite's lock
    assert default_workers("sqlite:////tmp/badgeservice.sqlite3") == 2


def test_threads_out_of_range_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "badgeservice", "serve", "--threads", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "--threads" in done.stderr and "0" in done.stderr
