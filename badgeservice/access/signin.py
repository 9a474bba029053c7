"""Each organisation's OpenID Connect identity provider, and matching who signed in to a
person of that organisation.

The settings come from the admin API or from ``organisation.toml`` (the client secret by
environment variable reference); the secret is stored wrapped by the key store. A person
is matched once by the configured claim (employee number, e-mail or ``sub``); the IdP's
``(issuer, sub)`` is then stored, so later sign-ins go straight to the same person.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.services import record, target_of
from ..db import utcnow
from ..egress import is_loopback_name
from ..errors import AppError, BadRequest
from ..keystore import KeyStore
from ..people.models import Person
from .models import SignInIdentity, SignInSettings, Source

__all__ = [
    "DEFAULT_CLAIMS",
    "MATCHES",
    "SignInRefused",
    "SignInSpec",
    "check_issuer_url",
    "client_secret",
    "delete_settings",
    "get_settings",
    "match_person",
    "put_settings",
]

#: The person field a claim is compared with, and the claim read by default.
DEFAULT_CLAIMS = {"employee_number": "employee_number", "email": "email", "sub": "sub"}
MATCHES = tuple(DEFAULT_CLAIMS)
_CLAIM_NAME = re.compile(r"^[A-Za-z0-9_:./-]{1,200}$")
_KEEP = object()


class SignInRefused(AppError):
    """The identity provider vouched for someone this organisation cannot let in.
    ``reason`` is one of ``unknown-person``, ``inactive``, ``claim-missing``,
    ``email-unverified``; pages show it in the reader's language."""

    status, type_, title = 403, "sign-in-refused", "Sign-in refused"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class SignInSpec:
    """What an admin or the files say about an organisation's identity provider.
    ``client_secret``: the secret, ``None`` for a public client (PKCE only)."""

    issuer: str
    client_id: str
    client_secret: str | None
    match: str
    claim: str | None = None


def check_issuer_url(issuer: str) -> str:
    """The issuer URL as given, if usable: https, or http on a loopback address (a test or
    development IdP on the same machine). Raises :class:`BadRequest` otherwise."""
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"issuer: {issuer!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise BadRequest("issuer: an issuer URL has no query or fragment")
    if parts.scheme == "http" and not is_loopback_name(parts.hostname):
        raise BadRequest("issuer: use https (plain http only for an IdP on this machine)")
    return issuer.rstrip("/")


def get_settings(session: Session, organisation_id: uuid.UUID) -> SignInSettings | None:
    return session.scalar(
        select(SignInSettings).where(SignInSettings.organisation_id == organisation_id)
    )


def put_settings(
    session: Session,
    organisation_id: uuid.UUID,
    spec: SignInSpec,
    *,
    keystore: KeyStore,
    source: str = Source.API,
    keep_secret: bool = False,
) -> tuple[SignInSettings, str]:
    """Create or replace the organisation's settings; returns them and ``created``,
    ``updated`` or ``unchanged``. ``keep_secret`` keeps a stored secret (for the same
    client id) instead of ``spec.client_secret``."""
    if spec.match not in MATCHES:
        raise BadRequest(f"match: choose from {', '.join(MATCHES)}, not {spec.match!r}")
    claim = spec.claim or DEFAULT_CLAIMS[spec.match]
    if not _CLAIM_NAME.match(claim):
        raise BadRequest(f"claim: {claim!r} is not a claim name")
    issuer = check_issuer_url(spec.issuer)
    if not spec.client_id.strip():
        raise BadRequest("clientId: must not be empty")
    row = get_settings(session, organisation_id)
    outcome = "updated"
    if row is None:
        row = SignInSettings(id=uuid.uuid4(), organisation_id=organisation_id)
        session.add(row)
        outcome = "created"
    same_client = row.client_id == spec.client_id and row.issuer == issuer
    keep = keep_secret and same_client and row.client_secret_ciphertext is not None
    new_secret: Any = _KEEP if keep else spec.client_secret
    if outcome == "updated" and _unchanged(row, issuer, spec, claim, source, new_secret, keystore):
        return row, "unchanged"
    row.issuer, row.client_id, row.match, row.claim = issuer, spec.client_id, spec.match, claim
    row.source = source
    if new_secret is not _KEEP:
        row.client_secret_ciphertext = (
            None
            if new_secret is None
            else keystore.wrap(new_secret.encode("utf-8"), key_id=f"sign-in:{row.id}")
        )
    session.flush()
    details = {"issuer": issuer, "client_id": spec.client_id, "match": spec.match, "claim": claim}
    target = target_of("sign-in", organisation_id)
    record(session, organisation_id, f"sign_in.{outcome}", target, details)
    return row, outcome


def _unchanged(
    row: SignInSettings,
    issuer: str,
    spec: SignInSpec,
    claim: str,
    source: str,
    secret: Any,
    keystore: KeyStore,
) -> bool:
    same = (row.issuer, row.client_id, row.match, row.claim, row.source) == (
        issuer,
        spec.client_id,
        spec.match,
        claim,
        source,
    )
    return same and (secret is _KEEP or client_secret(row, keystore) == secret)


def delete_settings(session: Session, organisation_id: uuid.UUID) -> bool:
    row = get_settings(session, organisation_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    record(session, organisation_id, "sign_in.deleted", target_of("sign-in", organisation_id))
    return True


def client_secret(settings: SignInSettings, keystore: KeyStore) -> str | None:
    """The client secret in clear, for the token request only."""
    if settings.client_secret_ciphertext is None:
        return None
    return keystore.unwrap(
        settings.client_secret_ciphertext, key_id=f"sign-in:{settings.id}"
    ).decode("utf-8")


def match_person(session: Session, settings: SignInSettings, claims: Mapping[str, Any]) -> Person:
    """The organisation's person the IdP vouched for (``claims``: the validated ID token
    with the UserInfo answer). Stores the IdP account on the first match."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused("claim-missing", "the identity provider sent no subject")
    org_id = settings.organisation_id
    identity = session.scalar(
        select(SignInIdentity).where(
            SignInIdentity.organisation_id == org_id,
            SignInIdentity.issuer == settings.issuer,
            SignInIdentity.subject == subject,
        )
    )
    person = session.get(Person, identity.person_id) if identity is not None else None
    if person is None:
        person = _by_claim(session, settings, claims)
        identity = SignInIdentity(
            organisation_id=org_id, person_id=person.id, issuer=settings.issuer, subject=subject
        )
        session.add(identity)
    if not person.active:
        raise SignInRefused("inactive", "the person's account is deactivated")
    assert identity is not None
    identity.last_sign_in_at = utcnow()
    session.flush()
    return person


def _by_claim(session: Session, settings: SignInSettings, claims: Mapping[str, Any]) -> Person:
    value = claims.get(settings.claim)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise SignInRefused(
            "claim-missing", f"the identity provider sent no {settings.claim!r} claim"
        )
    value = value.strip()
    query = select(Person).where(Person.organisation_id == settings.organisation_id)
    if settings.match == "email":
        if claims.get("email_verified") is False:
            raise SignInRefused("email-unverified", "the e-mail address is not verified")
        query = query.where(func.lower(Person.email) == value.lower())
    elif settings.match == "employee_number":
        query = query.where(Person.employee_number == value)
    else:
        query = query.where(Person.external_id == value)
    person = session.scalar(query)
    if person is None:
        raise SignInRefused("unknown-person", "no person of the organisation matches")
    return person
