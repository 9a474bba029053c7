"""``/ims/ob/v3p0``: the service description, the learner's credentials and profile
(bearer tokens with the Open Badges scopes, errors as ``Imsx_StatusInfo``), and the
OAuth 2.0 endpoints (registration, token, revocation; errors as RFC 6749/7591/7009 say).
The authorization step is a page (``web/oauth_pages.py``). These routes are described by
the service description, not by ``/api/v1/openapi.json``.

Every request is logged — method, path, status, client — never a token, code or body."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ..api import parse_json
from ..credentials.proofs import parse_datetime
from ..db import get_session
from ..errors import AppError, is_busy
from ..ratelimit import rate_limited
from ..services import issuer_service
from . import scopes
from .discovery import BASE, service_description
from .holdings import credentials_page, upsert, upsert_jws
from .imsx import ImsxError, imsx_response, requires_scope
from .profile import check_put, profile_of
from .registration import ParsedJsonRequest
from .server import authorization_server
from .store import Bearer

__all__ = ["api"]

log = logging.getLogger(__name__)
api = Blueprint("obapi", __name__, url_prefix=BASE)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json")


@api.before_request
def _started() -> None:
    g.obapi_started = time.monotonic()


@api.after_request
def _logged(response: Response) -> Response:
    found = g.get("bearer")
    client = found.client.client_id if isinstance(found, Bearer) else "-"
    elapsed = (time.monotonic() - g.get("obapi_started", time.monotonic())) * 1000
    log.info(
        "obapi %s %s → %s client=%s %.0f ms",
        request.method,
        request.path,
        response.status_code,
        client,
        elapsed,
    )
    return response


@api.errorhandler(ImsxError)
def _imsx(error: ImsxError) -> Response:
    return imsx_response(error)


@api.errorhandler(HTTPException)
def _http(error: HTTPException) -> Response:
    code = error.code or 500
    minor = {404: "unknownobject", 413: "invalid_data", 429: "server_busy"}.get(code)
    if minor is None:
        minor = "invalid_data" if code < 500 else "internal_server_error"
    response = imsx_response(ImsxError(code, minor, error.description or error.name))
    for header, value in error.get_headers():  # Allow on a 405, Retry-After
        if header.lower() != "content-type":
            response.headers[header] = value
    return response


def _outside_views(status: int, error: Exception) -> Response | None:
    """Errors under the prefix that no view of the API saw (an unknown path, a method no
    route takes, an unexpected failure) in the API's own format too; the authorization
    entry page there keeps the pages' errors."""
    if request.blueprint == "web":
        return None
    if isinstance(error, HTTPException):
        return _http(error)
    if isinstance(error, AppError):
        return _app_error(error)
    if status < 500:
        return imsx_response(ImsxError(status, "invalid_data", str(error)))
    return imsx_response(ImsxError(500, "internal_server_error", "the error was logged"))


@api.record_once
def _own_errors(state: BlueprintSetupState) -> None:
    formats = state.app.extensions.setdefault("badgeservice.error_formats", {})
    formats[BASE] = _outside_views


@api.errorhandler(AppError)
def _app_error(error: AppError) -> Response:
    minor = {
        401: "unauthorisedrequest",
        403: "forbidden",
        404: "unknownobject",
        429: "server_busy",
    }.get(error.status, "invalid_data" if error.status < 500 else "internal_server_error")
    response = imsx_response(ImsxError(error.status, minor, error.detail))
    retry_after = error.extensions.get("retry_after")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@api.errorhandler(OperationalError)
def _busy(error: OperationalError) -> Response:
    from ..db import rollback_request_session

    rollback_request_session()
    if not is_busy(error):
        raise error
    response = imsx_response(ImsxError(503, "server_busy", "the database is busy; try again"))
    response.headers["Retry-After"] = "5"
    return response


