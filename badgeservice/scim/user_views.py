"""SCIM 2.0 Users (RFC 7644 §3): people, created, read, replaced, patched and deactivated
by the organisation's identity provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from ..auth import current_principal, requires
from ..db import get_session
from . import users
from .errors import (
    PREFIX,
)
from .http import base_url, filter_param, list_answer, one, precondition, read_body
from .patch import apply_patch, normalize
from .query import paging
from .schema import (
    USER,
)

__all__ = ["public"]

public = Blueprint("scim_users", __name__)


# -- Users -------------------------------------------------------------------------------------


def _user(user_id: str) -> Any:
    return users.get_user(get_session(), current_principal().organisation_id, user_id)


@public.get(f"{PREFIX}/Users")
@requires("scim")
def scim_list_users() -> Response:
    """People as SCIM Users (scope scim), filtered and paged.
    ---
    get:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - in: query
          name: filter
          schema: {type: string}
          description: RFC 7644 filter, e.g. userName eq "aino"
        - {in: query, name: startIndex, schema: {type: integer}}
        - {in: query, name: count, schema: {type: integer}}
        - {in: query, name: attributes, schema: {type: string}}
        - {in: query, name: excludedAttributes, schema: {type: string}}
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimListResponse'}}
    """
    page = paging(request.args.get("startIndex"), request.args.get("count"))
    session = get_session()
    total, rows = users.list_users(
        session, current_principal().organisation_id, filter_param(), page
    )
    return list_answer(
        USER, page, total, [users.user_resource(session, p, base_url()) for p in rows]
    )


@public.post(f"{PREFIX}/Users")
@requires("scim")
def scim_create_user() -> Response:
    """Provision a person (one known by externalId, employee number or e-mail is adopted).
    ---
    post:
      tags: [scim]
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
          application/json: {schema: {$ref: '#/components/schemas/ScimResource'}}
      responses:
        201:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
        409: {$ref: '#/components/responses/ScimError'}
    """
    doc = normalize(read_body(), USER)
    session = get_session()
    person = users.create_user(session, current_principal().organisation_id, doc)
    return one(USER, users.user_resource(session, person, base_url()), 201)


@public.get(f"{PREFIX}/Users/<user_id>")
@requires("scim")
def scim_get_user(user_id: str) -> Response:
    """One User.
    ---
    get:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: user_id, required: true, schema: {type: string}}
        - in: header
          name: If-None-Match
          schema: {type: string}
          description: 304 when the resource's ETag matches
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
        304: {description: Not modified (If-None-Match)}
    """
    return one(USER, users.user_resource(get_session(), _user(user_id), base_url()))


@public.put(f"{PREFIX}/Users/<user_id>")
@requires("scim")
def scim_replace_user(user_id: str) -> Response:
    """Replace a User.
    ---
    put:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: user_id, required: true, schema: {type: string}}
        - in: header
          name: If-Match
          schema: {type: string}
          description: 412 unless the resource's ETag matches
      requestBody:
        required: true
        content:
          application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
          application/json: {schema: {$ref: '#/components/schemas/ScimResource'}}
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
        409: {$ref: '#/components/responses/ScimError'}
        412: {$ref: '#/components/responses/ScimError'}
    """
    return _write_user(user_id, lambda current: normalize(read_body(), USER))


@public.patch(f"{PREFIX}/Users/<user_id>")
@requires("scim")
def scim_patch_user(user_id: str) -> Response:
    """Change a User with PATCH operations (all or none).
    ---
    patch:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: user_id, required: true, schema: {type: string}}
        - in: header
          name: If-Match
          schema: {type: string}
          description: 412 unless the resource's ETag matches
      requestBody:
        required: true
        content:
          application/scim+json: {schema: {$ref: '#/components/schemas/ScimPatchOp'}}
          application/json: {schema: {$ref: '#/components/schemas/ScimPatchOp'}}
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
        409: {$ref: '#/components/responses/ScimError'}
        412: {$ref: '#/components/responses/ScimError'}
    """
    return _write_user(user_id, lambda current: apply_patch(current, read_body(), USER))


def _write_user(user_id: str, document: Callable[[dict[str, Any]], dict[str, Any]]) -> Response:
    session, base = get_session(), base_url()
    person = _user(user_id)
    current = users.user_resource(session, person, base)
    precondition(current)
    doc = document(users.user_document(session, person, base))
    users.replace_user(session, person, doc)
    return one(USER, users.user_resource(session, person, base))


@public.delete(f"{PREFIX}/Users/<user_id>")
@requires("scim")
def scim_delete_user(user_id: str) -> Response:
    """Deactivate a person (they keep every credential).
    ---
    delete:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: user_id, required: true, schema: {type: string}}
        - in: header
          name: If-Match
          schema: {type: string}
          description: 412 unless the resource's ETag matches
      responses:
        204: {description: Done}
        412: {$ref: '#/components/responses/ScimError'}
    """
    session = get_session()
    person = _user(user_id)
    precondition(users.user_resource(session, person, base_url()))
    users.delete_user(session, person)
    return Response(status=204)
