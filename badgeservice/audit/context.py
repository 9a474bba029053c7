"""Who is acting and from where, for the audit trail, without every caller passing it.

In a request the channel (``api``, ``scim`` or ``page``), the client address as the
application sees it (``request.remote_addr``: behind a proxy, what the deployment's proxy
handling, e.g. werkzeug's ProxyFix, made of it) and the user agent are taken when the
request begins; the actor is the API client that authenticated or the person signed in to
the page. The command line and the worker declare themselves with :func:`acting`.
Anything else is ``system``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import Flask, g, has_request_context, request

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

USER_AGENT_LENGTH = 200


@dataclass(frozen=True)
class Actor:
    kind: str  # person, client, operator, worker, system
    name: str
    id: str | None = None


@dataclass(frozen=True)
class Source:
    channel: str  # api, page, scim, cli, worker, system
    ip: str | None = None
    user_agent: str | None = None


OPERATOR = Actor("operator", "operator (command line)")
WORKER = Actor("worker", "worker")
SYSTEM = Actor("system", "system")

_declared: ContextVar[tuple[Actor, Source] | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting(actor: Actor, channel: str) -> Iterator[None]:
    """Everything recorded inside is by ``actor`` through ``channel`` (the command line,
    the worker), unless a request says otherwise."""
    token = _declared.set((actor, Source(channel)))
    try:
        yield
    finally:
        _declared.reset(token)


def _request_source() -> Source | None:
    if not has_request_context():
        return None
    source: Source | None = g.get("audit_source")
    return source


def current_source() -> Source:
    """Where the action comes from."""
    source = _request_source()
    if source is not None:
        return source
    declared = _declared.get()
    return declared[1] if declared is not None else Source("system")


def current_actor() -> Actor:
    """Who acts: the page's signed-in person, the API client, else who declared
    themselves (operator, worker), else ``system``."""
    if _request_source() is not None:
        visitor = g.get("visitor")
        if visitor is not None:
            person = visitor.person
            return Actor("person", person.display_name[:300], str(person.id))
        principal = g.get("principal")
        if principal is not None:
            name = f"client {principal.client_id} ({principal.name})"
            return Actor("client", name[:300], str(principal.client_id))
    declared = _declared.get()
    return declared[0] if declared is not None else SYSTEM


def _channel(path: str) -> str:
    if path.startswith("/scim/"):
        return "scim"
    if path.startswith("/api/"):
        return "api"
    return "page"


def init_app(app: Flask) -> None:
    """Note each request's source when it begins."""

    @app.before_request
    def _note_source() -> None:
        agent = request.headers.get("User-Agent")
        g.audit_source = Source(
            _channel(request.path),
            (request.remote_addr or None) and str(request.remote_addr)[:45],
            agent[:USER_AGENT_LENGTH] if agent else None,
        )
