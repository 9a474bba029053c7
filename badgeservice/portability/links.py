"""Signing in by a link mailed to the personal e-mail: asked for with an address, the
answer the same whether the address is known or not (nothing tells who has an account);
at most three links an address in 15 minutes; each link single-use, valid 15 minutes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials.errors import MalformedDocumentError
from ..credentials.identity import normalize_email
from ..db import utcnow
from ..notices.models import NoticeKind
from ..notices.queueing import queue_link
from ..people.models import Person
from .models import SignInToken, TokenPurpose
from .tokens import TokenRefused, issue_token, recent_tokens, use_token

__all__ = ["LINKS_PER_WINDOW", "WINDOW", "request_sign_in_link", "sign_in_by_link"]

LINKS_PER_WINDOW = 3
WINDOW = timedelta(minutes=15)


def request_sign_in_link(
    session: Session,
    organisation_id: uuid.UUID,
    value: str,
    key: bytes,
    now: datetime | None = None,
) -> SignInToken | None:
    """Queue a sign-in link to ``value`` when it is someone's verified personal e-mail in
    the organisation (and the address has not had its links for now); None otherwise —
    which the caller must not reveal."""
    now = now or utcnow()
    try:
        address = normalize_email(value[:320])
    except MalformedDocumentError:
        return None
    person = session.scalar(
        select(Person).where(
            Person.organisation_id == organisation_id,
            Person.personal_email == address,
            Person.personal_email_verified_at.is_not(None),
        )
    )
    if person is None:
        return None
    if recent_tokens(session, person, TokenPurpose.SIGN_IN, now - WINDOW) >= LINKS_PER_WINDOW:
        return None
    row, _token = issue_token(session, person, TokenPurpose.SIGN_IN, key, email=address, now=now)
    queue_link(session, person, NoticeKind.SIGN_IN, str(row.id))
    return row


def sign_in_by_link(
    session: Session, organisation_id: uuid.UUID, token: str, now: datetime | None = None
) -> Person:
    """The person a sign-in link is for (the link is spent); :class:`TokenRefused` for an
    unknown, used or expired one, or one mailed to an address no longer theirs."""
    row = use_token(session, token, TokenPurpose.SIGN_IN, organisation_id, now=now)
    person = session.get(Person, row.person_id)
    if person is None or person.personal_email is None or person.personal_email != row.email:
        raise TokenRefused("unknown")
    return person
