"""What every inbound channel shares: authenticate the connection's client, store the event
raw (committed before anything else), process it now or leave it to the worker."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from sqlalchemy import and_, bindparam, select

from ..auth import current_principal
from ..db import get_session
from ..errors import BadRequest, Forbidden, NotFound, Unauthorized
from ..issuing.services import issuing_service
from ..organisations.models import ApiClient, Connection
from ..services import keystore
from ..webhooks import verify
from .completion import Completion
from .models import EventState, InboundEvent
from .recovery import defer
from .services import IngestService, Received

__all__ = [
    "Caller",
    "accept",
    "accept_many",
    "client_secret",
    "may_send_events",
    "resolve_client",
    "signed_caller",
    "token_caller",
]


@dataclass(frozen=True)
class Caller:
    """The authenticated sender: an organisation and, if the client is bound, its connection."""

    organisation_id: uuid.UUID
    connection: str | None
    client_id: uuid.UUID
    # The client's bound connection when it was read together with the client (it saves
    # :func:`connection_of` a query); None when not read or not there.
    bound: Connection | None = field(default=None, compare=False, repr=False)


def resolve_client(client_id: str | None) -> ApiClient:
    """An active (not revoked) API client. Its scopes are checked only once the caller has
    proved to be it (:func:`may_send_events`): an id alone learns nothing about it."""
    return _resolve(client_id)[0]


def may_send_events(client: ApiClient) -> ApiClient:
    """``client``, authenticated, if it holds ``events:write`` (or ``admin``); else 403."""
    if not ({"events:write", "admin"} & client.scope_set):
        raise Forbidden("this client lacks the scope events:write")
    return client


def _resolve(client_id: str | None) -> tuple[ApiClient, Connection | None]:
    """:func:`resolve_client` and, in the same query, the connection the client is bound
    to (None when it is bound to none, or to one its organisation does not have)."""
    try:
        key = uuid.UUID(str(client_id))
    except ValueError:
        raise Unauthorized("unknown client") from None
    row = get_session().execute(_CLIENT_AND_CONNECTION, {"client": key}).first()
    client, connection = row if row is not None else (None, None)
    if client is None or client.revoked_at is not None:
        raise Unauthorized("unknown client")
    return client, connection


# Built once: every inbound request runs it, and building it costs more than running it.
_CLIENT_AND_CONNECTION = (
    select(ApiClient, Connection)
    .outerjoin(
        Connection,
        and_(
            Connection.organisation_id == ApiClient.organisation_id,
            Connection.name == ApiClient.connection,
        ),
    )
    .where(ApiClient.id == bindparam("client"))
)


def client_secret(client: ApiClient) -> str:
    if client.secret_ciphertext is None:
        raise Unauthorized("this client has no signing secret")
    return keystore().unwrap(client.secret_ciphertext, key_id=f"client:{client.id}").decode()


def signed_caller(client_id: str | None) -> Caller:
    """A Standard Webhooks-signed request from the client ``client_id``."""
    client, bound = _resolve(client_id)
    verify(
        client_secret(client),
        request.headers.get("webhook-id"),
        request.headers.get("webhook-timestamp"),
        request.headers.get("webhook-signature"),
        request.get_data(cache=True),
    )
    may_send_events(client)
    return Caller(client.organisation_id, client.connection, client.id, bound)


def token_caller() -> Caller:
    """A bearer-token request (scope events:write)."""
    principal = current_principal()
    if not principal.allows("events:write"):
        raise Forbidden("this token lacks the scope events:write")
    client = get_session().get(ApiClient, principal.client_id)
    return Caller(
        principal.organisation_id, client.connection if client else None, principal.client_id
    )


def connection_of(caller: Caller, named: str | None) -> Connection:
    """The connection the event comes from; a client bound to one may only send for it."""
    name = named or caller.connection
    if not name:
        raise BadRequest("name the source connection of the event")
    if caller.connection and name != caller.connection:
        raise Forbidden(f"this client sends for connection {caller.connection!r}, not {name!r}")
    bound = caller.bound
    if bound is not None and bound.name == name and bound.organisation_id == caller.organisation_id:
        return bound
    connection = get_session().scalar(
        select(Connection).where(
            Connection.organisation_id == caller.organisation_id, Connection.name == name
        )
    )
    if connection is None:
        raise NotFound(f"no connection {name!r} in this organisation")
    return connection


def accept(
    caller: Caller,
    connection: Connection,
    channel: str,
    external_id: str,
    raw: str,
    completion: Completion,
) -> tuple[Received, IngestService]:
    """Store the event and commit it; then process it unless the worker does that. A
    duplicate of an event still unprocessed (its request died before processing it) is
    processed now, as the sender's retry expects."""
    (received,), ingest = accept_many(
        caller, connection, channel, [(external_id, raw, completion)], inline=1
    )
    return received, ingest


def accept_many(
    caller: Caller,
    connection: Connection,
    channel: str,
    items: Sequence[tuple[str, str, Completion]],
    *,
    inline: int,
) -> tuple[list[Received], IngestService]:
    """Store every event of ``items`` (external id, raw body, completion) in one transaction,
    committed before anything else; then, in request mode, process up to ``inline`` of
    them now and hand the rest to the server's background processing (or the worker)."""
    session = get_session()
    ingest = IngestService(session, issuing_service())
    stored = [
        ingest.receive(
            organisation_id=caller.organisation_id,
            connection=connection.name,
            channel=channel,
            external_id=external_id,
            raw=raw,
            completion=completion,
        )
        for external_id, raw, completion in items
    ]
    session.commit()  # durable before we answer or process: nothing accepted is lost
    if current_app.config["PROCESSING"] != "request":
        return stored, ingest
    waiting = [r.event.id for r in stored if r.event.state == EventState.RECEIVED]
    processed: dict[uuid.UUID, InboundEvent] = {}
    for event_id in waiting[:inline]:
        event = ingest.take(event_id)
        if event is not None:
            processed[event_id] = ingest.process(event)
        session.commit()
    answered = []
    for received in stored:
        if received.duplicate:
            session.refresh(received.event)  # as processed by whoever did
        elif received.event.id in processed:
            received = Received(processed[received.event.id], False)  # as it processed it
        answered.append(received)
    defer(current_app, waiting[inline:])
    return answered, ingest


def event_view(event: InboundEvent, duplicate: bool) -> dict[str, Any]:
    service = issuing_service()
    return {
        "event": {
            "id": event.id,
            "connection": event.connection,
            "channel": event.channel,
            "external_id": event.external_id,
            "state": event.state,
            "reason": event.reason,
            "attempts": event.attempts,
            "person_id": event.person_id,
            "credential_ids": event.credential_ids,
            "received_at": event.received_at,
            "processed_at": event.processed_at,
            "duplicate": duplicate,
        },
        "credentials": [
            {"id": cid, "url": service.credential_url(uuid.UUID(cid))}
            for cid in event.credential_ids
        ],
    }


__all__ += ["connection_of", "event_view"]
