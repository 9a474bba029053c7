"""Error pages for browsers, in the reader's language; machines keep problem+json."""

from __future__ import annotations

from flask import Flask, Response
from flask_wtf.csrf import CSRFError

from .base import render_page, wants_html

__all__ = ["init_app"]


def _error_page(status: int, error: Exception) -> Response | None:
    if not wants_html():
        return None
    kind = "form-expired" if isinstance(error, CSRFError) else str(status)
    try:
        response = render_page("error.html", status=status, kind=kind, status_code=status)
    except Exception:
        return None
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def init_app(app: Flask) -> None:
    app.extensions["badgeservice.error_page"] = _error_page
