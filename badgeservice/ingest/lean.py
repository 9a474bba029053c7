"""The completion webhook's lean accept path: worker mode's happy path without Flask.

In worker mode ``POST /api/v1/events`` only authenticates, validates and commits the raw
event, and answers 202. Flask's request machinery (request context, session, ORM objects,
hooks, marshmallow's dump) costs far more than that work, so :class:`LeanAccept`, a WSGI
layer in front of the Flask application, does it for the one common case: a Standard
Webhooks-signed request (``?client=<uuid>`` in canonical form, ``Content-Type:
application/json``, no ``Authorization``) from a client that holds ``events:write`` (or
``admin``), has a signing secret and is bound to a connection its organisation has, whose
body the webhook's schema accepts and names that connection, and whose event id is new.

It does what the view does, with the same pieces: :func:`..webhooks.verify`,
:func:`..api.parse_json` and :class:`.schemas.CompletionEventSchema`, :func:`.webhook.parse`,
and the inbox's one write (:func:`.services.inbox_row`, :func:`.services.store_new`),
committed before the 202, whose body and headers (:func:`..security_headers.defaults_for`)
are the view's byte for byte. Anything else — another path, request mode, a bearer token,
an unknown, revoked or unbound client, any refusal, a duplicate, a database error, a body
over ``MAX_CONTENT_LENGTH`` — goes to the Flask application unchanged (the body it read
given back as ``wsgi.input``), so every error answer is the application's own.

The client (its organisation, connection and unwrapped signing secret) is kept in the
process for at most :data:`CLIENT_SECONDS` after it was read: a client revoked, rotated,
narrowed or rebound is refused (by the application) at most that long after the change.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError
from sqlalchemy import Connection as SqlConnection
from sqlalchemy import Engine, and_, bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from ..api import parse_json
from ..db import SQLITE_BEGIN
from ..errors import AppError
from ..keystore import KeyStoreError
from ..organisations.models import ApiClient, Connection
from ..security_headers import defaults_for
from ..webhooks import verify
from .schemas import CompletionEventSchema
from .services import inbox_row, store_new
from .webhook import parse

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["CLIENT_SECONDS", "LeanAccept", "install"]

# How long a client read from the database is used without reading it again (seconds).
CLIENT_SECONDS = 1.0

PATH = "/api/v1/events"
_CLIENT_QUERY = re.compile(r"client=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_COMPLETION = CompletionEventSchema()
_STATUS = "202 ACCEPTED"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Sender:
    """A client the lean path may accept events from, as read at ``read_at``."""

    organisation_id: uuid.UUID
    connection: str
    secret: str
    read_at: float


# An active client with its bound connection, which its organisation has.
_SENDER = (
    select(ApiClient.organisation_id, ApiClient.connection, ApiClient.scopes)
    .add_columns(ApiClient.secret_ciphertext)
    .join(
        Connection,
        and_(
            Connection.organisation_id == ApiClient.organisation_id,
            Connection.name == ApiClient.connection,
        ),
    )
    .where(ApiClient.id == bindparam("client"), ApiClient.revoked_at.is_(None))
)


class LeanAccept:
    """The WSGI layer: the lean path where it applies, the Flask application otherwise.
    ``accepted`` counts the events it accepted itself (for tests and profiling)."""

    def __init__(self, app: Flask, flask: WsgiApp) -> None:
        self.app = app
        self.flask = flask
        self.accepted = 0
        self.clock: Callable[[], float] = time.monotonic
        self._senders: dict[uuid.UUID, Sender] = {}
        self._local = threading.local()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") != PATH
            or environ.get("REQUEST_METHOD") != "POST"
            or self.app.config["PROCESSING"] != "worker"
            or self.app.debug
        ):
            return self.flask(environ, start_response)
        body = _read_body(environ, self.app.config.get("MAX_CONTENT_LENGTH") or 0)
        if body is not None:
            answer = self._accept(environ, body)
            if answer is not None:
                start_response(_STATUS, answer[0])
                return [answer[1]]
            environ["wsgi.input"] = io.BytesIO(body)
        return self.flask(environ, start_response)

    def _accept(
        self, environ: dict[str, Any], body: bytes
    ) -> tuple[list[tuple[str, str]], bytes] | None:
        """The 202's headers and body once the event is committed; None for Flask to do."""
        client = _CLIENT_QUERY.fullmatch(environ.get("QUERY_STRING", ""))
        kind = str(environ.get("CONTENT_TYPE", "")).partition(";")[0].strip().lower()
        if client is None or kind != "application/json" or "HTTP_AUTHORIZATION" in environ:
            return None
        sender = self.sender(uuid.UUID(client[1]))
        if sender is None:
            return None
        try:
            verify(
                sender.secret,
                environ.get("HTTP_WEBHOOK_ID"),
                environ.get("HTTP_WEBHOOK_TIMESTAMP"),
                environ.get("HTTP_WEBHOOK_SIGNATURE"),
                body,
            )
            data = _COMPLETION.load(parse_json(body))
        except (AppError, ValidationError):
            return None
        if data["source"]["connection"] != sender.connection:
            return None
        values = inbox_row(
            organisation_id=sender.organisation_id,
            connection=sender.connection,
            channel="webhook",
            external_id=data["id"],
            raw=body.decode("utf-8"),
            completion=parse(data),
        )
        if not self._store(values):
            return None
        self.accepted += 1
        payload = answer(values)
        secure = environ.get("wsgi.url_scheme") == "https" or str(
            self.app.config.get("PUBLIC_URL", "")
        ).startswith("https://")
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            *defaults_for("application/json", secure),
        ]
        return headers, payload

    def sender(self, client_id: uuid.UUID) -> Sender | None:
        """The client if the lean path may accept its events, read at most
        :data:`CLIENT_SECONDS` ago; None for the application to decide."""
        now = self.clock()
        known = self._senders.get(client_id)
        if known is not None and now - known.read_at < CLIENT_SECONDS:
            return known
        self._senders.pop(client_id, None)
        try:
            with self._engine().connect() as connection:
                reading = connection.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
                row = reading.execute(_SENDER, {"client": client_id}).first()
        except SQLAlchemyError:
            return None
        if row is None or row.secret_ciphertext is None or row.connection is None:
            return None
        if not ({"events:write", "admin"} & set(row.scopes.split())):
            return None
        keystore = self.app.extensions["badgeservice.keystore"]
        try:
            secret = keystore.unwrap(row.secret_ciphertext, key_id=f"client:{client_id}").decode()
        except (KeyStoreError, ValueError):
            return None
        known = Sender(row.organisation_id, row.connection, secret, now)
        self._senders[client_id] = known
        return known

    def _store(self, values: dict[str, Any]) -> bool:
        """Insert and commit the event; False (nothing stored) for a duplicate or an error."""
        connection = self._held()
        try:
            if store_new(connection, values):
                connection.commit()  # durable before the 202 (PostgreSQL: already)
                return True
            connection.rollback()
        except SQLAlchemyError:
            # The application does it again, and answers as it does; the next request
            # takes a new connection (this one, perhaps broken, is not given back).
            self._local.connection = None
            with contextlib.suppress(SQLAlchemyError):
                connection.invalidate()
                connection.close()
        return False

    def _held(self) -> SqlConnection:
        """This thread's pooled connection, kept between requests: taking one from the pool
        and testing it (``pool_pre_ping``, a round trip) cost as much as the insert. On
        PostgreSQL it autocommits: the one INSERT is its own transaction, committed (and
        flushed to disk) before the server answers it, in one round trip instead of three
        (BEGIN, INSERT, COMMIT). SQLite's transactions begin explicitly (see ``db``)."""
        connection: SqlConnection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.invalidated:
            connection = self._engine().connect()
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            self._local.connection = connection
        return connection

    def close(self) -> None:
        """Give this thread's connection back to the pool."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def _engine(self) -> Engine:
        engine: Engine = self.app.extensions["badgeservice.db"].engine
        return engine


def answer(values: dict[str, Any]) -> bytes:
    """The view's 202 body for the new event ``values`` (its JSON, key for key)."""
    event = {
        "event": {
            "id": str(values["id"]),
            "connection": values["connection"],
            "channel": values["channel"],
            "externalId": values["external_id"],
            "state": str(values["state"]),
            "reason": None,
            "attempts": 0,
            "person": None,
            "credentials": [],
            "receivedAt": values["received_at"].isoformat(),
            "processedAt": None,
            "duplicate": False,
        },
        "credentials": [],
    }
    return (json.dumps(event, separators=(",", ":")) + "\n").encode()


def _read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The whole body when it has a length within ``limit`` (else None, nothing read; no
    limit configured: never)."""
    length = str(environ.get("CONTENT_LENGTH") or "")
    if not (length.isascii() and length.isdigit()) or not 0 < int(length) <= limit:
        return None
    size = int(length)
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    body = b"".join(chunks)
    if size > 0:
        # Short: the application reads the rest (nothing) and answers as it does.
        environ["wsgi.input"] = io.BytesIO(body)
        return None
    return body


def install(app: Flask) -> LeanAccept:
    """Put the lean path in front of ``app``'s WSGI application."""
    layer = LeanAccept(app, app.wsgi_app)
    app.wsgi_app = layer  # type: ignore[method-assign]
    app.extensions["badgeservice.lean_accept"] = layer
    return layer
