"""SCIM 2.0 Groups (RFC 7644 §3): the organisation's teams and their members, kept by its
identity provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from ..auth import current_principal, requires
from ..db import get_session
from . import groups
from .errors import (
    PREFIX,
)
from .http import base_url, filter_param, list_answer, one, precondition, read_body
from .patch import apply_patch, normalize
from .query import paging
from .schema import (
    GROUP,
)

__all__ = ["public"]

public = Blueprint("scim_groups", __name__)


# -- Groups ------------------------------------------------------------------------------------


def _group(group_id: str) -> Any:
    return groups.get_group(get_session(), current_principal().organisation_id, group_id)


@public.get(f"{PREFIX}/Groups")
@requires("scim")
def scim_list_groups() -> Response:
    """Teams as SCIM Groups (scope scim), filtered and paged.
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
    total, rows = groups.list_groups(
        session, current_principal().organisation_id, filter_param(), page
    )
    return list_answer(
        GROUP, page, total, [groups.group_resource(session, t, base_url()) for t in rows]
    )


@public.post(f"{PREFIX}/Groups")
@requires("scim")
def scim_create_group() -> Response:
    """Provision a team with its members.
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
    doc = normalize(read_body(), GROUP)
    session = get_session()
    team = groups.create_group(session, current_principal().organisation_id, doc)
    return one(GROUP, groups.group_resource(session, team, base_url()), 201)


@public.get(f"{PREFIX}/Groups/<group_id>")
@requires("scim")
def scim_get_group(group_id: str) -> Response:
    """One Group.
    ---
    get:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: group_id, required: true, schema: {type: string}}
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
    return one(GROUP, groups.group_resource(get_session(), _group(group_id), base_url()))


@public.put(f"{PREFIX}/Groups/<group_id>")
@requires("scim")
def scim_replace_group(group_id: str) -> Response:
    """Replace a Group.
    ---
    put:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: group_id, required: true, schema: {type: string}}
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
    return _write_group(group_id, lambda current: normalize(read_body(), GROUP))


@public.patch(f"{PREFIX}/Groups/<group_id>")
@requires("scim")
def scim_patch_group(group_id: str) -> Response:
    """Change a Group (e.g. its members) with PATCH operations.
    ---
    patch:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: group_id, required: true, schema: {type: string}}
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
    return _write_group(group_id, lambda current: apply_patch(current, read_body(), GROUP))


def _write_group(group_id: str, document: Callable[[dict[str, Any]], dict[str, Any]]) -> Response:
    session, base = get_session(), base_url()
    team = _group(group_id)
    precondition(groups.group_resource(session, team, base))
    doc = document(groups.group_document(session, team, base))
    groups.replace_group(session, team, doc)
    return one(GROUP, groups.group_resource(session, team, base))


@public.delete(f"{PREFIX}/Groups/<group_id>")
@requires("scim")
def scim_delete_group(group_id: str) -> Response:
    """Delete a team (its people stay).
    ---
    delete:
      tags: [scim]
      security: [{bearer: []}]
      parameters:
        - {in: path, name: group_id, required: true, schema: {type: string}}
        - in: header
          name: If-Match
          schema: {type: string}
          description: 412 unless the resource's ETag matches
      responses:
        204: {description: Done}
        412: {$ref: '#/components/responses/ScimError'}
    """
    session = get_session()
    team = _group(group_id)
    precondition(groups.group_resource(session, team, base_url()))
    groups.delete_group(session, team)
    return Response(status=204)
