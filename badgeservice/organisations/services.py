"""Organisations and API clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth import SCOPES, hash_token, new_secret, new_token
from ..errors import BadRequest, Conflict, NotFound
from ..keystore import KeyStore
from ..people import models as _people  # noqa: F401 - api_clients.supervisor_id refers to people
from .models import ApiClient, Connection, Organisation

__all__ = [
    "IssuedClient",
    "create_client",
    "get_organisation",
    "organisation_by_slug",
    "upsert_organisation",
]


@dataclass(frozen=True)
class IssuedClient:
    """A new client with its credentials, shown once."""

    client: ApiClient
    token: str
    secret: str


def get_organisation(session: Session, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"no organisation {organisation_id}")
    return organisation


def organisation_by_slug(session: Session, slug: str) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise NotFound(f"no organisation {slug!r}")
    return organisation


def upsert_organisation(
    session: Session,
    *,
    slug: str,
    name: str,
    url: str | None = None,
    email: str | None = None,
    description: str | None = None,
) -> Organisation:
    """Create the organisation ``slug`` or update its profile fields."""
    organisation = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        organisation = Organisation(slug=slug, name=name)
        session.add(organisation)
    organisation.name, organisation.url = name, url
    organisation.email, organisation.description = email, description
    session.flush()
    return organisation


def create_client(
    session: Session,
    organisation: Organisation,
    *,
    name: str,
    scopes: Iterable[str],
    keystore: KeyStore,
    connection: str | None = None,
    supervisor_id: uuid.UUID | None = None,
) -> IssuedClient:
    """A new API client: a bearer token, and a signing secret for inbound webhooks. A
    ``team:read`` client acts for a supervisor (``supervisor_id``) and sees only the teams
    that person supervises."""
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if not wanted or unknown:
        raise BadRequest(
            f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(SCOPES)}"
            if unknown
            else f"give at least one scope of {', '.join(SCOPES)}"
        )
    if (
        connection is not None
        and session.scalar(
            select(Connection).where(
                Connection.organisation_id == organisation.id, Connection.name == connection
            )
        )
        is None
    ):
        raise BadRequest(f"organisation {organisation.slug!r} has no connection {connection!r}")
    if ("team:read" in wanted) != (supervisor_id is not None):
        raise BadRequest(
            "a team:read client needs the supervisor it acts for"
            if supervisor_id is None
            else "only a team:read client acts for a supervisor"
        )
    exists = session.scalar(
        select(ApiClient).where(
            ApiClient.organisation_id == organisation.id, ApiClient.name == name
        )
    )
    if exists is not None:
        raise Conflict(f"organisation {organisation.slug!r} already has a client named {name!r}")
    token, secret = new_token(), new_secret()
    client = ApiClient(
        id=uuid.uuid4(),
        organisation_id=organisation.id,
        name=name,
        scopes=" ".join(wanted),
        token_hash=hash_token(token),
        connection=connection,
        supervisor_id=supervisor_id,
    )
    client.secret_ciphertext = keystore.wrap(secret.encode("utf-8"), key_id=f"client:{client.id}")
    session.add(client)
    session.flush()
    return IssuedClient(client, token, secret)
