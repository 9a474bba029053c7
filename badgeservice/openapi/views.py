"""Serve the OpenAPI document, the human-readable API docs (Swagger UI, whose files come
with the ``flask-swagger-ui`` package: nothing is fetched from a CDN) and the landing
document at ``/``."""

from __future__ import annotations

from importlib import resources
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template_string

from .. import __version__
from ..errors import NotFound
from .spec import build_spec

__all__ = ["api", "public"]

api = Blueprint("openapi", __name__, url_prefix="/api/v1")
public = Blueprint("openapi_public", __name__)

LINKS = {"apiDocs": "/api/docs", "openapi": "/api/v1/openapi.json", "health": "/healthz"}

# The Swagger UI files served under /api/docs/ (the rest of the package is not).
ASSETS = {
    "swagger-ui.css": "text/css",
    "index.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
# No inline script: the page works under a Content-Security-Policy of script-src 'self'.
INIT_JS = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
});
"""
DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>badgeservice {{ version }} API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  <link rel="stylesheet" href="/api/docs/index.css">
  <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
"""


@api.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3 document of this service (no token needed).
    ---
    get:
      tags: [service]
      security: []
      responses:
        200: {content: {application/json: {schema: {type: object, required: [openapi, paths]}}}}
    """
    cached: dict[str, Any] | None = current_app.extensions.get("badgeservice.openapi")
    if cached is None:
        cached = build_spec(current_app)
        current_app.extensions["badgeservice.openapi"] = cached
    response = jsonify(cached)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@public.get("/api/docs")
def api_docs() -> Response:
    """The API documentation for people (Swagger UI over the OpenAPI document).
    ---
    get:
      tags: [service]
      responses:
        200: {content: {text/html: {schema: {type: string}}}}
    """
    return Response(render_template_string(DOCS_PAGE, version=__version__), mimetype="text/html")


@public.get("/api/docs/<filename>")
def api_docs_asset(filename: str) -> Response:
    """A file of the API documentation page (Swagger UI's scripts, styles and icons).
    ---
    get:
      tags: [service]
      parameters: [{in: path, name: filename, required: true, schema: {type: string}}]
      responses:
        200:
          content:
            text/javascript: {schema: {type: string}}
            text/css: {schema: {type: string}}
            image/png: {schema: {type: string, format: binary}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    if filename == "init.js":
        data: bytes = INIT_JS.encode("utf-8")
        media_type = "text/javascript"
    elif filename in ASSETS:
        data = resources.files("flask_swagger_ui").joinpath("dist", filename).read_bytes()
        media_type = ASSETS[filename]
    else:
        raise NotFound(f"no file {filename!r} in the API documentation")
    response = Response(data, mimetype=media_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
