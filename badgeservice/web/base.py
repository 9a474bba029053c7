"""The pages' blueprint and what every page shares: the organisation in the URL, HTML
error pages, security headers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, g, render_template, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from ..db import get_session
from ..organisations.models import Organisation

__all__ = ["CSP", "csrf", "organisation", "render_page", "wants_html", "web"]

# The form tokens of the pages (init_app attaches it to the application).
csrf = CSRFProtect()

web = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

#: Pages carry no inline script or style, so this strict policy holds on every one of them.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Machine interfaces answer errors as problem+json whatever the Accept header says.
_MACHINE_PREFIXES = (
    "/api/",
    "/ims/",
    "/scim/",
    "/xapi/",
    "/hooks/",
    "/.well-known/",
    "/healthz",
    "/readyz",
    "/metrics",
)


@web.before_request
def _check_form_token() -> None:
    # Every form of the pages carries a token (Flask-WTF); the API's bearer tokens and
    # signed webhooks are not forms and are not checked here.
    if request.method == "POST":
        csrf.protect()


@web.url_value_preprocessor
def _pull_organisation(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "slug" in values:
        slug = values.pop("slug")
        found = get_session().scalar(select(Organisation).where(Organisation.slug == slug))
        if found is None:
            abort(404)
        g.organisation = found


@web.url_defaults
def _add_organisation(endpoint: str, values: dict[str, Any]) -> None:
    if "slug" in values or "organisation" not in g:
        return
    from flask import current_app

    if current_app.url_map.is_endpoint_expecting(endpoint, "slug"):
        values["slug"] = g.organisation.slug


def organisation() -> Organisation:
    """The organisation named in this page's URL."""
    found: Organisation = g.organisation
    return found


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    """A page: the template with the organisation (if any) in its context."""
    context.setdefault("organisation", g.get("organisation"))
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def wants_html() -> bool:
    """Whether this request is a browser's, answered with pages rather than problem+json."""
    if request.blueprint == "web":
        return True
    if request.path.startswith(_MACHINE_PREFIXES):
        return False
    accept = request.accept_mimetypes
    return accept["text/html"] > accept["application/json"]


def init_headers(app: Flask) -> None:
    @app.after_request
    def _page_headers(response: Response) -> Response:
        # Set only where nothing stricter was set already (documents may have their own).
        if response.mimetype == "text/html":
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
        return response
