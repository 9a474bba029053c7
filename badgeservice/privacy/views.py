"""Personal data through the API (an admin, on a person's behalf: their export, their
erasure) and the export's JSON Schema, published for anyone to validate an export with."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_file

from ..api import dump, load_body, parse_ref
from ..auth import current_principal, requires
from ..credentials.resources import schemas_dir
from ..db import get_session
from ..errors import BadRequest
from ..people.models import Person
from ..people.services import get_person
from .schemas import ErasureInSchema, ErasureReportSchema
from .service import SCHEMA_PATH, erase, export_file, export_filename

__all__ = ["api", "public"]

api = Blueprint("privacy", __name__, url_prefix="/api/v1")
public = Blueprint("privacy_public", __name__)


def _actor() -> str:
    principal = current_principal()
    return f"client {principal.client_id} ({principal.name})"


def _own_person(person_id: str) -> Person:
    return get_person(get_session(), current_principal().organisation_id, parse_ref(person_id))


@api.post("/people/<person_id>/export")
@requires("admin")
def export_person_view(person_id: str) -> Response:
    """Everything held about the person, as a zip (on their behalf; recorded in the audit
    trail): ``export.json`` (valid against the JSON Schema it names in ``$schema``,
    published at ``/schemas/privacy/personal-data-export.schema.json``), each credential's
    signed JSON and its image with the credential baked in, and each evidence file.
    ---
    post:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      requestBody: none
      responses:
        200:
          content:
            application/zip: {schema: {type: string, format: binary}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    person = _own_person(person_id)
    out = export_file(get_session(), person, _actor(), current_app.config["PUBLIC_URL"])
    response = send_file(
        out, mimetype="application/zip", as_attachment=True, download_name=export_filename(person)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@api.post("/people/<person_id>/erase")
@requires("admin")
def erase_person_view(person_id: str) -> Response:
    """Erase the person's personal data, in one transaction: names, e-mail, employee
    number and every other identifier, LMS accounts, sign-in links, sessions, role grants,
    team memberships, evidence files and texts, the raw inbox payloads naming them, their
    e-mail notices, and their identifiers in HR events (the deliveries still waiting send
    them anonymised). The person stays as a tombstone: their credentials keep verifying
    (they hold salted hashes only) and can still be revoked. HR is sent ``person.erased``.
    ``confirm`` must be the person's employee number or full name. The answer says what was
    removed and what was kept, and why; erasing again is a 409.
    ---
    post:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: ErasureInSchema}}}
      responses:
        200: {content: {application/json: {schema: ErasureReportSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    from .erasure import is_confirmed

    person = _own_person(person_id)
    data = load_body(ErasureInSchema())
    if person.erased_at is None and not is_confirmed(person, data["confirm"]):
        raise BadRequest(
            "confirm must be the person's employee number or full name",
            errors={"confirm": ["does not match the person's employee number or full name"]},
        )
    report = erase(get_session(), person, _actor())
    return dump(ErasureReportSchema(), report)


@public.get("/schemas/privacy/personal-data-export.schema.json")
def export_schema_view() -> Response:
    """The JSON Schema of a personal data export's ``export.json``.
    ---
    get:
      tags: [public]
      responses:
        200:
          content:
            application/schema+json: {schema: {type: object}}
    """
    response = send_file(
        schemas_dir() / SCHEMA_PATH.removeprefix("schemas/"), mimetype="application/schema+json"
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
