"""Build the OpenAPI document: every route's docstring operation (the REST API, the
inbound channels, SCIM, the public documents), with the marshmallow schemas it names turned
into components, and the error answers every operation can give added where its docstring
does not list them."""

from __future__ import annotations

import copy
import re
from http import HTTPStatus
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import Flask

from .. import __version__
from ..api import PAGE_OF, page_schema

__all__ = ["build_spec"]

_PATH_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "description": "field → messages, for invalid input"},
    },
}
RESPONSES = {
    "BadRequest": "The input is malformed or invalid; `detail` and `errors` say what.",
    "Unauthorized": "No valid bearer token.",
    "Forbidden": "The token lacks the scope.",
    "NotFound": "No such resource in the caller's organisation.",
    "Conflict": "The change conflicts with existing data.",
    "PayloadTooLarge": "The body is larger than the configured limit.",
    "UnsupportedMediaType": "The body is not JSON (`Content-Type: application/json`).",
    "Busy": "The database is busy; nothing was changed. Send the request again after "
    "`Retry-After` seconds.",
}
# The error answers an operation can give by what it takes, added unless its docstring
# lists them: a body (400, 413, 415), query parameters (400), path parameters (404), the
# database (503), a bearer token (401, 403).
_BY_CODE = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "413": "PayloadTooLarge",
    "415": "UnsupportedMediaType",
    "414": "UriTooLong",
    "503": "Busy",
}
# Routes that read no database (no 503) and routes not described (static files).
_NO_DATABASE = frozenset(
    {"/", "/healthz", "/api/docs", "/api/docs/{filename}", "/api/v1/openapi.json"}
)
_UNDESCRIBED = frozenset({"static"})

