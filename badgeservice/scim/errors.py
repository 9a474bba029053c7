"""SCIM errors (RFC 7644 §3.12) and the rule that every ``/scim/`` error answers in SCIM form.

Views raise :class:`ScimError`; like every :class:`~badgeservice.errors.AppError` it leaves
the application as problem+json, carrying ``scimType``. :func:`scim_error_response`, run
after every request, rewrites any problem+json answer on a ``/scim/`` path (including the
routing 404/405, the 413 of an oversized body, 401/403 of the token check and a 500) into the
SCIM error document, so a SCIM client never sees another format.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from ..errors import AppError

__all__ = [
    "ERROR_SCHEMA",
    "MEDIA_TYPE",
    "PREFIX",
    "ScimError",
    "invalid_filter",
    "invalid_path",
    "invalid_syntax",
    "invalid_value",
    "mutability",
    "no_target",
    "scim_error_response",
    "uniqueness",
]

PREFIX = "/scim/v2"
MEDIA_TYPE = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(AppError):
    """An error with an HTTP status and, for 400 and 409, a ``scimType`` keyword."""

    type_ = "scim-error"
    title = "SCIM error"

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        extensions = {"scimType": scim_type} if scim_type else {}
        super().__init__(detail, **extensions)
        self.status = status
        self.scim_type = scim_type


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, "mutability")


def no_target(detail: str) -> ScimError:
    return ScimError(400, detail, "noTarget")


def uniqueness(detail: str) -> ScimError:
    return ScimError(409, detail, "uniqueness")


def scim_error_response(response: Response) -> Response:
    """Rewrite a problem+json answer to a ``/scim/`` request as a SCIM error document."""
    if not request.path.startswith(PREFIX + "/") and request.path != PREFIX:
        return response
    if response.mimetype != "application/problem+json":
        return response
    try:
        problem: dict[str, Any] = json.loads(response.get_data())
    except ValueError:  # pragma: no cover - our own problem documents are JSON
        problem = {}
    body: dict[str, Any] = {
        "schemas": [ERROR_SCHEMA],
        "status": str(response.status_code),
        "detail": str(problem.get("detail") or problem.get("title") or "error"),
    }
    if problem.get("scimType"):
        body["scimType"] = problem["scimType"]
    response.set_data(json.dumps(body))
    response.mimetype = MEDIA_TYPE
    return response