@api.get("/discovery")
@rate_limited("obapi-discovery", "OBAPI_DISCOVERY_RATE_LIMIT")
def discovery() -> Response:
    """The service description (OpenAPI 3.0), unprotected."""
    response = jsonify(service_description(current_app.config))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _query_int(name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < minimum or (maximum is not None and int(raw) > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise ImsxError(
            400, "invalid_query_parameter", f"{name}: a whole number of at least {minimum}{bound}"
        )
    return int(raw)


def _since() -> datetime | None:
    raw = request.args.get("since")
    if raw is None:
        return None
    try:
        return parse_datetime(raw)
    except ValueError:
        raise ImsxError(
            400, "invalid_query_parameter", "since: a date and time such as 2026-12-01T00:00:00Z"
        ) from None


def _link(limit: int, offset: int, total: int) -> str:
    url = current_app.config["PUBLIC_URL"] + request.path

    def at(where: int, rel: str) -> str:
        query = {**request.args.to_dict(), "limit": str(limit), "offset": str(where)}
        return f'<{url}?{urlencode(query)}>; rel="{rel}"'

    last = max(0, (total - 1) // limit * limit)
    links = [at(0, "first")]
    if offset > 0:
        links.append(at(max(0, offset - limit), "prev"))
    if offset + limit < total:
        links.append(at(offset + limit, "next"))
    links.append(at(last, "last"))
    return ", ".join(links)


@api.get("/credentials")
@requires_scope(scopes.CREDENTIAL_READ)
def get_credentials() -> Response:
    """getCredentials: the learner's credentials, a page at a time."""
    limit = _query_int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _query_int("offset", 0, 0)
    since = _since()
    found: Bearer = g.bearer
    page = credentials_page(
        get_session(), issuer_service(), found.person, limit=limit, offset=offset, since=since
    )
    # Each credential exactly as kept: a stored one as the text it arrived as; an issued
    # one as its JSON and as its VC-JWT.
    tokens = json.dumps(page.tokens, separators=(",", ":"))
    body = '{"credential":[' + ",".join(page.texts) + '],"compactJwsString":' + tokens + "}"
    response = Response(body, mimetype="application/json")
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["Link"] = _link(limit, offset, page.total)
    response.headers["Cache-Control"] = "no-store"
    return response


@api.post("/credentials")
@requires_scope(scopes.CREDENTIAL_UPSERT)
def upsert_credential() -> Response:
    """upsertCredential: store a credential the learner brings, after it verifies: JSON,
    or a VC-JWT as ``text/plain`` (its compact JWS)."""
    found: Bearer = g.bearer
    if request.mimetype == "text/plain":
        try:
            token = request.get_data(cache=True).decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ImsxError(400, "invalid_data", "the body is not UTF-8") from None
        created = upsert_jws(get_session(), issuer_service(), found.person, found.client, token)
        response = Response(token, status=201 if created else 200, mimetype="text/plain")
        response.headers["Cache-Control"] = "no-store"
        return response
    if request.mimetype not in _JSON_TYPES:
        raise ImsxError(
            415,
            "invalid_data",
            "send the credential as application/json, or a VC-JWT (compact JWS) as text/plain",
        )
    raw = request.get_data(cache=True)
    try:
        document = parse_json(raw)
    except AppError as exc:
        raise ImsxError(400, "invalid_data", exc.detail) from None
    text = raw.decode("utf-8")
    created = upsert(get_session(), issuer_service(), found.person, found.client, text, document)
    response = Response(text, status=201 if created else 200, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/profile")
@requires_scope(scopes.PROFILE_READ)
def get_profile() -> Response:
    """getProfile: the learner's profile."""
    found: Bearer = g.bearer
    response = jsonify(profile_of(found.person))
    response.headers["Cache-Control"] = "no-store"
    return response


@api.put("/profile")
@requires_scope(scopes.PROFILE_UPDATE)
def put_profile() -> Response:
    """putProfile: the profile as it is (its fields come from the directory)."""
    if request.mimetype not in _JSON_TYPES:
        raise ImsxError(415, "invalid_data", "send the Profile as application/json")
    try:
        body = parse_json(request.get_data(cache=True))
    except AppError as exc:
        raise ImsxError(400, "invalid_data", exc.detail) from None
    found: Bearer = g.bearer
    response = jsonify(check_put(found.person, body))
    response.headers["Cache-Control"] = "no-store"
    return response


_ALLOWED = {"credentials": "GET, POST", "profile": "GET, PUT", "discovery": "GET"}


@api.route(
    "/<any(credentials, profile, discovery):resource>", methods=["PUT", "POST", "PATCH", "DELETE"]
)
def not_allowed(resource: str) -> Response:
    """Other methods on the API's resources: 405 as ``Imsx_StatusInfo`` with ``Allow``."""
    # The resources' own routes match their methods first; this one gets the rest.
    allowed = _ALLOWED[resource]
    return imsx_response(
        ImsxError(
            405,
            "invalid_data",
            f"{request.method} is not an operation of /{resource}; use {allowed}",
            {"Allow": allowed},
        )
    )


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@api.post("/oauth/register")
@rate_limited("obapi-registration", "OBAPI_REGISTRATION_RATE_LIMIT")
def register() -> Any:
    """Dynamic client registration (RFC 7591)."""
    if not request.is_json:
        return _oauth_error(400, "invalid_client_metadata", "send the metadata as JSON")
    try:
        data = parse_json(request.get_data(cache=True))
    except AppError as exc:
        return _oauth_error(400, "invalid_client_metadata", exc.detail)
    parsed = ParsedJsonRequest(request.method, request.url, request.headers, data)
    return authorization_server().create_endpoint_response("client_registration", parsed)


@api.post("/oauth/token")
def token() -> Any:
    """The token endpoint: authorization code (PKCE) and refresh token grants."""
    response = authorization_server().create_token_response()
    # A code is spent, and a replayed one revokes its tokens, even when the answer is an
    # error (the request boundary would roll an error's changes back).
    get_session().commit()
    return response


@api.post("/oauth/revoke")
def revoke() -> Any:
    """Token revocation (RFC 7009)."""
    return authorization_server().create_endpoint_response("revocation")
