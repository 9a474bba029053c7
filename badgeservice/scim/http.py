"""What every SCIM view shares: reading the body and the filter, answering a resource, a
list or a precondition, in SCIM's media type and error format."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request

from ..api import MalformedJson, parse_json
from ..errors import BadRequest
from .errors import (
    MEDIA_TYPE,
    PREFIX,
    ScimError,
    invalid_filter,
    invalid_syntax,
    invalid_value,
)
from .filters import Filter, FilterError, parse_filter
from .query import Paging
from .schema import (
    LIST_RESPONSE,
    ResourceType,
)
from .services import project

__all__ = [
    "JSON_TYPES",
    "answer",
    "base_url",
    "filter_param",
    "list_answer",
    "matches",
    "one",
    "precondition",
    "read_body",
]

JSON_TYPES = frozenset({"application/scim+json", "application/json"})


def base_url() -> str:
    return f"{current_app.config['PUBLIC_URL']}{PREFIX}"


def answer(body: Any, status: int = 200, *, etag: str | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    if etag:
        response.headers["ETag"] = etag
    return response


def read_body() -> Any:
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


def filter_param() -> Filter | None:
    text = request.args.get("filter")
    if text is None:
        return None
    try:
        return parse_filter(text)
    except (FilterError, RecursionError) as exc:
        raise invalid_filter(f"filter: {exc}") from None


def list_answer(
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
    return answer(
        {
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": page.start_index,
            "itemsPerPage": len(shown),
            "Resources": shown,
        }
    )


def one(resource_type: ResourceType, resource: dict[str, Any], status: int = 200) -> Response:
    tag = resource["meta"]["version"]
    unchanged = matches(request.headers.get("If-None-Match"), tag)
    if status == 200 and request.method == "GET" and unchanged:
        return Response(status=304, headers={"ETag": tag})
    shown = project(
        resource,
        resource_type,
        request.args.get("attributes"),
        request.args.get("excludedAttributes"),
    )
    response = answer(shown, status, etag=tag)
    if status == 201:
        response.headers["Location"] = resource["meta"]["location"]
    return response


def matches(header: str | None, tag: str) -> bool:
    """Weak comparison of an entity tag against an ``If-Match``/``If-None-Match`` list."""
    if header is None:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def precondition(resource: dict[str, Any]) -> None:
    """``If-Match`` on a write: 412 when the resource changed since the client read it."""
    header = request.headers.get("If-Match")
    if header is not None and not matches(header, resource["meta"]["version"]):
        raise ScimError(412, "the resource changed (If-Match does not match its version)")
