"""Issuer views: the public profile, DID document and status lists; the issuer API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from ..api import dump, dump_page, own
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from ..languages import accepted, pick_language
from ..services import issuer_service
from ..web.public import issuer_page, prefers_html
from .models import Issuer, StatusList
from .schemas import IssuerSchema

__all__ = ["api", "public"]

api = Blueprint("issuers", __name__, url_prefix="/api/v1")
public = Blueprint("issuers_public", __name__)


def _json(document: dict[str, Any], media_type: str, max_age: int) -> Response:
    response = jsonify(document)
    response.mimetype = media_type
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@public.get("/issuers/<org>/<slug>")
def issuer_profile(org: str, slug: str) -> Response:
    """The issuer's OB 3.0 Profile.
    ---
    get:
      tags: [public]
      parameters:
        - {in: path, name: org, required: true, schema: {type: string}}
        - {in: path, name: slug, required: true, schema: {type: string}}
      responses:
        200:
          content:
            application/ld+json: {schema: JsonLdDocument}
            text/html: {schema: {type: string, description: 'the page, for a browser'}}
    """
    service = issuer_service()
    issuer = service.by_slugs(org, slug)
    if prefers_html():
        return issuer_page(issuer)
    # In the language asked for where its texts are written in it, else the default's.
    written = issuer.languages_of("name")
    default = issuer.organisation.default_language
    language = pick_language(written, [*accepted(request.accept_languages), default]) or default
    response = _json(service.profile_document(issuer, language), "application/ld+json", 300)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


@public.get("/issuers/<org>/<slug>/did.json")
def did_document(org: str, slug: str) -> Response:
    """The did:web DID document: every key the issuer ever signed with.
    ---
    get:
      tags: [public]
      parameters:
        - {in: path, name: org, required: true, schema: {type: string}}
        - {in: path, name: slug, required: true, schema: {type: string}}
      responses:
        200: {content: {application/did+json: {schema: JsonLdDocument}}}
    """
    service = issuer_service()
    issuer = service.by_slugs(org, slug)
    return _json(service.did_document(issuer), "application/did+json", 300)


@public.get("/issuers/<org>/<slug>/status/<int:number>")
def status_list(org: str, slug: str, number: int) -> Response:
    """The signed BitstringStatusListCredential, stored when it changed (never signed per
    request); an ETag and a short cache so revocations show quickly, 304 on a match.
    ---
    get:
      tags: [public]
      parameters:
        - {in: path, name: org, required: true, schema: {type: string}}
        - {in: path, name: slug, required: true, schema: {type: string}}
        - {in: path, name: number, required: true, schema: {type: integer, minimum: 0}}
      responses:
        200: {content: {application/vc+ld+json: {schema: JsonLdDocument}}}
        304: {description: the list has not changed since the ETag given in If-None-Match}
    """
    service = issuer_service()
    issuer = service.by_slugs(org, slug)
    if number >= 2**31:  # no list has such a number; SQLite cannot even compare it
        raise NotFound(f"issuer {org}/{slug} has no status list {number}")
    row = get_session().scalar(
        select(StatusList).where(StatusList.issuer_id == issuer.id, StatusList.number == number)
    )
    if row is None:
        raise NotFound(f"issuer {org}/{slug} has no status list {number}")
    response = _json(service.status_list_document(issuer, row), "application/vc+ld+json", 60)
    response.add_etag()
    response.make_conditional(request)
    return response


def _issuer_dump(issuer: Issuer) -> dict[str, Any]:
    service = issuer_service()
    return {
        "id": issuer.id,
        "slug": issuer.slug,
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "description": issuer.description,
        "did": service.did(issuer),
        "profile_url": service.base_url(issuer),
        "keys": [
            {
                "id": f"{service.did(issuer)}#{k.fragment}",
                "public_key_multibase": k.public_key_multibase,
                "created_at": k.created_at,
                "retired_at": k.retired_at,
            }
            for k in issuer.keys
        ],
        "vc_jwt_algorithm": issuer.vc_jwt_algorithm,
        "jose_keys": [
            {
                "id": f"{service.did(issuer)}#{k.fragment}",
                "algorithm": k.algorithm,
                "public_key_jwk": k.public_jwk,
                "created_at": k.created_at,
                "retired_at": k.retired_at,
            }
            for k in issuer.jose_keys
        ],
    }


@api.get("/issuers")
@requires("admin", "awards:write")
def list_issuers() -> Response:
    """List the organisation's issuers.
    ---
    get:
      tags: [issuers]
      responses:
        200:
          content:
            application/json:
              schema: {page-of: IssuerSchema}
    """
    rows = get_session().scalars(
        select(Issuer)
        .where(Issuer.organisation_id == current_principal().organisation_id)
        .order_by(Issuer.slug)
    )
    return dump_page(IssuerSchema(), [_issuer_dump(r) for r in rows])


@api.get("/issuers/<issuer_id>")
@requires("admin", "awards:write")
def get_issuer(issuer_id: str) -> Response:
    """One issuer with its DID and public keys.
    ---
    get:
      tags: [issuers]
      parameters: [{in: path, name: issuer_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: IssuerSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(IssuerSchema(), _issuer_dump(own(Issuer, issuer_id, "issuer")))


@api.post("/issuers/<issuer_id>/keys/rotate")
@requires("admin")
def rotate_issuer_key(issuer_id: str) -> Response:
    """Add a new signing key (and a new VC-JWT key); old keys stay in the DID document.
    ---
    post:
      tags: [issuers]
      parameters: [{in: path, name: issuer_id, required: true, schema: {type: string}}]
      requestBody: none
      responses:
        200: {content: {application/json: {schema: IssuerSchema}}}
    """
    issuer = own(Issuer, issuer_id, "issuer")
    issuer_service().rotate_key(issuer)
    return dump(IssuerSchema(), _issuer_dump(issuer))
