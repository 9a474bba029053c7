"""Errors of the Open Badges API as 1EdTech's ``Imsx_StatusInfo``, and the bearer-token
check of its resource endpoints (RFC 6750's ``WWW-Authenticate`` on 401 and 403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, g, json, request

from ..db import get_session
from .store import Bearer, bearer

__all__ = ["ImsxError", "imsx_response", "requires_scope"]

F = TypeVar("F", bound=Callable[..., Any])


class ImsxError(Exception):
    """An error answer: HTTP status, the spec's minor code, a description."""

    def __init__(
        self, status: int, code_minor: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code_minor = code_minor
        self.description = description
        self.headers = headers or {}


def imsx_response(error: ImsxError) -> Response:
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": error.description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": error.code_minor,
                }
            ]
        },
    }
    response = Response(json.dumps(body), status=error.status, mimetype="application/json")
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _challenge(error: str, description: str, scope: str | None = None) -> dict[str, str]:
    value = f'Bearer realm="badgeservice", error="{error}", error_description="{description}"'
    if scope:
        value += f', scope="{scope}"'
    return {"WWW-Authenticate": value}


def _bearer_value() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ImsxError(
            401,
            "unauthorisedrequest",
            "send an access token: Authorization: Bearer <token>",
            {"WWW-Authenticate": 'Bearer realm="badgeservice"'},
        )
    return value.strip()


def requires_scope(scope: str) -> Callable[[F], F]:
    """Resource endpoint decorator: a live access token (401 ``unauthorisedrequest``
    otherwise) carrying ``scope`` (403 ``forbidden`` otherwise); the token's holder is
    ``g.bearer``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            found = bearer(get_session(), _bearer_value())
            if not isinstance(found, Bearer):
                description = f"the access token is {found}"
                raise ImsxError(
                    401,
                    "unauthorisedrequest",
                    description,
                    _challenge("invalid_token", description),
                )
            if scope not in found.scopes:
                description = f"the access token does not carry the scope {scope}"
                raise ImsxError(
                    403,
                    "forbidden",
                    description,
                    _challenge("insufficient_scope", description, scope),
                )
            g.bearer = found
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
