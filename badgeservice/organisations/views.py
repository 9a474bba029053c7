"""Organisation views: a token sees exactly its own organisation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ..api import Page, dump, dump_page, load_body, load_query, paginate, parse_id
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from ..people.services import get_person
from ..services import keystore
from .schemas import (
    AuditEventSchema,
    ClientInSchema,
    ClientListQuery,
    ClientSchema,
    OrganisationSchema,
)
from .services import (
    IssuedClient,
    audit_query,
    clients_query,
    create_client,
    find_client,
    get_organisation,
    revoke_client,
    rotate_client,
)

__all__ = ["api"]

api = Blueprint("organisations", __name__, url_prefix="/api/v1")


@api.get("/organisations")
@requires("admin", "awards:write", "hr:read", "events:write", "scim")
def list_organisations() -> Response:
    """The caller's organisation (a token belongs to exactly one).
    ---
    get:
      tags: [organisations]
      responses:
        200:
          content:
            application/json:
              schema: {page-of: OrganisationSchema}
    """
    organisation = get_organisation(get_session(), current_principal().organisation_id)
    return dump_page(OrganisationSchema(), [organisation])


@api.get("/organisations/<organisation_id>")
@requires("admin", "awards:write", "hr:read", "events:write", "scim")
def get_organisation_view(organisation_id: str) -> Response:
    """One organisation: only the caller's own exists for it.
    ---
    get:
      tags: [organisations]
      parameters: [{in: path, name: organisation_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: OrganisationSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    wanted = parse_id(organisation_id, "organisation")
    if wanted != current_principal().organisation_id:
        raise NotFound(f"no organisation {organisation_id}")
    return dump(OrganisationSchema(), get_organisation(get_session(), wanted))


# -- API clients and the audit trail (admin) -------------------------------------------------


def _issued(issued: IssuedClient, status: int) -> Response:
    body: dict[str, Any] = ClientSchema().dump(issued.client)
    body.update(token=issued.token, secret=issued.secret)
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/clients")
@requires("admin")
def list_clients_view() -> Response:
    """The organisation's API clients (never their tokens or secrets).
    ---
    get:
      tags: [clients]
      parameters:
        - {in: query, schema: ClientListQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: ClientSchema}
    """
    query = load_query(ClientListQuery())
    statement = clients_query(current_principal().organisation_id, revoked=query.get("revoked"))
    return dump_page(ClientSchema(), paginate(statement, query))


@api.post("/clients")
@requires("admin")
def create_client_view() -> Response:
    """Create an API client; the answer holds its token and secret, shown only this once.
    ---
    post:
      tags: [clients]
      requestBody: {required: true, content: {application/json: {schema: ClientInSchema}}}
      responses:
        201: {content: {application/json: {schema: IssuedClientSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    data = load_body(ClientInSchema())
    session = get_session()
    organisation_id = current_principal().organisation_id
    supervisor = data.get("supervisor")
    issued = create_client(
        session,
        get_organisation(session, organisation_id),
        name=data["name"],
        scopes=data["scopes"],
        connection=data.get("connection"),
        supervisor_id=None
        if supervisor is None
        else get_person(session, organisation_id, supervisor).id,
        keystore=keystore(),
    )
    return _issued(issued, 201)


@api.post("/clients/<client_ref>/revoke")
@requires("admin")
def revoke_client_view(client_ref: str) -> Response:
    """Revoke an API client (by id or name): its token is refused from the next request.
    ---
    post:
      tags: [clients]
      parameters: [{in: path, name: client_ref, required: true, schema: {type: string}}]
      requestBody: none
      responses:
        200: {content: {application/json: {schema: ClientSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    session = get_session()
    client = find_client(session, current_principal().organisation_id, client_ref)
    return dump(ClientSchema(), revoke_client(session, client))


@api.post("/clients/<client_ref>/rotate")
@requires("admin")
def rotate_client_view(client_ref: str) -> Response:
    """Give an API client a new token and secret; the old ones are refused at once.
    ---
    post:
      tags: [clients]
      parameters: [{in: path, name: client_ref, required: true, schema: {type: string}}]
      requestBody: none
      responses:
        200: {content: {application/json: {schema: IssuedClientSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    session = get_session()
    client = find_client(session, current_principal().organisation_id, client_ref)
    return _issued(rotate_client(session, client, keystore()), 200)


@api.get("/audit")
@requires("admin")
def list_audit_view() -> Response:
    """The organisation's audit trail, newest first: who created, revoked or rotated which
    API client.
    ---
    get:
      tags: [clients]
      parameters:
        - {in: query, schema: Page}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: AuditEventSchema}
    """
    query = load_query(Page())
    events = paginate(audit_query(current_principal().organisation_id), query)
    return dump_page(AuditEventSchema(), events)
