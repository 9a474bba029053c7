"""Admin API: the organisation's sign-in settings and people's role grants."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

from ..api import dump, dump_page, load_body, load_query, paginate, parse_id, parse_ref
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from ..organisations.models import Organisation
from ..organisations.services import get_organisation
from ..people.models import Person
from ..people.services import get_person
from ..services import keystore
from .models import SignInSettings
from .roles import grant_role, grants_query, parse_role, revoke_role, roles_of
from .schemas import (
    PersonRolesSchema,
    RoleGrantQuery,
    RoleGrantSchema,
    SignInSettingsInSchema,
    SignInSettingsSchema,
)
from .signin import SignInSpec, delete_settings, get_settings, put_settings

__all__ = ["api"]

api = Blueprint("access", __name__, url_prefix="/api/v1")


def _own_organisation(organisation_id: str) -> Organisation:
    wanted = parse_id(organisation_id, "organisation")
    if wanted != current_principal().organisation_id:
        raise NotFound(f"no organisation {organisation_id}")
    return get_organisation(get_session(), wanted)


def _settings_view(organisation: Organisation, row: SignInSettings) -> dict[str, Any]:
    base = current_app.config["PUBLIC_URL"]
    return {
        "issuer": row.issuer,
        "client_id": row.client_id,
        "client_secret_set": row.client_secret_ciphertext is not None,
        "match": row.match,
        "claim": row.claim,
        "redirect_uri": f"{base}/o/{organisation.slug}/sign-in/callback",
        "source": row.source,
        "updated_at": row.updated_at,
    }


@api.get("/organisations/<organisation_id>/sign-in")
@requires("admin")
def get_sign_in_view(organisation_id: str) -> Response:
    """The organisation's OpenID Connect sign-in settings (never the client secret).
    ---
    get:
      tags: [organisations]
      parameters: [{in: path, name: organisation_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: SignInSettingsSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    organisation = _own_organisation(organisation_id)
    row = get_settings(get_session(), organisation.id)
    if row is None:
        raise NotFound(f"organisation {organisation.slug!r} has no sign-in settings")
    return dump(SignInSettingsSchema(), _settings_view(organisation, row))


@api.put("/organisations/<organisation_id>/sign-in")
@requires("admin")
def put_sign_in_view(organisation_id: str) -> Response:
    """Set the organisation's identity provider: issuer URL (https; its discovery document
    is read at sign-in), client id and secret, and how a signed-in person is matched:
    ``match`` = ``employee_number``, ``email`` or ``sub`` (the person's external id),
    read from ``claim`` (default: the claim of that name). The secret is stored encrypted.
    ---
    put:
      tags: [organisations]
      parameters: [{in: path, name: organisation_id, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content: {application/json: {schema: SignInSettingsInSchema}}
      responses:
        200: {content: {application/json: {schema: SignInSettingsSchema}}}
        201: {content: {application/json: {schema: SignInSettingsSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    organisation = _own_organisation(organisation_id)
    data = load_body(SignInSettingsInSchema())
    spec = SignInSpec(
        issuer=data["issuer"],
        client_id=data["client_id"],
        client_secret=data.get("client_secret"),
        match=data["match"],
        claim=data.get("claim"),
    )
    row, outcome = put_settings(
        get_session(),
        organisation.id,
        spec,
        keystore=keystore(),
        keep_secret="client_secret" not in data,
    )
    status = 201 if outcome == "created" else 200
    return dump(SignInSettingsSchema(), _settings_view(organisation, row), status)


@api.delete("/organisations/<organisation_id>/sign-in")
@requires("admin")
def delete_sign_in_view(organisation_id: str) -> Response:
    """Remove the sign-in settings: nobody can sign in to the pages until new ones are set
    (sessions already open stay until they end).
    ---
    delete:
      tags: [organisations]
      parameters: [{in: path, name: organisation_id, required: true, schema: {type: string}}]
      responses:
        204: {description: removed}
        404: {$ref: '#/components/responses/NotFound'}
    """
    organisation = _own_organisation(organisation_id)
    if not delete_settings(get_session(), organisation.id):
        raise NotFound(f"organisation {organisation.slug!r} has no sign-in settings")
    return Response(status=204)


def _own_person(person_id: str) -> Person:
    organisation_id = current_principal().organisation_id
    return get_person(get_session(), organisation_id, parse_ref(person_id))


def _roles_view(person: Person) -> dict[str, Any]:
    session = get_session()
    held = roles_of(session, person)
    return {
        "person": person.id,
        "roles": [role.value for role in held.ordered()],
        "supervised_teams": sorted(held.supervised_teams, key=str),
        "grants": list(session.scalars(grants_query(person.organisation_id, person_id=person.id))),
    }


@api.get("/people/<person_id>/roles")
@requires("admin")
def person_roles_view(person_id: str) -> Response:
    """The person's roles: learner (everyone active), supervisor (of the teams they
    supervise), and the granted ones (assessor, hr, admin) with where each comes from.
    ---
    get:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: PersonRolesSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(PersonRolesSchema(), _roles_view(_own_person(person_id)))


@api.put("/people/<person_id>/roles/<role>")
@requires("admin")
def grant_role_view(person_id: str, role: str) -> Response:
    """Grant ``assessor``, ``hr`` or ``admin`` (idempotent: 201 when new, 200 when held).
    ---
    put:
      tags: [people]
      parameters:
        - {in: path, name: person_id, required: true, schema: {type: string}}
        - in: path
          name: role
          required: true
          schema: {type: string, enum: [assessor, hr, admin]}
      requestBody: none
      responses:
        200: {content: {application/json: {schema: PersonRolesSchema}}}
        201: {content: {application/json: {schema: PersonRolesSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    person = _own_person(person_id)
    _, created = grant_role(get_session(), person, parse_role(role))
    return dump(PersonRolesSchema(), _roles_view(person), 201 if created else 200)


@api.delete("/people/<person_id>/roles/<role>")
@requires("admin")
def revoke_role_view(person_id: str, role: str) -> Response:
    """Take a granted role away; one declared in people.toml is changed there (409).
    ---
    delete:
      tags: [people]
      parameters:
        - {in: path, name: person_id, required: true, schema: {type: string}}
        - in: path
          name: role
          required: true
          schema: {type: string, enum: [assessor, hr, admin]}
      responses:
        200: {content: {application/json: {schema: PersonRolesSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    person = _own_person(person_id)
    revoke_role(get_session(), person, parse_role(role))
    return dump(PersonRolesSchema(), _roles_view(person))


@api.get("/role-grants")
@requires("admin")
def list_role_grants_view() -> Response:
    """Every role grant of the organisation, optionally of one role.
    ---
    get:
      tags: [people]
      parameters:
        - {in: query, schema: RoleGrantQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: RoleGrantSchema}
        400: {$ref: '#/components/responses/BadRequest'}
    """
    query = load_query(RoleGrantQuery())
    statement = grants_query(current_principal().organisation_id, role=query.get("role"))
    return dump_page(RoleGrantSchema(), paginate(statement, query))
