"""Database: one declarative base, a session per request, the request boundary commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from .errors import Conflict, busy_problem, is_busy, problem

if TYPE_CHECKING:  # Flask is imported where it is used: commands start without it
    from flask import Flask, Response

__all__ = [
    "Base",
    "Database",
    "Outcome",
    "UTCDateTime",
    "flush_or_conflict",
    "get_session",
    "init_app",
    "new_id",
    "session_scope",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Outcome(StrEnum):
    """What an upsert did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush; a uniqueness rule the checks could not see (another request stored the same
    value in between) is a 409, not a 500."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{what} conflicts with data stored meanwhile; reload and retry") from exc


def utcnow() -> datetime:
    """Now, timezone-aware UTC, whole microseconds."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The one declarative base; constraint names follow a convention Alembic can diff."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid(), dict[str, Any]: JSON()}  # noqa: RUF012


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Database:
    """The engine and session factory of one application."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = make_url(url)
        options: dict[str, Any] = {"echo": echo, "future": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
            if parsed.get_backend_name() == "postgresql":
                # JIT compilation costs 10-20 ms per query over large tables and these are
                # short interactive queries; measured on the reserve benchmark.
                options["connect_args"] = {"options": "-c jit=off"}
        self.url = url
        self.engine: Engine = create_engine(url, **options)
        readers = self.engine
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
            readers = self.engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        # Sessions that may write: on SQLite every transaction takes the write lock when it
        # begins (BEGIN IMMEDIATE). A deferred transaction that reads and then writes fails
        # at once with "database is locked" when another writer committed in between (its
        # snapshot is stale, so SQLite cannot wait for the lock): the busy timeout only
        # helps a transaction that asks for the lock before it has read anything.
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Sessions that only read (long exports): a deferred transaction, a WAL snapshot
        # that never blocks a writer. The same as ``sessions`` on PostgreSQL.
        self.read_sessions = sessionmaker(readers, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


# The execution option naming how a SQLite transaction begins (IMMEDIATE unless DEFERRED).
SQLITE_BEGIN = "badgeservice_sqlite_begin"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # The driver must not begin transactions by itself (it would BEGIN DEFERRED before the
    # first write only): _sqlite_begin does, at the first statement of each transaction.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
    connection.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    """Attach a :class:`Database`; commit after successful requests, roll back otherwise."""
    from flask import g

    database = Database(app.config["DATABASE_URL"])
    app.extensions["badgeservice.db"] = database

    @app.after_request
    def _commit(response: Response) -> Response:
        session: Session | None = g.pop("db_session", None)
        if session is None:
            return response
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        except IntegrityError:
            session.rollback()
            return problem(409, "conflict", "Conflict", "the change conflicts with existing data")
        except OperationalError as exc:
            session.rollback()
            if not is_busy(exc):
                raise
            return busy_problem()
        finally:
            session.close()
        return response

    _map_database_errors(app)

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def _map_database_errors(app: Flask) -> None:
    """Database errors that reach a view leave as problem+json (or a page, see
    :mod:`.errors`), after the request's session is rolled back."""

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError) -> Response:
        # A uniqueness rule hit by a concurrent request between a service's check and its
        # flush: the same answer the check would have given.
        rollback_request_session()
        return problem(409, "conflict", "Conflict", "the change conflicts with existing data")

    @app.errorhandler(DataError)
    def _data_error(error: DataError) -> Response:
        # A value the database cannot store or compare (a NUL character in a path segment,
        # a number out of range): the client's input, so a 400, not a crash.
        rollback_request_session()
        return problem(
            400,
            "bad-request",
            "Bad request",
            "a value in the request cannot be stored or searched for",
        )

    @app.errorhandler(OperationalError)
    def _operational_error(error: OperationalError) -> Response:
        rollback_request_session()
        if is_busy(error):
            app.logger.warning("database busy: %s", error.orig)
            return busy_problem()
        app.logger.exception("database error")
        return problem(500, "internal-error", "Internal error", "the error was logged")


def rollback_request_session() -> None:
    """Roll back the request's session after a failed flush (before an error response)."""
    from flask import g

    session: Session | None = g.get("db_session")
    if session is not None:
        session.rollback()


def database() -> Database:
    """The current application's database."""
    from flask import current_app

    db: Database = current_app.extensions["badgeservice.db"]
    return db


def get_session() -> Session:
    """The request's session (created on first use)."""
    from flask import g

    if "db_session" not in g:
        g.db_session = database().sessions()
    session: Session = g.db_session
    return session


@contextmanager
def session_scope(db: Database) -> Iterator[Session]:
    """A session for commands and workers: commit on success, roll back on error."""
    session = db.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


__all__ += ["TimestampMixin", "database", "rollback_request_session"]
