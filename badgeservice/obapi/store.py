"""Hashing, lifetimes and the queries the OAuth server and the pages share: a person's
granted clients, revoking a grant, and the person behind a bearer token."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..people.models import Person
from .models import OAuthClient, OAuthGrant, OAuthToken

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "CODE_LIFETIME",
    "REFRESH_TOKEN_LIFETIME",
    "Bearer",
    "GrantedClient",
    "bearer",
    "digest",
    "granted_clients",
    "revoke_grant",
    "revoke_tokens",
]

#: An authorization code lives two minutes (RFC 6749 recommends at most ten).
CODE_LIFETIME = timedelta(seconds=120)
#: An access token lives an hour, as the 1EdTech Security Framework recommends.
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
#: A refresh token (rotated on every use) lives 90 days unless revoked first.
REFRESH_TOKEN_LIFETIME = timedelta(days=90)


def digest(secret: str) -> str:
    """The SHA-256 hex digest a secret, code or token is stored as."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Bearer:
    """A valid access token: whose, for which client, with which scopes."""

    token: OAuthToken
    grant: OAuthGrant
    person: Person
    client: OAuthClient
    scopes: frozenset[str]


def bearer(session: Session, value: str, now: datetime | None = None) -> Bearer | str:
    """The token ``value`` names, or why it is not usable (``unknown``, ``expired``,
    ``revoked``)."""
    now = now or utcnow()
    token = session.scalar(select(OAuthToken).where(OAuthToken.access_hash == digest(value)))
    if token is None:
        return "unknown"
    grant = session.get(OAuthGrant, token.grant_id)
    assert grant is not None
    if token.revoked_at is not None or grant.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    person = session.get(Person, grant.person_id)
    client = session.get(OAuthClient, grant.client_id)
    if person is None or not person.active or client is None:
        return "revoked"
    return Bearer(token, grant, person, client, frozenset(token.scope.split()))


def revoke_tokens(session: Session, *conditions: object) -> int:
    """Revoke every live token matching ``conditions``; how many."""
    result = session.execute(
        update(OAuthToken)
        .where(OAuthToken.revoked_at.is_(None), *conditions)  # type: ignore[arg-type]
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class GrantedClient:
    """A client a person allowed in, for their settings page."""

    grant_id: uuid.UUID
    name: str
    client_uri: str | None
    scopes: list[str]
    granted_at: datetime


def granted_clients(session: Session, person: Person) -> list[GrantedClient]:
    """The clients ``person`` granted access and has not revoked, newest first."""
    rows = session.execute(
        select(OAuthGrant, OAuthClient)
        .join(OAuthClient, OAuthGrant.client_id == OAuthClient.id)
        .where(OAuthGrant.person_id == person.id, OAuthGrant.revoked_at.is_(None))
        .order_by(OAuthGrant.updated_at.desc())
    )
    return [
        GrantedClient(
            grant.id,
            client.name,
            client.client_metadata.get("client_uri"),
            grant.scope.split(),
            grant.updated_at,
        )
        for grant, client in rows
    ]


def revoke_grant(session: Session, person: Person, grant_id: uuid.UUID) -> bool:
    """End ``person``'s grant ``grant_id`` and every token of it; False when it is not
    theirs (another person's grant is simply not found)."""
    grant = session.get(OAuthGrant, grant_id)
    if grant is None or grant.person_id != person.id or grant.revoked_at is not None:
        return False
    grant.revoked_at = utcnow()
    revoke_tokens(session, OAuthToken.grant_id == grant.id)
    return True
