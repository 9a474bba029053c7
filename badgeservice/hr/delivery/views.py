"""HR endpoints and the delivery log: ``/api/v1/hr/endpoints`` and ``/api/v1/hr/deliveries``.

Also the demo's HR receiver (:data:`demo_receiver`), a blueprint that only ``badgeservice
demo`` registers: it checks each pushed message's signature and logs its receipt.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select

from ...api import dump, load_body, load_query, parse_id, partial
from ...auth import current_principal, requires
from ...db import get_session
from ...errors import Unauthorized, problem
from ...keystore import KeyStoreError
from ...services import keystore
from ...webhooks import verify
from ..models import HrEndpoint
from .endpoints import (
    create_endpoint,
    endpoint_secret,
    get_delivery,
    get_endpoint,
    list_deliveries,
    list_endpoints,
    redeliver,
    rotate_secret,
    update_endpoint,
)
from .schemas import (
    DeliveryListQuery,
    DeliverySchema,
    EndpointInSchema,
    EndpointListQuery,
    EndpointPatchSchema,
    EndpointSchema,
    EndpointSecretSchema,
)

__all__ = ["DEMO_RECEIVER_PATH", "api", "demo_receiver"]

api = Blueprint("hr", __name__, url_prefix="/api/v1")

log = logging.getLogger(__name__)


def _own_endpoint(endpoint_id: str) -> HrEndpoint:
    return get_endpoint(
        get_session(), current_principal().organisation_id, parse_id(endpoint_id, "HR endpoint")
    )


def _with_secret(endpoint: HrEndpoint, secret: str, status: int) -> Response:
    body: dict[str, Any] = EndpointSchema().dump(endpoint)
    body["secret"] = secret
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@api.post("/hr/endpoints")
@requires("admin")
def create_endpoint_view() -> Response:
    """Add an HR endpoint; the answer holds its signing secret, shown only this once.
    ---
    post:
      tags: [hr]
      requestBody: {required: true, content: {application/json: {schema: EndpointInSchema}}}
      responses:
        201: {content: {application/json: {schema: IssuedEndpointSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    data = load_body(EndpointInSchema())
    issued = create_endpoint(
        get_session(), current_principal().organisation_id, keystore=keystore(), **data
    )
    return _with_secret(issued.endpoint, issued.secret, 201)


@api.get("/hr/endpoints")
@requires("admin")
def list_endpoints_view() -> Response:
    """The organisation's HR endpoints (without secrets).
    ---
    get:
      tags: [hr]
      parameters:
        - {in: query, name: active, schema: {type: boolean}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 1000}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0, maximum: 1000000000}}
      responses:
        200:
          content:
            application/json:
              schema: {type: object, properties: {items: {type: array, items: EndpointSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
    """
    query = load_query(EndpointListQuery())
    rows = list_endpoints(get_session(), current_principal().organisation_id, **query)
    return dump(EndpointSchema(many=True), rows, wrap="items")


@api.get("/hr/endpoints/<endpoint_id>")
@requires("admin")
def get_endpoint_view(endpoint_id: str) -> Response:
    """One HR endpoint (without its secret).
    ---
    get:
      tags: [hr]
      parameters: [{in: path, name: endpoint_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: EndpointSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(EndpointSchema(), _own_endpoint(endpoint_id))


@api.patch("/hr/endpoints/<endpoint_id>")
@requires("admin")
def update_endpoint_view(endpoint_id: str) -> Response:
    """Change the URL or description, or (de)activate; deactivating dead-letters the
    pending deliveries (redeliver them after activating again).
    ---
    patch:
      tags: [hr]
      parameters: [{in: path, name: endpoint_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: EndpointPatchSchema}}}
      responses:
        200: {content: {application/json: {schema: EndpointSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    endpoint = _own_endpoint(endpoint_id)
    changes = load_body(partial(EndpointPatchSchema))
    return dump(EndpointSchema(), update_endpoint(get_session(), endpoint, changes))


@api.delete("/hr/endpoints/<endpoint_id>")
@requires("admin")
def delete_endpoint_view(endpoint_id: str) -> Response:
    """Remove an HR endpoint: it is deactivated, not deleted, so its delivery log stays;
    its pending deliveries are dead-lettered with the reason.
    ---
    delete:
      tags: [hr]
      parameters: [{in: path, name: endpoint_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: EndpointSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    endpoint = _own_endpoint(endpoint_id)
    return dump(EndpointSchema(), update_endpoint(get_session(), endpoint, {"active": False}))


@api.post("/hr/endpoints/<endpoint_id>/secret")
@requires("admin")
def rotate_secret_view(endpoint_id: str) -> Response:
    """Replace the endpoint's signing secret; the new one is shown only in this answer.
    ---
    post:
      tags: [hr]
      parameters: [{in: path, name: endpoint_id, required: true, schema: {type: string}}]
      requestBody: none
      responses:
        200: {content: {application/json: {schema: EndpointSecretSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    issued = rotate_secret(get_session(), _own_endpoint(endpoint_id), keystore())
    response = dump(EndpointSecretSchema(), {"id": issued.endpoint.id, "secret": issued.secret})
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/hr/deliveries")
@requires("admin", "hr:read")
def list_deliveries_view() -> Response:
    """The outbox: deliveries newest event first, with their last status and error.
    ---
    get:
      tags: [hr]
      parameters:
        - {in: query, name: state, schema: {type: string, enum: [pending, delivered, dead]}}
        - {in: query, name: endpoint, schema: {type: string, format: uuid}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 1000}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0, maximum: 1000000000}}
      responses:
        200:
          content:
            application/json:
              schema: {type: object, properties: {items: {type: array, items: DeliverySchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
    """
    query = load_query(DeliveryListQuery())
    rows = list_deliveries(
        get_session(),
        current_principal().organisation_id,
        state=query.get("state"),
        endpoint_id=query.get("endpoint"),
        limit=query["limit"],
        offset=query["offset"],
    )
    return dump(DeliverySchema(many=True, exclude=("attempts",)), rows, wrap="items")


@api.get("/hr/deliveries/<delivery_id>")
@requires("admin", "hr:read")
def get_delivery_view(delivery_id: str) -> Response:
    """One delivery with every attempt (status code, latency, error).
    ---
    get:
      tags: [hr]
      parameters: [{in: path, name: delivery_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: DeliverySchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    organisation_id = current_principal().organisation_id
    record = get_delivery(get_session(), organisation_id, parse_id(delivery_id, "delivery"))
    return dump(DeliverySchema(), record)


@api.post("/hr/deliveries/<delivery_id>/redeliver")
@requires("admin")
def redeliver_view(delivery_id: str) -> Response:
    """Queue a dead or delivered delivery again, due now (its attempts stay in the log; a
    pending one is made due now). 409 when its endpoint is inactive or an earlier delivery
    for the same person is dead (redeliver that first, so the order holds).
    ---
    post:
      tags: [hr]
      parameters: [{in: path, name: delivery_id, required: true, schema: {type: string}}]
      requestBody: none
      responses:
        200: {content: {application/json: {schema: DeliverySchema}}}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    organisation_id = current_principal().organisation_id
    wanted = parse_id(delivery_id, "delivery")
    session = get_session()
    redeliver(session, organisation_id, [wanted])
    return dump(
        DeliverySchema(exclude=("attempts",)), get_delivery(session, organisation_id, wanted)
    )


# -- the demo's receiver ------------------------------------------------------------------

DEMO_RECEIVER_PATH = "/demo/hr-receiver"
demo_receiver = Blueprint("demo_receiver", __name__)


@demo_receiver.post(DEMO_RECEIVER_PATH)
def receive_demo_push() -> Response:
    """Stand in for an HR system in ``badgeservice demo``: accept a message whose
    signature verifies with the secret of an endpoint pointing here, and log its receipt
    (type, message id, person; never the secret)."""
    url = current_app.config["PUBLIC_URL"] + DEMO_RECEIVER_PATH
    session = get_session()
    endpoints = session.scalars(
        select(HrEndpoint).where(HrEndpoint.url == url, HrEndpoint.active.is_(True))
    ).all()
    body = request.get_data()
    for endpoint in endpoints:
        try:
            verify(
                endpoint_secret(endpoint, keystore()),
                request.headers.get("webhook-id"),
                request.headers.get("webhook-timestamp"),
                request.headers.get("webhook-signature"),
                body,
            )
        except (Unauthorized, KeyStoreError):
            continue
        payload = request.get_json(silent=True) or {}
        person = (payload.get("data") or {}).get("person") or {}
        log.info(
            "demo HR receiver: %s %s for %s, signature verified (endpoint %s)",
            payload.get("type"),
            request.headers.get("webhook-id"),
            person.get("employee_number") or person.get("email") or "a person",
            endpoint.name,
        )
        return Response(status=204)
    return problem(401, "unauthorized", "Signature not verified", "no endpoint's secret matches")
