"""Making and using single-use tokens.

A token is ``base64url(HMAC-SHA256(key, purpose ‖ row id))``: the key is derived from the
service's secret, so the database (and the notice outbox, which names only the row) never
holds a usable token — only its SHA-256, to find the row by. Using a token marks it used
under a row lock: of two concurrent uses exactly one wins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..people.models import Person
from .models import SignInToken, TokenPurpose

__all__ = [
    "LIFETIMES",
    "TokenRefused",
    "issue_token",
    "recent_tokens",
    "token_hash",
    "token_of",
    "use_token",
]

LIFETIMES = {
    TokenPurpose.VERIFY_EMAIL: timedelta(hours=24),
    TokenPurpose.SIGN_IN: timedelta(minutes=15),
    TokenPurpose.DID_CHALLENGE: timedelta(minutes=10),
}


class TokenRefused(Exception):
    """A token that cannot be used: ``reason`` is "unknown", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_of(row: SignInToken, key: bytes) -> str:
    """The token of ``row`` (only one who holds ``key`` can compute it)."""
    message = f"{row.purpose}:".encode() + row.id.bytes
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session,
    person: Person,
    purpose: TokenPurpose,
    key: bytes,
    *,
    email: str | None = None,
    now: datetime | None = None,
) -> tuple[SignInToken, str]:
    """A new token for ``person``; the person's earlier unused tokens of the same purpose
    are spent (only the newest link works)."""
    now = now or utcnow()
    for earlier in session.scalars(
        select(SignInToken).where(
            SignInToken.person_id == person.id,
            SignInToken.purpose == purpose,
            SignInToken.used_at.is_(None),
            SignInToken.expires_at > now,
        )
    ):
        earlier.expires_at = now
    row = SignInToken(
        id=uuid.uuid4(),
        organisation_id=person.organisation_id,
        person_id=person.id,
        purpose=purpose,
        email=email,
        created_at=now,
        expires_at=now + LIFETIMES[purpose],
    )
    token = token_of(row, key)
    row.token_hash = token_hash(token)
    session.add(row)
    session.flush()
    return row, token


def use_token(
    session: Session,
    token: str,
    purpose: TokenPurpose,
    organisation_id: uuid.UUID,
    *,
    now: datetime | None = None,
    spend: bool = True,
) -> SignInToken:
    """The row of ``token`` (of ``purpose``, in the organisation), marked used unless
    ``spend`` is False; :class:`TokenRefused` says why not."""
    now = now or utcnow()
    if not token or len(token) > 100:
        raise TokenRefused("unknown")
    row = session.scalar(
        select(SignInToken)
        .where(
            SignInToken.token_hash == token_hash(token),
            SignInToken.purpose == purpose,
            SignInToken.organisation_id == organisation_id,
        )
        .with_for_update()
    )
    if row is None:
        raise TokenRefused("unknown")
    if row.used_at is not None:
        raise TokenRefused("used")
    if row.expires_at <= now:
        raise TokenRefused("expired")
    if spend:
        row.used_at = now
        session.flush()
    return row


def recent_tokens(session: Session, person: Person, purpose: TokenPurpose, since: datetime) -> int:
    """How many tokens of ``purpose`` the person was given since ``since`` (rate limits)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(SignInToken)
            .where(
                SignInToken.person_id == person.id,
                SignInToken.purpose == purpose,
                SignInToken.created_at >= since,
            )
        )
        or 0
    )
