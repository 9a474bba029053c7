"""What the write client keeps between pushes: our registration at each Host (one per Host
and redirect URI) and each learner's tokens there, encrypted with the key store, so that a
learner's second push to the same Host needs neither a registration nor a new consent."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import new_id, utcnow
from ..keystore import KeyStore, KeyStoreError
from .client import Host, Registration, Tokens, WriteClient
from .models import RemoteHost, RemoteHostTokens

__all__ = ["forget_tokens", "registration_at", "save_tokens", "saved_tokens"]


def _secret_key_id(row: RemoteHost) -> str:
    return f"obapi-remote-host:{row.id}"


def _tokens_key_id(row: RemoteHostTokens) -> str:
    return f"obapi-remote-tokens:{row.id}"


def registration_at(
    session: Session, client: WriteClient, keystore: KeyStore, base_url: str, redirect_uri: str
) -> tuple[RemoteHost, Host, Registration]:
    """Our registration at the Host of ``base_url`` for ``redirect_uri``: the one kept, or
    a new one (discovery, then RFC 7591), kept. Ends the session's transaction before
    reaching the Host. Raises: PushError."""
    base = client.check_base_url(base_url)
    row = session.scalar(
        select(RemoteHost).where(
            RemoteHost.base_url == base, RemoteHost.redirect_uri == redirect_uri
        )
    )
    stale = None
    if row is not None:
        kept = {name: value for name, value in row.endpoints.items() if name != "scopes"}
        host = Host(**kept, scopes=tuple(row.endpoints.get("scopes", ())))
        try:
            secret = keystore.unwrap(row.secret_ciphertext, key_id=_secret_key_id(row))
            return row, host, Registration(row.client_id, secret.decode(), redirect_uri, row.scope)
        except KeyStoreError:
            stale = row.id  # the key-encryption key changed without a rewrap: register afresh
    # No transaction held while the Host answers (on SQLite, the database's write lock):
    # what the caller read is read again when next used.
    session.rollback()
    host = client.discover(base)
    registration = client.register(host, redirect_uri)
    old = session.get(RemoteHost, stale) if stale is not None else None
    if old is not None:
        session.delete(old)
        session.flush()
    endpoints = asdict(host)
    endpoints["scopes"] = list(host.scopes)
    row = RemoteHost(
        id=new_id(),
        base_url=base,
        redirect_uri=redirect_uri,
        endpoints=endpoints,
        client_id=registration.client_id,
        scope=registration.scope,
    )
    row.secret_ciphertext = keystore.wrap(
        registration.client_secret.encode(), key_id=_secret_key_id(row)
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another learner's push registered at the same moment: theirs is kept (ours is
        # left unused at the Host).
        return registration_at(session, client, keystore, base_url, redirect_uri)
    return row, host, registration


def saved_tokens(
    session: Session, keystore: KeyStore, host: RemoteHost, person_id: uuid.UUID
) -> Tokens | None:
    """The learner's tokens at ``host``, if kept and readable."""
    row = _tokens_row(session, host, person_id)
    if row is None:
        return None
    try:
        data = json.loads(keystore.unwrap(row.tokens_ciphertext, key_id=_tokens_key_id(row)))
        return Tokens(**data)
    except (KeyStoreError, ValueError, TypeError):
        return None


def save_tokens(
    session: Session, keystore: KeyStore, host: RemoteHost, person_id: uuid.UUID, tokens: Tokens
) -> None:
    row = _tokens_row(session, host, person_id)
    if row is None:
        row = RemoteHostTokens(id=new_id(), host_id=host.id, person_id=person_id)
        session.add(row)
    plain = json.dumps(asdict(tokens)).encode()
    row.tokens_ciphertext = keystore.wrap(plain, key_id=_tokens_key_id(row))
    row.updated_at = utcnow()
    session.flush()


def forget_tokens(session: Session, host: RemoteHost, person_id: uuid.UUID) -> None:
    row = _tokens_row(session, host, person_id)
    if row is not None:
        session.delete(row)
        session.flush()


def _tokens_row(
    session: Session, host: RemoteHost, person_id: uuid.UUID
) -> RemoteHostTokens | None:
    return session.scalar(
        select(RemoteHostTokens).where(
            RemoteHostTokens.host_id == host.id, RemoteHostTokens.person_id == person_id
        )
    )
