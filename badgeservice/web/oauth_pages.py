"""The Open Badges API's authorization step: the learner signs in (their organisation's
identity provider) and allows or denies a registered client the scopes it asks for; and
the list of allowed clients on their settings page, each revocable.

``/ims/ob/v3p0/oauth/authorize`` (the address in the service description) leads to the
signed-in person's organisation's consent page, else the only organisation's, else a list
to choose from; the request's parameters go along unchanged."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import InvalidRequestError, InvalidScopeError, OAuth2Error
from flask import Response, abort, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import get_session
from ..obapi import scopes
from ..obapi.registration import OFFLINE_ACCESS
from ..obapi.server import Client, authorization_server
from ..obapi.store import granted_clients, revoke_grant
from ..organisations.models import Organisation
from .base import CSP, render_page, web
from .session import current_visitor, page_visitor, requires_role, visitor_for

__all__ = ["SCOPE_TEXTS"]

#: Each scope in plain words, as the consent page and the settings page say it.
SCOPE_TEXTS = {
    scopes.CREDENTIAL_READ: _l("See your badges (those issued to you here and those you added)"),
    scopes.CREDENTIAL_UPSERT: _l("Add badges to your collection here, or replace ones it added"),
    scopes.PROFILE_READ: _l("See your name and e-mail address"),
    scopes.PROFILE_UPDATE: _l("Send your profile here (your name and e-mail cannot be changed)"),
    OFFLINE_ACCESS: _l("Keep this access until you revoke it, also when you are not here"),
}


def _query() -> str:
    query = request.query_string.decode("utf-8", "replace")
    return f"?{query}" if query else ""


@web.get("/ims/ob/v3p0/oauth/authorize")
def oauth_authorize_entry() -> ResponseReturnValue:
    """To the consent page of the person's organisation, keeping the request."""
    visitor = current_visitor()
    if visitor is not None:
        slug = visitor.organisation.slug
    else:
        organisations = list(
            get_session().scalars(select(Organisation).order_by(Organisation.name).limit(200))
        )
        if len(organisations) != 1:
            return render_page("oauth_choose.html", organisations=organisations, query=_query())
        slug = organisations[0].slug
    return redirect(url_for("web.oauth_consent", slug=slug) + _query(), code=303)


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _refused(error: OAuth2Error) -> Response:
    """Back to the client with the error when its redirect URI checked out; else a page
    (never a redirect to an address the client did not register)."""
    server = authorization_server()
    if getattr(error, "redirect_uri", None):
        response: Response = server.handle_error_response(None, error)
        return response
    return render_page(
        "oauth_error.html", status=400, error=error.error, description=error.description
    )


def _consent_grant() -> Any:
    visitor = page_visitor()
    grant = authorization_server().get_consent_grant(end_user=visitor.person)
    payload = grant.request.payload
    if not payload.state:
        raise InvalidRequestError("state is required", redirect_uri=grant.redirect_uri)
    if not grant.request.scope:
        raise InvalidScopeError(
            "none of the requested scopes is registered for this client",
            redirect_uri=grant.redirect_uri,
            state=payload.state,
        )
    return grant


@web.route("/o/<slug>/oauth/authorize", methods=["GET", "POST"])
@requires_role()
def oauth_consent() -> ResponseReturnValue:
    """Allow or deny the client what it asks for."""
    try:
        grant = _consent_grant()
    except OAuth2Error as error:
        return _refused(error)
    server = authorization_server()
    person = page_visitor().person
    if request.method == "POST":
        allowed = request.form.get("decision") == "allow"
        answer: Response = server.create_authorization_response(
            grant_user=person if allowed else None, grant=grant
        )
        return answer
    client: Client = grant.client
    logo = client.row.client_metadata.get("logo_uri")
    if not (isinstance(logo, str) and logo.startswith("https://")):
        logo = None
    response = render_page(
        "oauth_consent.html",
        client=client.row,
        client_uri=client.row.client_metadata.get("client_uri"),
        tos_uri=client.row.client_metadata.get("tos_uri"),
        policy_uri=client.row.client_metadata.get("policy_uri"),
        logo=logo,
        scopes=[SCOPE_TEXTS[s] for s in grant.request.scope.split() if s in SCOPE_TEXTS],
        action=request.full_path.rstrip("?"),
        redirect_host=urlsplit(grant.redirect_uri).netloc,
    )
    # The answer to the form redirects to the client: the form may go there.
    policy = CSP.replace("form-action 'self'", f"form-action 'self' {_origin(grant.redirect_uri)}")
    if logo:
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {_origin(logo)}")
    response.headers["Content-Security-Policy"] = policy
    response.headers["Cache-Control"] = "no-store"
    return response


@web.app_context_processor
def _connected_apps() -> dict[str, Any]:
    def connected_apps() -> list[Any]:
        organisation = g.get("organisation")
        visitor = visitor_for(organisation) if organisation is not None else None
        return granted_clients(get_session(), visitor.person) if visitor else []

    return {"connected_apps": connected_apps, "SCOPE_TEXTS": SCOPE_TEXTS}


@web.post("/o/<slug>/settings/apps/<grant_id>/revoke")
@requires_role()
def revoke_app(grant_id: str) -> ResponseReturnValue:
    """End a client's access: its tokens stop working at once."""
    try:
        key = uuid.UUID(grant_id)
    except ValueError:
        abort(404)
    if not revoke_grant(get_session(), page_visitor().person, key):
        abort(404)
    return redirect(url_for("web.my_settings") + "?revoked=1#connected-apps", code=303)
