"""Scratch databases: new, migrated databases for a test session or a benchmark run, on
SQLite (a file in a given folder) or on a PostgreSQL server (a database created on it,
dropped afterwards). The one copy of this code: ``tests/conftest.py`` and ``benchmarks/``
both use it, so it imports nothing from pytest."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

__all__ = [
    "TEST_DATABASE_ENV",
    "create_database",
    "drop_database",
    "migrate",
    "scratch_database",
    "server_url",
]

# The PostgreSQL server to make scratch databases on (unset: SQLite files).
TEST_DATABASE_ENV = "BADGESERVICE_TEST_DATABASE_URL"


def server_url() -> str:
    """``BADGESERVICE_TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1/test``)
    or the empty string."""
    return os.environ.get(TEST_DATABASE_ENV, "")


def migrate(url: str) -> str:
    """Bring the database at ``url`` to the newest schema; ``url``."""
    from badgeservice.migrate import upgrade

    engine = create_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def create_database(server: str, name: str, *, replace: bool = False, migrated: bool = True) -> str:
    """Create the database ``name`` on the PostgreSQL ``server`` (dropping an old one of
    that name first when ``replace``) and migrate it (unless not ``migrated``); its URL."""
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if replace:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    return migrate(url) if migrated else url


def drop_database(server: str, name: str) -> None:
    """Drop ``name`` on the PostgreSQL ``server`` (connections to it are ended)."""
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def scratch_database(
    folder: Path, *, server: str | None = None, prefix: str = "badgeservice_test"
) -> Iterator[str]:
    """A new, migrated database's URL for the block: on the PostgreSQL ``server`` (default:
    ``BADGESERVICE_TEST_DATABASE_URL``) a database with a random name after ``prefix``,
    dropped at the end; without a PostgreSQL server a SQLite file in ``folder``."""
    server = server_url() if server is None else server
    if not server.startswith("postgresql"):
        folder.mkdir(parents=True, exist_ok=True)
        yield migrate(f"sqlite:///{folder / f'{prefix}.sqlite3'}")
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create_database(server, name, migrated=False)
    try:
        yield migrate(url)
    finally:
        drop_database(server, name)
