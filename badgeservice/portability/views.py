"""A person's own identities and their badges re-issued to them, through the API (admin
tokens). An admin may ask for a confirmation e-mail, relay a wallet's signed challenge
and ask for a re-issue; what makes an identity the person's — following the mailed link,
signing with the DID's key — only the person can do."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

from ..api import dump, load_body, parse_ref
from ..auth import current_principal, requires
from ..db import get_session
from ..issuing.services import issuing_service
from ..people.models import Person
from ..people.services import visible_person
from .identities import (
    bind_did,
    forget_personal_email,
    new_did_challenge,
    pending_address,
    request_personal_email,
)
from .reissue import reissue_all
from .schemas import (
    DidChallengeSchema,
    DidProofInSchema,
    IdentitiesSchema,
    PersonalEmailInSchema,
    ReissuedSchema,
    ReissueInSchema,
)

__all__ = ["api"]

api = Blueprint("portability", __name__, url_prefix="/api/v1")


def _person(person_id: str) -> Person:
    return visible_person(get_session(), current_principal(), parse_ref(person_id))


def _key() -> bytes:
    key: bytes = current_app.extensions["badgeservice.token_key"]
    return key


def _actor() -> str:
    principal = current_principal()
    return f"client {principal.client_id} ({principal.name})"


def _identities(person: Person, status: int = 200) -> Response:
    data: dict[str, Any] = {
        "personal_email": person.personal_email,
        "personal_email_verified_at": person.personal_email_verified_at,
        "pending_email": pending_address(get_session(), person),
        "bound_did": person.bound_did,
        "bound_did_at": person.bound_did_at,
    }
    return dump(IdentitiesSchema(), data, status)


@api.get("/people/<person_id>/identities")
@requires("admin")
def identities_view(person_id: str) -> Response:
    """The person's own identities (a confirmed personal e-mail, a bound DID).
    ---
    get:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: IdentitiesSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return _identities(_person(person_id))


@api.post("/people/<person_id>/identities/email")
@requires("admin")
def personal_email_view(person_id: str) -> Response:
    """Mail a confirmation link to a personal address: it becomes the person's only when
    they follow the link (``pendingEmail`` until then). At most five an hour (429).
    ---
    post:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: PersonalEmailInSchema}}}
      responses:
        202: {content: {application/json: {schema: IdentitiesSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        429: {description: Too many confirmation e-mails for this person in an hour}
    """
    person = _person(person_id)
    body = load_body(PersonalEmailInSchema())
    request_personal_email(get_session(), person, body["email"], _key())
    return _identities(person, 202)


@api.delete("/people/<person_id>/identities/email")
@requires("admin")
def forget_email_view(person_id: str) -> Response:
    """Remove the personal address (copies re-issued to it stay valid).
    ---
    delete:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: IdentitiesSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    person = _person(person_id)
    forget_personal_email(get_session(), person, _actor())
    return _identities(person)


@api.post("/people/<person_id>/identities/did-challenge")
@requires("admin")
def did_challenge_view(person_id: str) -> Response:
    """A fresh challenge (10 minutes) for the person's wallet to sign with the DID's key.
    ---
    post:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      requestBody: none
      responses:
        201: {content: {application/json: {schema: DidChallengeSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    row, challenge = new_did_challenge(get_session(), _person(person_id), _key())
    return dump(DidChallengeSchema(), {"challenge": challenge, "expires_at": row.expires_at}, 201)


@api.put("/people/<person_id>/identities/did")
@requires("admin")
def bind_did_view(person_id: str) -> Response:
    """Bind the did:key whose key signed the person's live challenge.
    ---
    put:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: DidProofInSchema}}}
      responses:
        200: {content: {application/json: {schema: IdentitiesSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    person = _person(person_id)
    bind_did(get_session(), person, load_body(DidProofInSchema())["proof"])
    return _identities(person)


@api.post("/people/<person_id>/reissue")
@requires("admin")
def reissue_view(person_id: str) -> Response:
    """Re-issue the person's credentials (not revoked) to their confirmed personal e-mail
    or bound DID: new credentials, the originals kept valid; asking again makes nothing
    twice (``created`` false). Also for a deactivated person. HR hears nothing.
    ---
    post:
      tags: [credentials]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: ReissueInSchema}}}
      responses:
        200: {content: {application/json: {schema: ReissuedSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    person, session = _person(person_id), get_session()
    to = load_body(ReissueInSchema())["to"]
    service = issuing_service(session)
    done = reissue_all(session, service, person, to, _actor())
    copies = [
        {
            "id": item.copy.id,
            "url": service.credential_url(item.copy.id),
            "reissued_from": item.original.id,
            "created": item.created,
        }
        for item in done
    ]
    return dump(ReissuedSchema(), {"credentials": copies})
