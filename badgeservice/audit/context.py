"""Who is acting and from where, for the audit trail, without every caller passing it.

In a request the channel (``api``, ``scim`` or ``page``), the client address as the
application sees it (``request.remote_addr``: behind a proxy, what the deployment's proxy
handling, e.g. werkzeug's ProxyFix, made of it) and the user agent are taken when the
request begins; the actor is the API client that authenticated or the person signed in to
the page. The command line and the worker declare themselves with :func:`acting`.
Anything else is ``system``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .actors import OPERATOR, SYSTEM, WORKER, Actor, Source, acting, declared

__all__ = [
    "OPERATOR",
    "SYSTEM",
    "WORKER",
    "Actor",
    "Source",
    "acting",
    "current_actor",
    "current_source",
    "init_app",
]

if TYPE_CHECKING:
    from flask import Flask

USER_AGENT_LENGTH = 200


def _flask() -> Any:
    """Flask, if something loaded it (the command line may not have: then no request)."""
    return sys.modules.get("flask")


def _request_source() -> Source | None:
    flask = _flask()
    if flask is None or not flask.has_request_context():
        return None
    source: Source | None = flask.g.get("audit_source")
    return source


def current_source() -> Source:
    """Where the action comes from."""
    source = _request_source()
    if source is not None:
        return source
    who = declared()
    return who[1] if who is not None else Source("system")


def current_actor() -> Actor:
    """Who acts: the page's signed-in person, the API client, else who declared
    themselves (operator, worker), else ``system``."""
    if _request_source() is not None:
        g = _flask().g
        visitor = g.get("visitor")
        if visitor is not None:
            person = visitor.person
            return Actor("person", person.display_name[:300], str(person.id))
        principal = g.get("principal")
        if principal is not None:
            name = f"client {principal.client_id} ({principal.name})"
            return Actor("client", name[:300], str(principal.client_id))
    who = declared()
    return who[0] if who is not None else SYSTEM


def _channel(path: str) -> str:
    if path.startswith("/scim/"):
        return "scim"
    if path.startswith("/api/"):
        return "api"
    return "page"


def init_app(app: Flask) -> None:
    """Note each request's source when it begins."""
    from flask import g, request

    @app.before_request
    def _note_source() -> None:
        agent = request.headers.get("User-Agent")
        g.audit_source = Source(
            _channel(request.path),
            (request.remote_addr or None) and str(request.remote_addr)[:45],
            agent[:USER_AGENT_LENGTH] if agent else None,
        )
