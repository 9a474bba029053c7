"""A person's own identities: a personal e-mail they confirm from its inbox, and a DID
whose key they prove they hold by signing a challenge.

Nobody else sets either: an address is stored on the person only when the link mailed to
it is followed (an admin may ask for the mail, not skip it), and a DID only with a valid
signature of a fresh challenge by one of its keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access.sessions import EMAIL_LINK, end_sessions
from ..credentials.did import DidKeyResolver
from ..credentials.errors import MalformedDocumentError, ResolutionError
from ..credentials.identity import normalize_email
from ..credentials.multikey import verify_signature
from ..db import utcnow
from ..errors import BadRequest, Conflict
from ..notices.models import NoticeKind
from ..notices.queueing import queue_link
from ..organisations.services import record_event
from ..people.models import Person
from ..ratelimit import TooManyRequests
from .models import SignInToken, TokenPurpose
from .tokens import TokenRefused, issue_token, recent_tokens, token_of, use_token

__all__ = [
    "VERIFY_MAILS_PER_HOUR",
    "bind_did",
    "confirm_personal_email",
    "did_challenge",
    "forget_personal_email",
    "new_did_challenge",
    "pending_address",
    "request_personal_email",
]

VERIFY_MAILS_PER_HOUR = 5


def _address(value: str) -> str:
    if len(value) > 320:
        raise BadRequest("the e-mail address is longer than 320 characters", reason="address")
    try:
        return normalize_email(value)
    except MalformedDocumentError:
        raise BadRequest(f"{value.strip()!r} is not an e-mail address", reason="address") from None


def request_personal_email(
    session: Session, person: Person, value: str, key: bytes, now: datetime | None = None
) -> SignInToken:
    """Mail a verification link to ``value`` (through the notice outbox); the address is
    the person's only once the link is followed. At most five a person an hour (429)."""
    now = now or utcnow()
    address = _address(value)
    if person.email and address == normalize_email(person.email):
        raise BadRequest(
            "that is your work address; give an address of your own", reason="work-address"
        )
    if recent_tokens(session, person, TokenPurpose.VERIFY_EMAIL, now - timedelta(hours=1)) >= (
        VERIFY_MAILS_PER_HOUR
    ):
        raise TooManyRequests("too many verification e-mails in an hour; try again later")
    row, _token = issue_token(session, person, TokenPurpose.VERIFY_EMAIL, key, email=address)
    queue_link(session, person, NoticeKind.VERIFY, str(row.id))
    return row


def pending_address(session: Session, person: Person, now: datetime | None = None) -> str | None:
    """The address waiting for its link to be followed, if any."""
    return session.scalar(
        select(SignInToken.email)
        .where(
            SignInToken.person_id == person.id,
            SignInToken.purpose == TokenPurpose.VERIFY_EMAIL,
            SignInToken.used_at.is_(None),
            SignInToken.expires_at > (now or utcnow()),
        )
        .order_by(SignInToken.created_at.desc())
        .limit(1)
    )


def confirm_personal_email(
    session: Session, organisation_id: uuid.UUID, token: str, now: datetime | None = None
) -> Person:
    """Follow a verification link: the address becomes the person's, verified.
    :class:`TokenRefused` for an unknown, used or expired link; 409 when another person of
    the organisation has verified the same address."""
    now = now or utcnow()
    row = use_token(session, token, TokenPurpose.VERIFY_EMAIL, organisation_id, now=now)
    person = session.get(Person, row.person_id)
    if person is None or row.email is None:
        raise TokenRefused("unknown")
    taken = session.scalar(
        select(Person.id).where(
            Person.organisation_id == organisation_id,
            Person.personal_email == row.email,
            Person.id != person.id,
        )
    )
    if taken is not None:
        raise Conflict("another person here has verified this address")
    person.personal_email = row.email
    person.personal_email_verified_at = now
    _audit(session, person, "person.personal_email_confirmed")
    return person


def forget_personal_email(session: Session, person: Person, actor: str) -> None:
    """Remove the personal address (badges re-issued to it stay valid: they are its
    holder's); sessions its links signed in end."""
    end_sessions(session, person.id, EMAIL_LINK)
    person.personal_email = None
    person.personal_email_verified_at = None
    _audit(session, person, "person.personal_email_removed", actor)


# -- DIDs -----------------------------------------------------------------------------


def new_did_challenge(session: Session, person: Person, key: bytes) -> tuple[SignInToken, str]:
    """A fresh challenge (valid 10 minutes) for the person to sign with their DID's key."""
    return issue_token(session, person, TokenPurpose.DID_CHALLENGE, key)


def did_challenge(
    session: Session, person: Person, key: bytes, now: datetime | None = None
) -> tuple[str, datetime] | None:
    """The person's live challenge and when it expires, if they have one."""
    row = session.scalar(
        select(SignInToken)
        .where(
            SignInToken.person_id == person.id,
            SignInToken.purpose == TokenPurpose.DID_CHALLENGE,
            SignInToken.used_at.is_(None),
            SignInToken.expires_at > (now or utcnow()),
        )
        .order_by(SignInToken.created_at.desc())
        .limit(1)
    )
    return (token_of(row, key), row.expires_at) if row is not None else None


def _b64(part: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise BadRequest(f"the proof's {what} is not base64url") from None


def bind_did(session: Session, person: Person, proof: str, now: datetime | None = None) -> str:
    """Bind the DID that signed the person's challenge: ``proof`` is a compact JWS
    (``alg`` EdDSA, ``kid`` the did:key verification method) whose payload is the
    challenge. Returns the DID; 400 naming what is wrong otherwise."""
    parts = proof.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise BadRequest("the proof is not a compact JWS (header.payload.signature)")
    try:
        header = json.loads(_b64(parts[0], "header"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the proof's header is not JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        raise BadRequest('the proof must be signed with "alg": "EdDSA" (Ed25519)')
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.startswith("did:"):
        raise BadRequest("the proof's header needs \"kid\": the DID's verification method")
    if not kid.startswith("did:key:"):
        raise BadRequest("only did:key DIDs (Ed25519) can be bound here")
    try:
        method = DidKeyResolver().resolve(kid)
    except ResolutionError as exc:
        raise BadRequest(f"the proof's kid does not resolve: {exc}") from None
    signed = f"{parts[0]}.{parts[1]}".encode("ascii")
    if not verify_signature(method.public_key, _b64(parts[2], "signature"), signed):
        raise BadRequest("the proof's signature does not verify with the DID's key")
    try:
        challenge = _b64(parts[1], "payload").decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest("the proof's payload is not the challenge") from None
    now = now or utcnow()
    try:
        row = use_token(
            session,
            challenge,
            TokenPurpose.DID_CHALLENGE,
            person.organisation_id,
            now=now,
            spend=False,
        )
    except TokenRefused as exc:
        raise BadRequest(f"the proof signs no live challenge of yours ({exc.reason})") from None
    if row.person_id != person.id:
        raise BadRequest("the proof signs no live challenge of yours (unknown)")
    row.used_at = now
    person.bound_did = method.controller
    person.bound_did_at = now
    _audit(session, person, "person.did_bound")
    return method.controller


def _audit(session: Session, person: Person, action: str, actor: str | None = None) -> None:
    """Into the audit trail (by the person, who alone can confirm or bind, unless another
    ``actor`` is named); no address or DID in it."""
    actor = actor or f"person:{person.id}"
    record_event(session, person.organisation_id, actor, action, f"person {person.id}", {})
    session.flush()
