"""The SCIM 2.0 endpoints under ``/scim/v2`` (RFC 7644).

In the OpenAPI document with the RFC's resource shapes by reference; SCIM also describes
itself through ``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas`` (public, as
RFC 7644 §4 allows: they say what the server supports, nothing about an organisation). Users and
Groups need a bearer token with the scope ``scim`` (or ``admin``) and only ever see the
token's organisation. Requests and answers are ``application/scim+json``
(``application/json`` is accepted too); every error is a SCIM error document.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request

from ..api import MalformedJson, parse_json
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import BadRequest
from . import groups, users
from .errors import (
    MEDIA_TYPE,
    PREFIX,
    ScimError,
    invalid_filter,
    invalid_syntax,
    invalid_value,
    scim_error_response,
)
from .filters import Filter, FilterError, parse_filter
from .patch import apply_patch, normalize
from .query import Paging, paging
from .schema import (
    GROUP,
    LIST_RESPONSE,
    USER,
    ResourceType,
    lookup,
    resource_types,
    schemas_documents,
    service_provider_config,
)
from .services import project

__all__ = ["public"]

public = Blueprint("scim", __name__)

public.after_app_request(scim_error_response)

JSON_TYPES = frozenset({"application/scim+json", "application/json"})


def _base() -> str:
    return f"{current_app.config['PUBLIC_URL']}{PREFIX}"


def _answer(body: Any, status: int = 200, *, etag: str | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    if etag:
        response.headers["ETag"] = etag
    return response


def _body() -> Any:
    """The JSON request body; SCIM errors for a wrong media type or malformed JSON (an
    oversized body is refused with 413 while reading)."""
    if request.mimetype not in JSON_TYPES:
        raise ScimError(415, "send the body as application/scim+json (or application/json)")
    raw = request.get_data(cache=False)
    try:
        return parse_json(raw)
    except MalformedJson as exc:
        raise invalid_syntax(exc.detail) from None
    except BadRequest as exc:
        # Well-formed JSON with a value no attribute can hold (NUL, a lone surrogate, an
        # infinite number).
        raise invalid_value(exc.detail) from None


def _filter() -> Filter | None:
    text = request.args.get("filter")
    if text is None:
        return None
    try:
        return parse_filter(text)
    except (FilterError, RecursionError) as exc:
        raise invalid_filter(f"filter: {exc}") from None


def _list(
    resource_type: ResourceType, page: Paging, total: int, resources: list[dict[str, Any]]
) -> Response:
    shown = [
        project(
            r,
            resource_type,
            request.args.get("attributes"),
            request.args.get("excludedAttributes"),
        )
        for r in resources
    ]
    return _answer(
        {
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": page.start_index,
            "itemsPerPage": len(shown),
            "Resources": shown,
        }
    )


def _one(resource_type: ResourceType, resource: dict[str, Any], status: int = 200) -> Response:
    tag = resource["meta"]["version"]
    unchanged = _matches(request.headers.get("If-None-Match"), tag)
    if status == 200 and request.method == "GET" and unchanged:
        return Response(status=304, headers={"ETag": tag})
    shown = project(
        resource,
        resource_type,
        request.args.get("attributes"),
        request.args.get("excludedAttributes"),
    )
    response = _answer(shown, status, etag=tag)
    if status == 201:
        response.headers["Location"] = resource["meta"]["location"]
    return response


def _matches(header: str | None, tag: str) -> bool:
    """Weak comparison of an entity tag against an ``If-Match``/``If-None-Match`` list."""
    if header is None:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def _precondition(resource: dict[str, Any]) -> None:
    """``If-Match`` on a write: 412 when the resource changed since the client read it."""
    header = request.headers.get("If-Match")
    if header is not None and not _matches(header, resource["meta"]["version"]):
        raise ScimError(412, "the resource changed (If-Match does not match its version)")


# -- discovery (public) ----------------------------------------------------------------------


@public.get(f"{PREFIX}/ServiceProviderConfig")
def scim_service_provider_config() -> Response:
    """What this SCIM server supports (RFC 7643 §5); public.
    ---
    get:
      tags: [scim]
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
    """
    return _answer(service_provider_config(_base()))


def _discovery_list(documents: list[dict[str, Any]]) -> Response:
    return _answer(
        {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(documents),
            "startIndex": 1,
            "itemsPerPage": len(documents),
            "Resources": documents,
        }
    )


@public.get(f"{PREFIX}/ResourceTypes")
def scim_resource_types() -> Response:
    """The resource types, User and Group; public.
    ---
    get:
      tags: [scim]
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimListResponse'}}
    """
    return _discovery_list(resource_types(_base()))


@public.get(f"{PREFIX}/ResourceTypes/<name>")
def scim_resource_type(name: str) -> Response:
    """One resource type; public.
    ---
    get:
      tags: [scim]
      parameters:
        - {in: path, name: name, required: true, schema: {type: string}}
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
        404: {$ref: '#/components/responses/ScimError'}
    """
    document = lookup(resource_types(_base()), "id", name)
    if document is None:
        raise ScimError(404, f"no resource type {name!r}")
    return _answer(document)


@public.get(f"{PREFIX}/Schemas")
def scim_schemas() -> Response:
    """The schemas of Users, Groups and the enterprise extension; public.
    ---
    get:
      tags: [scim]
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimListResponse'}}
    """
    return _discovery_list(schemas_documents(_base()))


@public.get(f"{PREFIX}/Schemas/<path:urn>")
def scim_schema(urn: str) -> Response:
    """One schema by its URN; public.
    ---
    get:
      tags: [scim]
      parameters:
        - {in: path, name: urn, required: true, schema: {type: string}}
      responses:
        200:
          content:
            application/scim+json: {schema: {$ref: '#/components/schemas/ScimResource'}}
        404: {$ref: '#/components/responses/ScimError'}
    """
    document = lookup(schemas_documents(_base()), "id", urn)
    if document is None:
        raise ScimError(404, f"no schema {urn!r}")
    return _answer(document)


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
    total, rows = users.list_users(session, current_principal().organisation_id, _filter(), page)
    return _list(USER, page, total, [users.user_resource(session, p, _base()) for p in rows])


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
    doc = normalize(_body(), USER)
    session = get_session()
    person = users.create_user(session, current_principal().organisation_id, doc)
    return _one(USER, users.user_resource(session, person, _base()), 201)


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
    return _one(USER, users.user_resource(get_session(), _user(user_id), _base()))


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
    return _write_user(user_id, lambda current: normalize(_body(), USER))


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
    return _write_user(user_id, lambda current: apply_patch(current, _body(), USER))


def _write_user(user_id: str, document: Callable[[dict[str, Any]], dict[str, Any]]) -> Response:
    session, base = get_session(), _base()
    person = _user(user_id)
    current = users.user_resource(session, person, base)
    _precondition(current)
    doc = document(users.user_document(session, person, base))
    users.replace_user(session, person, doc)
    return _one(USER, users.user_resource(session, person, base))


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
    _precondition(users.user_resource(session, person, _base()))
    users.delete_user(session, person)
    return Response(status=204)


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
    total, rows = groups.list_groups(session, current_principal().organisation_id, _filter(), page)
    return _list(GROUP, page, total, [groups.group_resource(session, t, _base()) for t in rows])


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
    doc = normalize(_body(), GROUP)
    session = get_session()
    team = groups.create_group(session, current_principal().organisation_id, doc)
    return _one(GROUP, groups.group_resource(session, team, _base()), 201)


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
    return _one(GROUP, groups.group_resource(get_session(), _group(group_id), _base()))


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
    return _write_group(group_id, lambda current: normalize(_body(), GROUP))


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
    return _write_group(group_id, lambda current: apply_patch(current, _body(), GROUP))


def _write_group(group_id: str, document: Callable[[dict[str, Any]], dict[str, Any]]) -> Response:
    session, base = get_session(), _base()
    team = _group(group_id)
    _precondition(groups.group_resource(session, team, base))
    doc = document(groups.group_document(session, team, base))
    groups.replace_group(session, team, doc)
    return _one(GROUP, groups.group_resource(session, team, base))


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
    _precondition(groups.group_resource(session, team, _base()))
    groups.delete_group(session, team)
    return Response(status=204)
