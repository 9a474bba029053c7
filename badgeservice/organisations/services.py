"""Organisations and API clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from ..audit.models import AuditEvent
from ..audit.services import audit_query, record, target_of
from ..auth import SCOPES, hash_token, new_secret, new_token
from ..db import Outcome, utcnow
from ..errors import BadRequest, Conflict, NotFound
from ..keystore import KeyStore
from ..people import models as _people  # noqa: F401 - api_clients.supervisor_id refers to people
from .models import RETENTION_BOUNDS, ApiClient, Connection, Organisation

__all__ = [
    "OPERATOR",
    "IssuedClient",
    "audit_query",
    "clients_query",
    "create_client",
    "find_client",
    "find_connection",
    "get_organisation",
    "organisation_by_slug",
    "record_audit",
    "revoke_client",
    "rotate_client",
    "set_retention",
    "upsert_connection",
    "upsert_organisation",
]

# The actor of what the command line does (it runs with the service's configuration).
OPERATOR = "operator (command line)"


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
    accent_color: str | None = None,
    nquads_ordering: str = "refuse",
    default_language: str = "en",
    languages: Sequence[str] = (),
    texts: Mapping[str, Mapping[str, str]] | None = None,
    reminder_days: Sequence[int] = (),
) -> Organisation:
    """Create the organisation ``slug`` or update its profile fields."""
    organisation = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        organisation = Organisation(slug=slug, name=name)
        session.add(organisation)
    organisation.name, organisation.url = name, url
    organisation.email, organisation.description = email, description
    organisation.accent_color = accent_color
    organisation.nquads_ordering = nquads_ordering
    organisation.default_language = default_language
    organisation.languages = list(languages) or [default_language]
    organisation.texts = {key: dict(value) for key, value in (texts or {}).items()}
    organisation.reminder_days = sorted(set(reminder_days), reverse=True)
    session.flush()
    return organisation


def set_retention(session: Session, organisation: Organisation, **days: int) -> Organisation:
    """Change retention periods (``inbox``, ``deliveries``, ``audit``: days within
    :data:`RETENTION_BOUNDS`); the change is in the audit trail, from and to."""
    changed: dict[str, list[int]] = {}
    for kind, value in days.items():
        low, high = RETENTION_BOUNDS[kind]
        if not low <= value <= high:
            raise BadRequest(
                f"retention of {kind}: {value} days is outside {low} to {high}",
                errors={kind: [f"between {low} and {high}"]},
            )
        column = f"retention_{kind}_days"
        if getattr(organisation, column) != value:
            changed[kind] = [getattr(organisation, column), value]
            setattr(organisation, column, value)
    if changed:
        session.flush()
        target = target_of("organisation", organisation.id, organisation.slug)
        record(session, organisation.id, "organisation.retention_changed", target, changed)
    return organisation


def find_connection(session: Session, organisation_id: uuid.UUID, name: str) -> Connection | None:
    """The organisation's connection (an LMS or another sender of events) named ``name``."""
    return session.scalar(
        select(Connection).where(
            Connection.organisation_id == organisation_id, Connection.name == name
        )
    )


def upsert_connection(
    session: Session, organisation_id: uuid.UUID, name: str, **settings: str | None
) -> Outcome:
    """Create the connection ``name`` or bring its ``settings`` (``kind``,
    ``description``, ``base_url``, ``unknown_person``) in line."""
    row = session.scalar(
        select(Connection).where(
            Connection.organisation_id == organisation_id, Connection.name == name
        )
    )
    outcome = Outcome.UNCHANGED
    if row is None:
        row = Connection(organisation_id=organisation_id, name=name)
        session.add(row)
        outcome = Outcome.CREATED
    for key, value in settings.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            outcome = outcome if outcome == Outcome.CREATED else Outcome.UPDATED
    session.flush()
    if outcome != Outcome.UNCHANGED:
        target = target_of("connection", row.id, name)
        record(session, organisation_id, f"connection.{outcome}", target, dict(settings))
    return outcome


def create_client(
    session: Session,
    organisation: Organisation,
    *,
    name: str,
    scopes: Iterable[str],
    keystore: KeyStore,
    connection: str | None = None,
    supervisor_id: uuid.UUID | None = None,
    actor: str | None = None,
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
    record_audit(
        session,
        organisation.id,
        actor,
        "client.created",
        client,
        {
            "scopes": wanted,
            "connection": connection,
            "supervisor": supervisor_id and str(supervisor_id),
        },
    )
    return IssuedClient(client, token, secret)


def clients_query(organisation_id: uuid.UUID, *, revoked: bool | None = None) -> Select[ApiClient]:
    """The organisation's API clients by name (never their tokens or secrets)."""
    query = select(ApiClient).where(ApiClient.organisation_id == organisation_id)
    if revoked is not None:
        query = query.where(
            ApiClient.revoked_at.is_not(None) if revoked else ApiClient.revoked_at.is_(None)
        )
    return query.order_by(ApiClient.name, ApiClient.id)


def find_client(session: Session, organisation_id: uuid.UUID, ref: str) -> ApiClient:
    """The organisation's client with id or name ``ref``; another organisation's is not
    found."""
    query = select(ApiClient).where(ApiClient.organisation_id == organisation_id)
    try:
        query = query.where(ApiClient.id == uuid.UUID(ref))
    except ValueError:
        query = query.where(ApiClient.name == ref)
    client = session.scalar(query)
    if client is None:
        raise NotFound(f"no API client {ref!r}")
    return client


def revoke_client(session: Session, client: ApiClient, *, actor: str | None = None) -> ApiClient:
    """Revoke the client: its token and signing secret are refused from the next request
    on (a signed webhook event in worker mode: within a second, see ``ingest/lean.py``).
    Revoking twice is a conflict (decided by the database, not by what was read)."""
    now = utcnow()
    changed = session.execute(
        update(ApiClient)
        .where(ApiClient.id == client.id, ApiClient.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(changed, "rowcount", 0):
        raise Conflict(f"API client {client.name!r} is already revoked")
    session.refresh(client)
    record_audit(session, client.organisation_id, actor, "client.revoked", client, {})
    return client


def rotate_client(
    session: Session, client: ApiClient, keystore: KeyStore, *, actor: str | None = None
) -> IssuedClient:
    """A new token and signing secret for the client; the old ones are refused at once (the
    old secret on worker mode's signed webhook within a second, see ``ingest/lean.py``)."""
    if client.revoked_at is not None:
        raise Conflict(f"API client {client.name!r} is revoked; create a new one")
    token, secret = new_token(), new_secret()
    client.token_hash = hash_token(token)
    client.secret_ciphertext = keystore.wrap(secret.encode("utf-8"), key_id=f"client:{client.id}")
    session.flush()
    record_audit(session, client.organisation_id, actor, "client.rotated", client, {})
    return IssuedClient(client, token, secret)


def record_audit(
    session: Session,
    organisation_id: uuid.UUID,
    actor: str | None,
    action: str,
    target: ApiClient | str,
    details: Mapping[str, Any] | None = None,
    **context: Any,
) -> AuditEvent:
    """Add a row to the organisation's audit trail (kept for its callers; the trail lives
    in :mod:`badgeservice.audit`). ``target`` is an API client or the target's text;
    ``actor`` (a name) or None names who acts, else the context does."""
    text = target if isinstance(target, str) else target_of("client", target.id, target.name)
    return record(session, organisation_id, action, text, details, actor=actor, **context)


# The name of the earlier helper (same arguments, a textual target).
record_event = record_audit
