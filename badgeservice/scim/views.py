"""The SCIM 2.0 endpoints under ``/scim/v2`` (RFC 7644).

In the OpenAPI document with the RFC's resource shapes by reference; SCIM also describes
itself through ``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas`` (public, as
RFC 7644 §4 allows: they say what the server supports, nothing about an organisation). Users and
Groups need a bearer token with the scope ``scim`` (or ``admin``) and only ever see the
token's organisation. Requests and answers are ``application/scim+json``
(``application/json`` is accepted too); every error is a SCIM error document.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from .errors import (
    PREFIX,
    ScimError,
    scim_error_response,
)
from .http import answer, base_url
from .schema import (
    LIST_RESPONSE,
    lookup,
    resource_types,
    schemas_documents,
    service_provider_config,
)

__all__ = ["public"]

public = Blueprint("scim", __name__)

public.after_app_request(scim_error_response)


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
    return answer(service_provider_config(base_url()))


def _discovery_list(documents: list[dict[str, Any]]) -> Response:
    return answer(
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
    return _discovery_list(resource_types(base_url()))


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
    document = lookup(resource_types(base_url()), "id", name)
    if document is None:
        raise ScimError(404, f"no resource type {name!r}")
    return answer(document)


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
    return _discovery_list(schemas_documents(base_url()))


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
    document = lookup(schemas_documents(base_url()), "id", urn)
    if document is None:
        raise ScimError(404, f"no schema {urn!r}")
    return answer(document)
