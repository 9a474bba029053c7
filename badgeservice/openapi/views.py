"""Serve the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

from ..api import api
from .spec import build_spec

__all__: list[str] = []


@api.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3 document of this API (no token needed)."""
    cached: dict[str, Any] | None = current_app.extensions.get("badgeservice.openapi")
    if cached is None:
        cached = build_spec(current_app)
        current_app.extensions["badgeservice.openapi"] = cached
    response = jsonify(cached)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
