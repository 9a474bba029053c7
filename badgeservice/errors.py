"""The service's errors, a small tree mapped once to RFC 9457 problem+json."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import OperationalError

from .credentials.errors import CredentialError

if TYPE_CHECKING:  # Flask is imported where it is used: commands start without it
    from flask import Flask, Response

__all__ = [
    "AppError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "Unauthorized",
    "UnprocessableContent",
    "busy_problem",
    "init_app",
    "is_busy",
    "problem",
]

# Seconds a client is asked to wait when the database is busy.
RETRY_AFTER = 1

# PostgreSQL: serialization failure, deadlock, lock not available, query cancelled by a
# lock timeout; each clears by trying again.
_PG_TRANSIENT = frozenset({"40001", "40P01", "55P03", "57014"})

PROBLEM_BASE = "https://badgeservice.dev/problems/"


class AppError(Exception):
    """An error with an HTTP status and a problem type; ``detail`` says what is wrong."""

    status = 500
    type_ = "internal-error"
    title = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class BadRequest(AppError):
    status, type_, title = 400, "bad-request", "Bad request"


class Unauthorized(AppError):
    status, type_, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, type_, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, type_, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, type_, title = 409, "conflict", "Conflict"


class PayloadTooLarge(AppError):
    status, type_, title = 413, "payload-too-large", "Payload too large"


class UnprocessableContent(AppError):
    status, type_, title = 422, "unprocessable", "Unprocessable content"


def problem(status: int, type_: str, title: str, detail: str, **extensions: Any) -> Response:
    """A problem+json response."""
    from flask import Response, json

    body = {"type": PROBLEM_BASE + type_, "title": title, "status": status, "detail": detail}
    body.update(extensions)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="badgeservice"'
    return response


def is_busy(error: OperationalError) -> bool:
    """True when the database refused for now (SQLite's lock still held after the busy
    timeout, a PostgreSQL lock or serialization conflict), not because the request is
    wrong or the database is broken."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _PG_TRANSIENT
    text = str(original).lower()
    return (
        "database is locked" in text
        or "database is busy" in text
        or "database table is locked" in text
    )


def busy_problem() -> Response:
    """503 with ``Retry-After``: the database is busy; the same request later will do."""
    response = problem(
        503,
        "busy",
        "Busy",
        "the database is busy; nothing was changed, send the request again",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _own_format(app: Flask, status: int, error: Exception) -> Response | None:
    """The answer of a part of the service with an error format of its own (the Open
    Badges API's Imsx_StatusInfo) for every path under its prefix, unknown ones too."""
    from flask import request

    formats = app.extensions.get("badgeservice.error_formats", {})
    for prefix, render in formats.items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            answer: Response | None = render(status, error)
            return answer
    return None


def init_app(app: Flask) -> None:
    """Register the handlers: every error leaves as problem+json, or as a page when the
    pages (``web``) registered a renderer and the request is a browser's."""
    from werkzeug.exceptions import HTTPException

    def _page(status: int, error: Exception) -> Response | None:
        if (own := _own_format(app, status, error)) is not None:
            return own
        render = app.extensions.get("badgeservice.error_page")
        response: Response | None = render(status, error) if render is not None else None
        return response

    @app.errorhandler(AppError)
    def _app_error(error: AppError) -> Response:
        extensions = dict(error.extensions)
        retry_after = extensions.pop("retry_after", None)
        page = _page(error.status, error)
        response = (
            page
            if page is not None
            else problem(error.status, error.type_, error.title, error.detail, **extensions)
        )
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(CredentialError)
    def _credential_error(error: CredentialError) -> Response:
        if (own := _own_format(app, 422, error)) is not None:
            return own
        fields = getattr(error, "fields", None)
        extra = {"fields": fields} if isinstance(fields, list) else {}
        return problem(422, error.code, "Unusable credential document", str(error), **extra)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        name = (error.name or "error").lower().replace(" ", "-")
        page = _page(status, error)
        response = (
            page
            if page is not None
            else problem(status, name, error.name or "Error", error.description or "")
        )
        # The headers the error defines (Allow on a 405, Retry-After, WWW-Authenticate).
        for header, value in error.get_headers():
            if header.lower() != "content-type":
                response.headers[header] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error")
        if (page := _page(500, error)) is not None:
            return page
        return problem(500, "internal-error", "Internal error", "the error was logged")
