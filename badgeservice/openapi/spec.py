"""Build the OpenAPI document: every ``api`` route's docstring operation, with the
marshmallow schemas it names turned into components."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import Flask

from .. import __version__

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
}


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document for ``app``'s ``/api/v1`` routes."""
    spec = APISpec(
        title="badgeservice API",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Open Badges 3.0 issuing and competence recognition. Every "
            "error is RFC 9457 problem+json."
        },
        servers=[{"url": app.config["PUBLIC_URL"]}],
    )
    spec.components.schema("Problem", PROBLEM)
    for name, description in RESPONSES.items():
        spec.components.response(
            name,
            {
                "description": description,
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            },
        )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        operations = load_operations_from_docstring(view.__doc__ or "")
        if not operations:
            continue
        summary = (view.__doc__ or "").strip().split("\n")[0]
        for operation in operations.values():
            operation.setdefault("summary", summary)
            operation.setdefault("operationId", rule.endpoint.removeprefix("api."))
            operation.setdefault("security", [{"bearer": []}])
            responses = operation.setdefault("responses", {})
            for code, ref in (("401", "Unauthorized"), ("403", "Forbidden")):
                if operation["security"]:  # public operations (security: []) answer neither
                    responses.setdefault(code, {"$ref": f"#/components/responses/{ref}"})
            for code, response in responses.items():
                if isinstance(response, dict) and "$ref" not in response:
                    response.setdefault("description", HTTPStatus(int(code)).phrase)
        spec.path(path=_PATH_PARAM.sub(r"{\1}", rule.rule), operations=operations)
    document: dict[str, Any] = _portable_patterns(spec.to_dict())
    return document


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
