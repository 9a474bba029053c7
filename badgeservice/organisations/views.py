"""Organisation views: a token sees exactly its own organisation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..api import dump, dump_page, load_body, load_query, paginate, parse_id
from ..audit.export import audit_download
from ..audit.services import AuditFilter
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from ..people.services import get_person
from ..services import keystore
from .schemas import (
    AuditEventSchema,
    AuditQuery,
    ClientInSchema,
    ClientListQuery,
    ClientSchema,
    OrganisationSchema,
    OrganisationSettingsSchema,
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
    set_retention,
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
    """Give an API client a new token and secret; the old ones are refused at once (the old
    secret on signed completion events in worker mode within a second).
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
    """The organisation's audit trail, newest first: every admin and assessor action, every
    credential state change, every export and erasure — who, when, what, from where.

    Filters: ``actor`` and ``target`` match a part of the name or id (any case),
    ``action`` an action or its prefix (``credential.``), ``from`` and ``to`` a time range
    (from inclusive, to exclusive). ``format=csv`` or ``Accept: text/csv`` streams CSV
    (RFC 4180, a header row, ``details`` as JSON; cells a spreadsheet would run as a
    formula are prefixed with ``'``), ``format=jsonl`` or ``Accept: application/jsonl``
    JSON Lines; a download holds every match unless ``limit`` is given.
    ---
    get:
      tags: [audit]
      parameters:
        - {in: query, schema: AuditQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: AuditEventSchema}
            text/csv:
              schema: {type: string}
            application/jsonl:
              schema: {type: string}
        400: {$ref: '#/components/responses/BadRequest'}
    """
    query = load_query(AuditQuery())
    organisation_id = current_principal().organisation_id
    where = AuditFilter.of(query)
    wanted = _audit_format(query.get("format"))
    if wanted == "json":
        return dump_page(AuditEventSchema(), paginate(audit_query(organisation_id, where), query))
    # A download holds every match unless a limit was asked for.
    limit = query["limit"] if "limit" in request.args else None
    return audit_download(organisation_id, where, wanted, limit, query["offset"])


def _audit_format(format_: str | None) -> str:
    if format_ is not None:
        return format_
    offered = {"application/json": "json", "text/csv": "csv", "application/jsonl": "jsonl"}
    return offered[request.accept_mimetypes.best_match(list(offered)) or "application/json"]


@api.patch("/organisations/<organisation_id>")
@requires("admin")
def update_organisation_view(organisation_id: str) -> Response:
    """Change the organisation's settings: its retention periods in days (each optional;
    defaults 90 for inbox payloads, 180 for delivery attempts, 730 for audit entries).
    ---
    patch:
      tags: [organisations]
      parameters: [{in: path, name: organisation_id, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content: {application/json: {schema: OrganisationSettingsSchema}}
      responses:
        200: {content: {application/json: {schema: OrganisationSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    wanted = parse_id(organisation_id, "organisation")
    if wanted != current_principal().organisation_id:
        raise NotFound(f"no organisation {organisation_id}")
    data = load_body(OrganisationSettingsSchema())
    session = get_session()
    organisation = get_organisation(session, wanted)
    days = {key.removesuffix("_days"): value for key, value in data["retention"].items()}
    return dump(OrganisationSchema(), set_retention(session, organisation, **days))
