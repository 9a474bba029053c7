"""The admin's pages for who and what may talk to the service: API clients (an LMS's
credentials are a client bound to its connection) and HR endpoints — create, rotate,
revoke or deactivate — and rotating an issuer's signing key. A new token or secret is shown
once, on the page that answers the form (never stored in clear, never cached), and every
change goes through the same services as the API, into the audit trail."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from ..access.roles import Role
from ..api import own
from ..auth import SCOPES
from ..db import get_session
from ..errors import AppError, BadRequest
from ..hr.delivery.endpoints import create_endpoint, list_endpoints, rotate_secret, update_endpoint
from ..hr.models import HrEndpoint
from ..issuers.models import Issuer
from ..organisations.models import ApiClient, Connection
from ..organisations.services import (
    clients_query,
    create_client,
    revoke_client,
    rotate_client,
    upsert_connection,
)
from ..services import issuer_service, keystore
from .base import render_page, web
from .session import page_visitor, requires_role

__all__: list[str] = []

CONNECTION_KINDS = ("moodle", "webhook", "xapi")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# Scopes a page can grant; team:read needs the supervisor it acts for (the API does that).
PAGE_SCOPES = tuple(scope for scope in SCOPES if scope != "team:read")


def _once(template: str, **context: Any) -> Response:
    """A page showing a new secret: never cached, never kept by the browser's history."""
    response = render_page(template, active="admin", **context)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- API clients ------------------------------------------------------------------------