SCIM_SCHEMAS = {
    "ScimResource": {
        "type": "object",
        "description": "A SCIM 2.0 User or Group (RFC 7643 §4), with the enterprise user "
        "extension (§4.3); the server's own /scim/v2/Schemas documents list every attribute.",
        "externalDocs": {"url": "https://www.rfc-editor.org/rfc/rfc7643"},
        "required": ["schemas"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "id": {"type": "string"},
            "externalId": {"type": "string"},
            "meta": {"type": "object"},
        },
    },
    "ScimListResponse": {
        "type": "object",
        "description": "RFC 7644 §3.4.2 ListResponse.",
        "externalDocs": {"url": "https://www.rfc-editor.org/rfc/rfc7644#section-3.4.2"},
        "required": ["schemas", "totalResults", "Resources"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "totalResults": {"type": "integer", "minimum": 0},
            "startIndex": {"type": "integer", "minimum": 1},
            "itemsPerPage": {"type": "integer", "minimum": 0},
            "Resources": {"type": "array", "items": {"type": "object"}},
        },
    },
    "ScimPatchOp": {
        "type": "object",
        "description": "RFC 7644 §3.5.2 PatchOp.",
        "externalDocs": {"url": "https://www.rfc-editor.org/rfc/rfc7644#section-3.5.2"},
        "required": ["schemas", "Operations"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "Operations": {"type": "array", "items": {"type": "object"}},
        },
    },
    "ScimError": {
        "type": "object",
        "description": "RFC 7644 §3.12 error.",
        "externalDocs": {"url": "https://www.rfc-editor.org/rfc/rfc7644#section-3.12"},
        "required": ["schemas", "status", "detail"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "status": {"type": "string"},
            "scimType": {"type": "string"},
            "detail": {"type": "string"},
        },
    },
    "XapiStatement": {
        "type": "object",
        "description": "An xAPI 1.0.3 Statement (the IEEE 9274.1.1 data model).",
        "externalDocs": {
            "url": "https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Data.md#statements"
        },
    },
    "XapiError": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "JsonLdDocument": {
        "type": "object",
        "description": "A JSON-LD document (a verifiable credential, an OB 3.0 Profile or "
        "Achievement, a DID document).",
        "required": ["@context"],
        "properties": {"@context": {}},
    },
}


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document for every route of ``app``."""
    spec = APISpec(
        title="badgeservice API",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Open Badges 3.0 issuing and competence recognition: the REST "
            "API (`/api/v1`, bearer tokens), the inbound channels (completion webhook, "
            "xAPI, Moodle), SCIM 2.0 (`/scim/v2`) and the public documents anyone can "
            "verify a badge with. Errors are RFC 9457 problem+json, except under "
            '`/scim/v2` (SCIM errors) and `/xapi` (`{"error": …}`).\n\n'
            "**Identifiers people know.** Wherever an id is taken, its natural key is "
            "accepted too: a person by employee number or e-mail, a team, path or "
            "achievement by slug, a sub-goal as `path-slug/sub-goal-slug`, a competence as "
            "`framework-slug:code` (e.g. `digcomp22:4.2`)."
        },
        servers=[{"url": app.config["PUBLIC_URL"]}],
    )
    _components(spec)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in _UNDESCRIBED:
            continue
        view = app.view_functions[rule.endpoint]
        operations = load_operations_from_docstring(view.__doc__ or "")
        if not operations:
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        summary = (view.__doc__ or "").strip().split("\n")[0]
        for operation in operations.values():
            operation.setdefault("summary", summary)
            operation.setdefault("operationId", rule.endpoint.rsplit(".", 1)[-1])
            if rule.rule.startswith("/api/v1/"):
                operation.setdefault("security", [{"bearer": []}])
            else:
                operation.setdefault("security", [])
            if operation.get("requestBody") == "none":
                operation["requestBody"] = copy.deepcopy(NO_BODY)
            _default_errors(path, rule, operation)
            _page_envelopes(operation)
        spec.path(path=path, operations=operations)
    document: dict[str, Any] = _portable_patterns(spec.to_dict())
    return document


def _components(spec: APISpec) -> None:
    """The shared schemas, error answers and security schemes operations refer to."""
    spec.components.schema("Problem", PROBLEM)
    for name, schema in SCIM_SCHEMAS.items():
        spec.components.schema(name, schema)
    for name, description in RESPONSES.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        if name == "Busy":
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "required": True}}
        spec.components.response(name, response)
    spec.components.response(
        "UriTooLong",
        {
            "description": "The request line (path and query) is longer than the server "
            "takes (4094 bytes); the server refuses it before the service reads it."
        },
    )
    spec.components.response(
        "ScimError",
        {
            "description": "A SCIM error (RFC 7644 §3.12).",
            "content": {
                "application/scim+json": {"schema": {"$ref": "#/components/schemas/ScimError"}}
            },
        },
    )
    spec.components.response(
        "XapiError",
        {
            "description": "The request was refused; `error` says why.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/XapiError"}}},
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "basic",
        {"type": "http", "scheme": "basic", "description": "xAPI: client id and secret"},
    )


# An action that takes nothing but its path (``requestBody: none`` in a docstring): no body
# is needed, and an empty object is all that is accepted (it is not read).
NO_BODY = {
    "required": False,
    "description": "Nothing: send no body (an empty JSON object is accepted too).",
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": False, "maxProperties": 0}
        }
    },
}


def _page_envelopes(operation: dict[str, Any]) -> None:
    """``schema: {page-of: ItemSchema}`` in a docstring becomes the one page envelope."""
    for response in operation.get("responses", {}).values():
        if not isinstance(response, dict):
            continue
        for media in response.get("content", {}).values():
            schema = media.get("schema")
            if isinstance(schema, dict) and PAGE_OF in schema:
                media["schema"] = page_schema(schema[PAGE_OF])


def _default_errors(path: str, rule: Any, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    wanted = []
    if any(requirement for requirement in operation["security"]):
        wanted += ["401", "403"]
    if "requestBody" in operation:
        wanted += ["400", "413", "415"]
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        # The query's own limits (lengths from the schemas) add up past what the server
        # takes on a request line: it refuses such a request before the application sees it.
        wanted += ["400", "414"]
    if rule.arguments:
        wanted.append("404")
    if path not in _NO_DATABASE:
        wanted.append("503")
    for code in wanted:
        if code in responses or int(code) in responses:
            continue
        if code == "414":
            responses[code] = {"$ref": "#/components/responses/UriTooLong"}
        elif path.startswith("/scim/") and code != "503":
            responses[code] = {"$ref": "#/components/responses/ScimError"}
        elif path.startswith("/xapi/") and code != "503":
            responses[code] = {"$ref": "#/components/responses/XapiError"}
        else:
            responses[code] = {"$ref": f"#/components/responses/{_BY_CODE[code]}"}
    for code, response in responses.items():
        if isinstance(response, dict) and "$ref" not in response:
            response.setdefault("description", HTTPStatus(int(code)).phrase)


def _portable_patterns(node: Any) -> Any:
    """OpenAPI patterns are ECMA-262: Python's end anchor ``\\Z`` becomes ``$``."""
    if isinstance(node, dict):
        return {
            key: value.replace("\\Z", "$")
            if key == "pattern" and isinstance(value, str)
            else _portable_patterns(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_portable_patterns(item) for item in node]
    return node
