"""Bearer tokens with scopes, per organisation.

A token is shown once when its client is created; only its SHA-256 is stored. Every API
request is scoped to the token's organisation: services receive the organisation id from
:func:`current_principal` and filter by it, so one organisation never sees another's data.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from sqlalchemy import select

from .db import get_session
from .errors import Forbidden, Unauthorized

__all__ = [
    "SCOPES",
    "Principal",
    "current_principal",
    "hash_token",
    "new_secret",
    "new_token",
    "requires",
]

SCOPES = ("admin", "awards:write", "events:write", "hr:read", "scim", "team:read")
TOKEN_PREFIX = "bst_"  # noqa: S105 - a prefix, not a secret

F = TypeVar("F", bound=Callable[..., Any])


def new_token() -> str:
    """A new bearer token (256 bits of randomness)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    """A new Standard Webhooks signing secret (``whsec_`` + base64 of 32 bytes)."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API client of one organisation with its scopes."""

    client_id: uuid.UUID
    organisation_id: uuid.UUID
    scopes: frozenset[str]
    name: str
    # The LMS connection a client is bound to: it sees only that connection's events.
    connection: str | None = None
    # team:read: the supervisor whose teams the token sees.
    supervisor_id: uuid.UUID | None = None

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    @property
    def sees_everyone(self) -> bool:
        """Whether the caller reads the whole organisation (``admin``, ``hr:read``,
        ``awards:write``), not only the teams it supervises (``team:read``)."""
        return bool(self.scopes & {"admin", "hr:read", "awards:write"})


def _authenticate() -> Principal:
    from flask import request

    from .organisations.models import ApiClient

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    token = token.strip()
    digest = hash_token(token)
    client = get_session().scalar(select(ApiClient).where(ApiClient.token_hash == digest))
    # compare_digest keeps the comparison constant-time even though the lookup is by hash.
    if (
        client is None
        or client.revoked_at is not None
        or not hmac.compare_digest(client.token_hash, digest)
    ):
        raise Unauthorized("the bearer token is not valid")
    return Principal(
        client.id,
        client.organisation_id,
        client.scope_set,
        client.name,
        connection=client.connection,
        supervisor_id=client.supervisor_id,
    )


def current_principal() -> Principal:
    """The authenticated caller of this request (authenticates on first use)."""
    from flask import g

    if "principal" not in g:
        g.principal = _authenticate()
    principal: Principal = g.principal
    return principal


def requires(*scopes: str) -> Callable[[F], F]:
    """View decorator: an authenticated caller holding one of ``scopes`` (or ``admin``)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if not any(principal.allows(scope) for scope in scopes or ("admin",)):
                raise Forbidden(f"this token lacks the scope {' or '.join(scopes or ('admin',))}")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