@web.route("/o/<slug>/admin/clients", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def admin_clients() -> ResponseReturnValue:
    """The organisation's API clients; a form creates one (its token and secret shown
    once)."""
    visitor, db = page_visitor(), get_session()
    problem = None
    if request.method == "POST":
        name, scopes = request.form.get("name", "").strip(), request.form.getlist("scope")
        if not name or len(name) > 200:
            problem = _("Give the client a name of at most 200 characters.")
        elif not scopes or not set(scopes) <= set(PAGE_SCOPES):
            problem = _("Choose at least one of the offered scopes.")
        else:
            try:
                issued = create_client(
                    db,
                    visitor.organisation,
                    name=name,
                    scopes=scopes,
                    keystore=keystore(),
                    connection=request.form.get("connection") or None,
                )
            except AppError as error:
                problem = error.detail
            else:
                return _once(
                    "admin_secret.html",
                    client=issued.client,
                    token=issued.token,
                    secret=issued.secret,
                )
    clients = list(db.scalars(clients_query(visitor.organisation.id)))
    connections = list(
        db.scalars(
            select(Connection)
            .where(Connection.organisation_id == visitor.organisation.id)
            .order_by(Connection.name)
        )
    )
    return render_page(
        "admin_clients.html",
        status=400 if problem else 200,
        active="admin",
        clients=clients,
        connections=connections,
        scopes=PAGE_SCOPES,
        problem=problem,
        revoked=request.args.get("revoked"),
        added=request.args.get("added"),
        kinds=CONNECTION_KINDS,
    )


@web.post("/o/<slug>/admin/connections")
@requires_role(Role.ADMIN)
def admin_add_connection() -> ResponseReturnValue:
    """A new connection (a learning environment or another sender of completions); its
    credentials are then an API client bound to it."""
    visitor, db = page_visitor(), get_session()
    form = {key: request.form.get(key, "").strip() for key in ("name", "kind", "base_url")}
    policy = request.form.get("unknown_person", "park")
    if not _SLUG.fullmatch(form["name"]):
        message = _("Name the connection with lower-case letters, digits and hyphens.")
    elif form["kind"] not in CONNECTION_KINDS or policy not in ("park", "create"):
        message = _("Choose one of the offered kinds.")
    elif form["base_url"] and not form["base_url"].startswith(("https://", "http://")):
        message = _("The address must start with https://.")
    elif db.scalar(
        select(Connection.id).where(
            Connection.organisation_id == visitor.organisation.id,
            Connection.name == form["name"],
        )
    ):
        message = _("There is a connection with that name already.")
    else:
        upsert_connection(
            db,
            visitor.organisation.id,
            form["name"],
            kind=form["kind"],
            base_url=form["base_url"] or None,
            unknown_person=policy,
            description=None,
        )
        slug = visitor.organisation.slug
        return redirect(url_for("web.admin_clients", slug=slug, added=form["name"]), code=303)
    raise BadRequest(message)


@web.post("/o/<slug>/admin/clients/<client_id>/rotate")
@requires_role(Role.ADMIN)
def admin_rotate_client(client_id: str) -> ResponseReturnValue:
    """A new token and secret for the client; the old ones stop working at once."""
    visitor = page_visitor()
    client = own(ApiClient, client_id, "client", visitor.organisation.id)
    issued = rotate_client(get_session(), client, keystore())
    return _once("admin_secret.html", client=client, token=issued.token, secret=issued.secret)


@web.post("/o/<slug>/admin/clients/<client_id>/revoke")
@requires_role(Role.ADMIN)
def admin_revoke_client(client_id: str) -> ResponseReturnValue:
    visitor = page_visitor()
    client = own(ApiClient, client_id, "client", visitor.organisation.id)
    revoke_client(get_session(), client)
    target = url_for("web.admin_clients", slug=visitor.organisation.slug, revoked=client.name)
    return redirect(target, code=303)


# -- HR endpoints -------------------------------------------------------------------------


@web.route("/o/<slug>/admin/endpoints", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def admin_endpoints() -> ResponseReturnValue:
    """The HR endpoints competence events are pushed to; a form adds one (its signing
    secret shown once)."""
    visitor, db = page_visitor(), get_session()
    problem = None
    if request.method == "POST" and not request.form.get("url", "").strip():
        problem = _("Give the address HR receives the events at.")
    elif request.method == "POST":
        try:
            issued = create_endpoint(
                db,
                visitor.organisation.id,
                url=request.form.get("url", "").strip(),
                keystore=keystore(),
                name=request.form.get("name", "").strip() or None,
                description=request.form.get("description", "").strip() or None,
            )
        except AppError as error:
            problem = error.detail
        else:
            return _once("admin_secret.html", endpoint=issued.endpoint, secret=issued.secret)
    return render_page(
        "admin_endpoints.html",
        status=400 if problem else 200,
        active="admin",
        endpoints=list_endpoints(db, visitor.organisation.id, limit=1000),
        problem=problem,
        changed=request.args.get("changed"),
    )


@web.post("/o/<slug>/admin/endpoints/<endpoint_id>/secret")
@requires_role(Role.ADMIN)
def admin_endpoint_secret(endpoint_id: str) -> ResponseReturnValue:
    """A new signing secret; messages from now on are signed with it only."""
    visitor = page_visitor()
    issued = rotate_secret(
        get_session(), own(HrEndpoint, endpoint_id, "endpoint", visitor.organisation.id), keystore()
    )
    return _once("admin_secret.html", endpoint=issued.endpoint, secret=issued.secret)


@web.post("/o/<slug>/admin/endpoints/<endpoint_id>/active")
@requires_role(Role.ADMIN)
def admin_endpoint_active(endpoint_id: str) -> ResponseReturnValue:
    """Deactivate (its waiting deliveries are given up, never dropped silently) or
    activate again."""
    visitor = page_visitor()
    endpoint = own(HrEndpoint, endpoint_id, "endpoint", visitor.organisation.id)
    wanted = request.form.get("active") == "true"
    update_endpoint(get_session(), endpoint, {"active": wanted})
    target = url_for("web.admin_endpoints", slug=visitor.organisation.slug, changed=endpoint.name)
    return redirect(target, code=303)


# -- issuer keys --------------------------------------------------------------------------


@web.post("/o/<slug>/admin/issuers/<issuer_id>/keys")
@requires_role(Role.ADMIN)
def admin_rotate_key(issuer_id: str) -> ResponseReturnValue:
    """A new signing key for the issuer; earlier keys stay published, so every badge
    signed with them still verifies."""
    visitor = page_visitor()
    issuer = own(Issuer, issuer_id, "issuer", visitor.organisation.id)
    issuer_service().rotate_key(issuer)
    target = url_for("web.admin_dashboard", slug=visitor.organisation.slug, rotated=issuer.slug)
    return redirect(target, code=303)
