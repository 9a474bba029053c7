"""Security headers on every response.

* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` everywhere;
* ``Strict-Transport-Security`` when the request came over HTTPS or the public URL is HTTPS
  (behind a TLS-terminating proxy the service itself sees plain HTTP);
* a ``Content-Security-Policy`` that allows nothing to run: images (an uploaded SVG badge
  could carry a script) are sandboxed, documents load only the service's own styles and
  images, and everything else (JSON, CSV) loads nothing at all. A view that needs another
  policy sets its own header, which is kept.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

__all__ = ["HSTS", "defaults_for", "init_app", "policy_for"]

HSTS = "max-age=31536000; includeSubDomains"

_NOTHING = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_IMAGE = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
_DOCUMENT = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def policy_for(mimetype: str | None) -> str:
    """The default Content-Security-Policy for a response of ``mimetype``."""
    kind = (mimetype or "").lower()
    if kind.startswith("image/"):
        return _IMAGE
    if kind in ("text/html", "application/xhtml+xml"):
        return _DOCUMENT
    return _NOTHING


def defaults_for(mimetype: str | None, secure: bool) -> list[tuple[str, str]]:
    """The security headers a response of ``mimetype`` gets where it set none of its own,
    in order; ``secure``: the request came over HTTPS or the public URL is HTTPS. (The
    webhook's lean accept path, which answers without Flask, sends these too.)"""
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Content-Security-Policy", policy_for(mimetype)),
    ]
    if secure:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def _secure_headers(response: Response) -> Response:
    headers = response.headers
    public_url = str(current_app.config.get("PUBLIC_URL", ""))
    secure = request.is_secure or public_url.startswith("https://")
    for name, value in defaults_for(response.mimetype, secure):
        headers.setdefault(name, value)
    # A server's name and version help only an attacker; gunicorn adds its bare name.
    headers.pop("Server", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure_headers)
