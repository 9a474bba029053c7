"""Issuing views: the credential API and the public credential URL."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select

from ..achievements.models import AchievementVersion
from ..api import dump, dump_page, load_query, own, paginate
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from ..people.services import get_person
from ..web.credential_page import credential_page
from ..web.public import prefers_html
from .models import Credential
from .schemas import CredentialListQuery, CredentialSchema
from .services import compact_jws, issuing_service

__all__ = ["api", "credential_view", "public"]

api = Blueprint("issuing", __name__, url_prefix="/api/v1")
public = Blueprint("issuing_public", __name__)


def credential_view(
    credential: Credential, path_credentials: list[Credential] | None = None
) -> dict[str, Any]:
    version = get_session().get(AchievementVersion, credential.achievement_version_id)
    assert version is not None
    return {
        "id": credential.id,
        "url": issuing_service().credential_url(credential.id),
        "person": credential.person_id,
        "achievement": version.achievement_id,
        "achievement_version": version.version,
        "sub_goal": credential.sub_goal_id,
        "path": credential.path_id,
        "issued_at": credential.issued_at,
        "revoked_at": credential.revoked_at,
        "revocation_reason": credential.revocation_reason,
        "status": "revoked" if credential.revoked_at else "active",
        "credential": credential.document,
        "path_credentials": [credential_view(c) for c in path_credentials or []],
    }


@api.get("/credentials")
@requires("admin", "awards:write", "hr:read")
def list_credentials() -> Response:
    """The organisation's credentials, newest first; ``person`` filters.
    ---
    get:
      tags: [credentials]
      parameters:
        - {in: query, schema: CredentialListQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: CredentialSchema}
        404: {$ref: '#/components/responses/NotFound'}
    """
    query = load_query(CredentialListQuery())
    organisation_id = current_principal().organisation_id
    stmt = select(Credential).where(Credential.organisation_id == organisation_id)
    if "person" in query:
        person = get_person(get_session(), organisation_id, query["person"])
        stmt = stmt.where(Credential.person_id == person.id)
    rows = paginate(stmt.order_by(Credential.issued_at.desc(), Credential.id), query)
    return dump_page(CredentialSchema(), [credential_view(c) for c in rows])


@api.get("/credentials/<credential_id>")
@requires("admin", "awards:write", "hr:read")
def get_credential(credential_id: str) -> Response:
    """One credential with its signed document.
    ---
    get:
      tags: [credentials]
      parameters: [{in: path, name: credential_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: CredentialSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(CredentialSchema(), credential_view(own(Credential, credential_id, "credential")))


# The VC vocabulary's own IRI for "the status of this credential", as a link relation.
STATUS_REL = "https://www.w3.org/2018/credentials#credentialStatus"
# The JSON forms first: a client that accepts anything (*/*) gets the JSON document.
_JSON_TYPES = ["application/ld+json", "application/vc+ld+json", "application/json"]
_JWT_TYPES = ["application/vc+jwt", "text/plain"]


@public.get("/credentials/<credential_id>")
def public_credential(credential_id: str) -> Response:
    """The signed credential, for anyone to verify: the JSON document, or its VC-JWT.

    The signed document cannot change when the credential is revoked; the answer tells
    instead: ``Link`` headers to its status list(s) and to the verification endpoint, and
    ``Credential-Status: active | revoked``.
    ---
    get:
      tags: [public]
      parameters: [{in: path, name: credential_id, required: true, schema: {type: string}}]
      responses:
        200:
          description: >-
            the signed OpenBadgeCredential, in the media type the Accept header prefers:
            JSON (the default) or, for application/vc+jwt or text/plain, its VC-JWT (a
            compact JWS over the whole credential, Open Badges 3.0 §8.2), the same token
            every time
          content:
            application/ld+json: {schema: JsonLdDocument}
            application/vc+ld+json: {schema: JsonLdDocument}
            application/json: {schema: JsonLdDocument}
            application/vc+jwt: {schema: {type: string, description: a compact JWS}}
            text/plain: {schema: {type: string, description: a compact JWS}}
            text/html:
              schema:
                type: string
                description: >-
                  the badge page, when the client ranks text/html above the JSON types (a
                  browser): the badge, the earner's name if they allowed it, and a
                  verification done on the spot. A badge its holder has not shared is a 404
                  page saying so (the JSON above is served whatever the sharing).
    """
    try:
        key = uuid.UUID(credential_id)
    except ValueError:
        raise NotFound(f"no credential {credential_id}") from None
    credential = get_session().get(Credential, key)
    if credential is None:
        raise NotFound(f"no credential {credential_id}")
    if prefers_html():
        return credential_page(credential)
    best = request.accept_mimetypes.best_match(_JSON_TYPES + _JWT_TYPES)
    if best in _JWT_TYPES:
        token = compact_jws(issuing_service().issuers, credential)
        response = Response(token, mimetype=best)
    else:
        response = jsonify(credential.document)
        response.mimetype = best or "application/ld+json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Link, Credential-Status"
    response.headers["Vary"] = "Accept"
    response.headers["Credential-Status"] = "revoked" if credential.revoked_at else "active"
    entries = credential.document.get("credentialStatus")
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict) and isinstance(entry.get("statusListCredential"), str):
            response.headers.add("Link", f'<{entry["statusListCredential"]}>; rel="{STATUS_REL}"')
    verify_url = current_app.config["PUBLIC_URL"] + "/api/v1/verify"
    response.headers.add("Link", f'<{verify_url}>; rel="https://badgeservice.dev/rel/verify"')
    return response
