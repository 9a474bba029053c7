"""The generic completion webhook and the inbox API (list, show, replay)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from sqlalchemy import select

from ..api import dump, dump_page, load_body, load_query, own, paginate
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from ..issuing.services import issuing_service
from .channels import accept, connection_of, event_view, signed_caller, token_caller
from .models import InboundEvent
from .schemas import (
    CompletionEventSchema,
    EventListQuery,
    InboundEventSchema,
    InboundResponseSchema,
)
from .services import IngestService
from .webhook import parse

__all__ = ["api"]

api = Blueprint("ingest", __name__, url_prefix="/api/v1")

# Built once: a schema keeps no state between loads and dumps, and building one per request
# costs more than the load itself.
_COMPLETION = CompletionEventSchema()
_EVENT = InboundEventSchema()
_INBOUND = InboundResponseSchema()


@api.post("/events")
def receive_event() -> Response:
    """Receive a completion event: 202 with the stored event and any credentials issued.

    Authenticate with Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``,
    ``webhook-signature``) and the client id in ``?client=``, or with a bearer token
    (scope ``events:write``). The event ``id`` is the idempotency key: sending it again is
    a duplicate (202, ``duplicate: true``), never a second event.
    ---
    post:
      tags: [events]
      security: [{bearer: []}, {}]
      parameters:
        - {in: query, name: client, schema: {type: string, format: uuid},
           description: "the API client id, for signed requests"}
        - {in: header, name: webhook-id, schema: {type: string}}
        - {in: header, name: webhook-timestamp, schema: {type: string}}
        - {in: header, name: webhook-signature, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: CompletionEventSchema}}}
      responses:
        202:
          content:
            application/json:
              schema: InboundResponseSchema
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    if request.headers.get("webhook-signature") or request.args.get("client"):
        caller = signed_caller(request.args.get("client") or request.headers.get("x-client-id"))
    else:
        caller = token_caller()
    data = load_body(_COMPLETION)
    connection = connection_of(caller, data["source"]["connection"])
    raw = request.get_data(as_text=True)
    received, _ = accept(caller, connection, "webhook", data["id"], raw, parse(data))
    return dump(_INBOUND, event_view(received.event, received.duplicate), 202)


@api.get("/events")
@requires("admin", "events:write")
def list_events() -> Response:
    """The inbox: events newest first; ``state`` lists e.g. the failed or parked ones.
    ---
    get:
      tags: [events]
      parameters:
        - {in: query, schema: EventListQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: InboundEventSchema}
    """
    query = load_query(EventListQuery())
    principal = current_principal()
    stmt = select(InboundEvent).where(InboundEvent.organisation_id == principal.organisation_id)
    if principal.connection is not None:
        # A client bound to a connection (an LMS's) sees that connection's events only.
        stmt = stmt.where(InboundEvent.connection == principal.connection)
    if "state" in query:
        stmt = stmt.where(InboundEvent.state == query["state"])
    if "connection" in query:
        stmt = stmt.where(InboundEvent.connection == query["connection"])
    rows = paginate(stmt.order_by(InboundEvent.received_at.desc(), InboundEvent.id), query)
    return dump_page(InboundEventSchema(), rows)


@api.get("/events/<event_id>")
@requires("admin", "events:write")
def get_event(event_id: str) -> Response:
    """One stored event with its state and reason.
    ---
    get:
      tags: [events]
      parameters: [{in: path, name: event_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: InboundEventSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(InboundEventSchema(), _own_event(event_id))


def _own_event(event_id: str) -> InboundEvent:
    """The organisation's event; for a client bound to a connection, only that one's."""
    event = own(InboundEvent, event_id, "event")
    bound = current_principal().connection
    if bound is not None and event.connection != bound:
        raise NotFound(f"no event {event_id}")
    return event


@api.post("/events/<event_id>/replay")
@requires("admin")
def replay_event(event_id: str) -> Response:
    """Process a stored event again (idempotent: credentials already issued stay single);
    409 when retention purged its payload.
    ---
    post:
      tags: [events]
      parameters: [{in: path, name: event_id, required: true, schema: {type: string}}]
      requestBody: none
      responses:
        200: {content: {application/json: {schema: InboundEventSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    event = _own_event(event_id)
    IngestService(get_session(), issuing_service()).replay([event])
    return dump(InboundEventSchema(), event)
